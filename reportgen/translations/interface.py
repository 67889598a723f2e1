"""The templates' own words (headings, labels, the sentences around the data) in each language:
gettext PO catalogs in each template folder's ``locale/``, read with Babel and merged along the
search path, checked against what the templates use, and refreshed with Babel's extraction.

The briefing's content has catalogs of its own, beside the data (`reportgen.translations.catalog`).
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract, extract_from_file

from reportgen import files
from reportgen.build.output import write_atomically
from reportgen.discovery import display_name
from reportgen.errors import CatalogError, FileRefusedError, Problem
from reportgen.resources import BUILTIN_TEMPLATES, template_search_path
from reportgen.translations.catalog import (
    UpdateResult,
    messages_of,
    read_catalog,
    render_po,
    unstamped,
)

LOCALE_FOLDER = "locale"
# The language the templates are written in: their msgids are its text.
SOURCE_LANGUAGE = "en"
# Jinja's whitespace options. The environment and Babel's Jinja extractor must share them, or a
# msgid extracted from a template is not the one the template asks for when it renders.
ENVIRONMENT_OPTIONS: dict[str, bool] = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
}
# {% trans %} blocks written over several lines become one-line msgids, as translators want them.
TRIMMED = True
TRANSLATOR_COMMENT = "Translators:"
# `init-template` copies the starter; its words belong to the user's catalog, not ours.
_SKIPPED = {BUILTIN_TEMPLATES: ("starter/",)}
_EXTRACTOR = "jinja2.ext:babel_extract"
# Code that writes words into the page (the chart's labels and text alternative) with the
# edition's gettext: its messages belong to the built-in catalog, as the templates' do.
_PACKAGE = Path(__file__).resolve().parent.parent
CODE_WITH_WORDS = (_PACKAGE / "charts.py",)
_BUILTIN_REFERENCE = re.compile(r"""["']builtin/([\w./-]+\.j2)["']""")
_MARKUP = re.compile(r"<[^>]*>")

MessageKey = tuple[str | None, str]  # (msgctxt, msgid); a plural message by its singular


def catalog_path(template_dir: Path, language: str) -> Path:
    """The catalog of ``language`` for the templates in ``template_dir``: ``locale/<lang>.po``."""
    return template_dir / LOCALE_FOLDER / f"{language}.po"


@dataclass(frozen=True)
class _Entry:
    strings: tuple[str, ...]  # one, or one per plural form
    plural: Callable[[int], int]


class InterfaceTranslations:
    """The gettext functions templates call, for one language: the first catalog on the search
    path with a current translation gives it, else the English of the template itself."""

    def __init__(self, entries: Mapping[MessageKey, _Entry]) -> None:
        self._entries = dict(entries)

    def callables(self) -> dict[str, Callable[..., str]]:
        """What Jinja's i18n extension calls, by the names it calls them."""
        return {
            "gettext": self.gettext,
            "ngettext": self.ngettext,
            "pgettext": self.pgettext,
            "npgettext": self.npgettext,
        }

    def gettext(self, message: str) -> str:
        return self.pgettext(None, message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.npgettext(None, singular, plural, count)

    def pgettext(self, context: str | None, message: str) -> str:
        entry = self._entries.get((context, message))
        return entry.strings[0] if entry is not None else message

    def npgettext(self, context: str | None, singular: str, plural: str, count: int) -> str:
        entry = self._entries.get((context, singular))
        if entry is None or len(entry.strings) < 2:
            return singular if count == 1 else plural
        index = entry.plural(count)
        return entry.strings[index if index < len(entry.strings) else -1]


def interface_translations(search_path: Sequence[Path], language: str) -> InterfaceTranslations:
    """The translations of ``language`` along ``search_path`` (user folders first, then the
    built-in one): a user's translation of a message replaces ours.

    A fuzzy, empty or wrongly formatted translation is not used (the English shows instead);
    `ui_translation_problems` reports each, for the build to refuse or a draft to mark.
    Raises `CatalogError` for a catalog that is not valid PO.
    """
    found = [catalog_path(folder, language) for folder in reversed(search_path)]
    return _merged(tuple(_identity(path) for path in found if path.is_file()))


_Identity = tuple[Path, int, int]  # a catalog's real path, modification time and size


def _identity(path: Path) -> _Identity:
    status = path.stat()
    return path.resolve(), status.st_mtime_ns, status.st_size


@functools.lru_cache(maxsize=32)
def _merged(catalogs: tuple[_Identity, ...]) -> InterfaceTranslations:
    """The usable translations of ``catalogs``, later ones winning; once per process for the
    same files, as every variant of a build in one language asks for the same."""
    entries: dict[MessageKey, _Entry] = {}
    for identity in catalogs:
        catalog = _read_cached(*identity)
        plural = gettext.c2py(catalog.plural_expr)
        for message in messages_of(catalog):
            if _usable(catalog, message):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                entries[_key(message)] = _Entry(tuple(str(s) for s in strings), plural)
    return InterfaceTranslations(entries)


def _read(path: Path) -> Catalog:
    return _read_cached(*_identity(path))


@functools.lru_cache(maxsize=64)
def _read_cached(path: Path, mtime_ns: int, size: int) -> Catalog:
    # Keyed by modification time and size as well, so an edited catalog is read again. Callers
    # only read the catalog: it is shared.
    del mtime_ns, size
    return read_catalog(path)


def _key(message: Message) -> MessageKey:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return message.context, str(msgid)


def _usable(catalog: Catalog, message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy or not all(strings):
        return False
    return not list(message.check(catalog)) and _markup_problem(message) is None


def _markup_problem(message: Message) -> str | None:
    """A translation must carry the source's markup, no more: a {% trans %} block is HTML,
    which Jinja outputs as it is."""
    source = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    wanted = sorted(_MARKUP.findall(str(source[0])))
    for string in strings:
        if string and sorted(_MARKUP.findall(str(string))) != wanted:
            shown = " ".join(wanted) or "none"
            return f"the translation's markup differs from the source's ({shown}): keep it as is"
    return None


@dataclass(frozen=True)
class UsedMessage:
    """A message a template asks for, and the first place it does."""

    key: MessageKey
    file: Path
    line: int
    plural: str | None = None
    comments: tuple[str, ...] = ()  # for the translator, from {# Translators: ... #}


def used_messages(template_dirs: Sequence[Path] = ()) -> dict[MessageKey, UsedMessage]:
    """Every message the templates on the search path use: those in the templates a build
    finds (a user's template hides the built-in one of its name, unless it extends it as
    ``builtin/...``), first place first."""
    search_path = template_search_path(template_dirs)
    chosen: dict[str, Path] = {}
    for folder in search_path:
        for relative in _template_files(folder):
            chosen.setdefault(relative, folder)
    referenced = {
        match.group(1)
        for relative, folder in chosen.items()
        if folder != BUILTIN_TEMPLATES
        for match in _BUILTIN_REFERENCE.finditer(_template_text(folder, relative))
    }
    used: dict[MessageKey, UsedMessage] = {}
    for folder in search_path:
        wanted = {relative for relative, owner in chosen.items() if owner == folder}
        if folder == BUILTIN_TEMPLATES:
            wanted |= referenced & set(_template_files(folder))
        for found in _extract(folder):
            if found.file.relative_to(folder).as_posix() in wanted:
                used.setdefault(found.key, found)
    for found in _code_messages():
        used.setdefault(found.key, found)
    return used


def _template_bytes(folder: Path, relative: str) -> bytes:
    """A template as the build reads it (`reportgen.files`: a regular file within its cap,
    inside its folder), or nothing: a link out of the folder, a pipe or a huge file named
    ``*.j2`` is never opened here, and the build refuses it by name where it is used."""
    try:
        return files.read_bytes(folder / relative, files.TEMPLATE, (folder,))
    except FileRefusedError:
        return b""


def _template_text(folder: Path, relative: str) -> str:
    return _template_bytes(folder, relative).decode("utf-8", errors="replace")


def _template_files(folder: Path) -> list[str]:
    skipped = _SKIPPED.get(folder, ())
    names = []
    for root, folders, file_names in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith((".", "_")))
        relative = Path(root).relative_to(folder)
        names += [
            (relative / name).as_posix()
            for name in sorted(file_names)
            if name.endswith(".j2") and not (relative / name).as_posix().startswith(skipped)
        ]
    return names


def _extract(folder: Path) -> Iterator[UsedMessage]:
    """The messages of the templates in ``folder``, by Babel's Jinja extractor with the
    environment's own options, each template read by `_template_bytes`."""
    options = {name: str(value).lower() for name, value in ENVIRONMENT_OPTIONS.items()}
    options["trimmed"] = str(TRIMMED).lower()
    for relative in _template_files(folder):
        path = folder / relative
        content = _template_bytes(folder, relative)
        for line, message, comments, context in extract(
            _EXTRACTOR,
            io.BytesIO(content),
            comment_tags=(TRANSLATOR_COMMENT,),
            options=options,
            strip_comment_tags=True,
        ):
            if isinstance(message, tuple):
                singular = str(message[0])
                plural = str(message[1]) if len(message) > 1 else None
            else:
                singular, plural = str(message), None
            yield UsedMessage((context, singular), path, line, plural, tuple(comments))


def _code_messages() -> Iterator[UsedMessage]:
    for path in CODE_WITH_WORDS:
        for line, message, comments, context in extract_from_file(
            "python", path, comment_tags=(TRANSLATOR_COMMENT,), strip_comment_tags=True
        ):
            singular = str(message[0] if isinstance(message, tuple) else message)
            plural = str(message[1]) if isinstance(message, tuple) and len(message) > 1 else None
            yield UsedMessage((context, singular), path, line, plural, tuple(comments))


def _location(used: UsedMessage, folder: Path) -> tuple[str, int]:
    if used.file.is_relative_to(folder):
        return used.file.relative_to(folder).as_posix(), used.line
    return used.file.relative_to(_PACKAGE.parent).as_posix(), used.line


def ui_translation_problems(template_dirs: Sequence[Path], language: str) -> list[Problem]:
    """What keeps the templates' words from being all in ``language``, one problem each:

    - a message the templates use (see `used_messages`) that no catalog on the search path
      translates, or translates only fuzzily (its English changed since), at its template line;
      none for English, which the templates are written in;
    - a translation that would print wrongly, at its catalog line: placeholders that differ
      from the source's (Babel's checks), markup that differs, an empty plural form;
    - a catalog that does not read, at the line of each problem.

    ``template_dirs`` are the user's folders, as for `reportgen.templating.make_environment`.
    """
    search_path = template_search_path(template_dirs)
    problems: list[Problem] = []
    current: set[MessageKey] = set()
    fuzzy: dict[MessageKey, Problem] = {}
    for folder in search_path:
        path = catalog_path(folder, language)
        if not path.is_file():
            continue
        try:
            catalog = _read(path)
        except CatalogError as error:
            problems += error.problems
            continue
        shown = display_name(path)
        for message in messages_of(catalog):
            key = _key(message)
            problems += _message_problems(catalog, message, shown)
            if _usable(catalog, message):
                current.add(key)
            elif message.fuzzy and key not in fuzzy:
                fuzzy[key] = Problem(
                    shown,
                    message.lineno,
                    f"the translation of {key[1]!r} is fuzzy (its English changed, or it was "
                    "guessed): review it, then remove the fuzzy flag",
                )
    if language == SOURCE_LANGUAGE:
        return problems
    name = _language_name(language)
    targets = [catalog_path(folder, language) for folder in search_path]
    for key, used in used_messages(template_dirs).items():
        if key in current:
            continue
        if key in fuzzy:
            problems.append(fuzzy[key])
            continue
        owner = next(
            (folder for folder in search_path if used.file.is_relative_to(folder)),
            BUILTIN_TEMPLATES,
        )
        target = display_name(targets[search_path.index(owner)])
        if owner == BUILTIN_TEMPLATES and template_dirs:
            target = f"{display_name(catalog_path(template_dirs[0], language))} (yours)"
        problems.append(
            Problem(
                display_name(used.file),
                used.line,
                f"{key[1]!r} has no {name} translation: add it to {target} (`reportgen "
                "translations update --templates DIR` adds every missing one)",
            )
        )
    return problems


def _message_problems(catalog: Catalog, message: Message, shown: str) -> list[Problem]:
    if message.fuzzy:
        return []  # not used until reviewed; reported as fuzzy if a template needs it
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    msgid = _key(message)[1]
    found = [f"the translation of {msgid!r}: {error}" for error in message.check(catalog)]
    if isinstance(message.id, tuple) and any(strings) and not all(strings):
        found.append(f"the translation of {msgid!r} lacks a plural form: fill every msgstr[n]")
    markup = _markup_problem(message)
    if markup is not None:
        found.append(f"the translation of {msgid!r}: {markup}")
    return [Problem(shown, message.lineno, text) for text in found]


def _language_name(language: str) -> str:
    try:
        return f"{Locale.parse(language, sep='-').english_name} ({language})"
    except (UnknownLocaleError, ValueError):
        return repr(language)


def catalog_languages(template_dir: Path) -> list[str]:
    """The languages ``template_dir`` has catalogs for (``locale/<language>.po``), sorted."""
    return sorted(path.stem for path in (template_dir / LOCALE_FOLDER).glob("*.po"))


def update_template_catalogs(
    template_dir: Path, languages: Sequence[str], *, project: str = "reportgen templates"
) -> list[UpdateResult]:
    """Create or refresh ``template_dir/locale/<language>.po`` for each language from the
    messages of the templates in ``template_dir``.

    Babel's `Catalog.update` merges, as msgmerge does: translations of unchanged messages are
    kept, a message whose English changed keeps its old translation marked fuzzy, new ones are
    added untranslated, and those no template uses any more are kept as obsolete (``#~``).
    A catalog whose messages did not change is not rewritten.
    """
    found = list(_extract(template_dir))
    if template_dir.resolve() == BUILTIN_TEMPLATES:
        found += _code_messages()
    results = []
    for language in languages:
        template = _template_catalog(template_dir, found, language, project)
        path = catalog_path(template_dir, language)
        if path.exists():
            catalog = read_catalog(path)
            previous: bytes | None = render_po(catalog)
            known = {_key(m) for m in messages_of(catalog)}
            was_fuzzy = {_key(m) for m in messages_of(catalog) if m.fuzzy}
            was_obsolete = len(catalog.obsolete)
            catalog.update(template)
        else:
            catalog, previous, known, was_fuzzy, was_obsolete = template, None, set(), set(), 0
        messages = messages_of(catalog)
        # New this time and untranslated, as `reportgen.translations.catalog.update` counts.
        added = sum(1 for m in messages if _key(m) not in known and not m.fuzzy)
        stale = sum(1 for m in messages if m.fuzzy and _key(m) not in was_fuzzy)
        content = render_po(catalog)
        written = previous is None or unstamped(previous) != unstamped(content)
        if written:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, content)
        obsolete = max(0, len(catalog.obsolete) - was_obsolete)
        results.append(UpdateResult(path, len(template), added, stale, obsolete, written))
    return results


def _template_catalog(
    folder: Path, found: Sequence[UsedMessage], language: str, project: str
) -> Catalog:
    try:
        locale = Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        message = f"{language!r} is not a language Babel knows (CLDR)"
        raise CatalogError([Problem(display_name(folder), None, message)]) from None
    template = Catalog(
        locale=locale,
        project=project,
        header_comment=(
            f"# {locale.english_name} translation of the words of the templates in this folder.\n"
            "# Refresh with `reportgen translations update --templates DIR`; translate in any "
            "PO editor."
        ),
        creation_date=dt.datetime.now(dt.UTC),
        fuzzy=False,
    )
    for used in found:
        msgid: str | tuple[str, str] = (
            used.key[1] if used.plural is None else (used.key[1], used.plural)
        )
        where = _location(used, folder)
        existing = template.get(used.key[1], context=used.key[0])
        if existing is not None:
            existing.locations.append(where)
        else:
            template.add(msgid, context=used.key[0], locations=[where], auto_comments=used.comments)
    return template
