"""Importing WeasyPrint quickly: its C libraries found with one reading of the linker cache.

WeasyPrint asks cffi for each C library (GObject, Pango, HarfBuzz, Fontconfig...) by up to six
names, and cffi looks up each name it cannot open as given with `ctypes.util.find_library`. On
Linux that runs ``ldconfig -p`` and then, for a name it still cannot find, ``gcc`` and ``ld``:
22 lookups and some 50 processes, half of WeasyPrint's import time (0.3 s of 0.6 s), paid by
every layout worker. One ``ldconfig -p``, read once, answers them the same way.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import cache


def import_weasyprint() -> None:
    """Import WeasyPrint, answering its library lookups from the linker cache."""
    with _linker_cache_lookups():
        import weasyprint  # noqa: F401


@contextlib.contextmanager
def _linker_cache_lookups() -> Iterator[None]:
    original = ctypes.util.find_library
    sonames = _linker_cache()
    # A library only LD_LIBRARY_PATH (or a compiler's search path) knows of is not in the cache:
    # there, and without a cache, the standard lookup decides, as it would have.
    if sonames is None or os.environ.get("LD_LIBRARY_PATH"):
        yield
        return
    ctypes.util.find_library = _finder(sonames)  # type: ignore[assignment]
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _finder(sonames: dict[str, str]) -> Callable[[str], str | None]:
    def find_library(name: str) -> str | None:
        # As ctypes does: "pango-1.0" is found as lib + name + .so, with any version after it.
        pattern = re.compile(rf"lib{re.escape(name)}\.so(?:\.\d+)*")
        matches = sorted(soname for soname in sonames if pattern.fullmatch(soname))
        return matches[-1] if matches else None

    return find_library


@cache
def _linker_cache() -> dict[str, str] | None:
    """The shared libraries the dynamic linker's cache lists for this machine's ABI, by soname;
    None where there is no ``ldconfig`` to ask."""
    ldconfig = shutil.which("ldconfig") or next(
        (path for path in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.access(path, os.X_OK)),
        None,
    )
    if ldconfig is None:
        return None
    try:
        listing = subprocess.run(
            [ldconfig, "-p"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "LC_ALL": "C"},
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    abi = _abi()
    sonames: dict[str, str] = {}
    for line in listing.splitlines():
        match = re.match(r"\s+(\S+) \(([^)]*)\) => (\S+)", line)
        if match and abi in match.group(2).split(","):
            sonames.setdefault(match.group(1), match.group(3))
    return sonames


def _abi() -> str:
    """How ``ldconfig -p`` names this machine's ABI (as ctypes.util matches it)."""
    machine = os.uname().machine
    return {
        "x86_64": "x86-64",
        "aarch64": "AArch64",
        "ppc64le": "64bit",
        "s390x": "64bit",
        "riscv64": "64bit",
    }.get(machine, "libc6")
