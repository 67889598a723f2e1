"""The build stage: plan the variants, lay them out within limits, write outputs and manifest.

Names are imported on first use (PEP 562): a command that only needs a part of the stage (its
limits, the manifest, the atomic writes) does not load the pipeline.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportgen.build.pipeline import build, check, render_variants, tailored_briefings
    from reportgen.build.progress import BuiltFile, Progress
    from reportgen.build.variants import Shard, VariantKey

_LAZY = {
    "BuiltFile": "reportgen.build.progress",
    "Progress": "reportgen.build.progress",
    "build": "reportgen.build.pipeline",
    "check": "reportgen.build.pipeline",
    "render_variants": "reportgen.build.pipeline",
    "tailored_briefings": "reportgen.build.pipeline",
    "Shard": "reportgen.build.variants",
    "VariantKey": "reportgen.build.variants",
}

__all__ = [
    "BuiltFile",
    "Progress",
    "Shard",
    "VariantKey",
    "build",
    "check",
    "render_variants",
    "tailored_briefings",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reportgen.build' has no attribute {name!r}")
