"""A briefing's PO catalogs: where they are, reading them with their errors located, and
refreshing them from the data with Babel's own merge."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, denormalize, read_po, write_po

from reportgen import files
from reportgen.build.output import write_atomically
from reportgen.discovery import display_name
from reportgen.editions import catalog_path
from reportgen.errors import CatalogError, Problem
from reportgen.translations.fields import Entry

_NUMBER = re.compile(r"\d+")
# What a PO line may be, besides a comment: a keyword and one string, or a string continuing the
# last one. Babel's reader drops a message whose quote is not closed instead of saying so.
_STRING = r'"(?:[^"\\]|\\.)*"'
_KEYWORD_LINE = re.compile(rf"(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+{_STRING}")
_CONTINUATION = re.compile(_STRING)
_PREVIOUS = "#| msgid "
# Babel stamps these with the time of writing: a catalog whose messages did not change is left
# as it is rather than rewritten with a new date.
_STAMPS = (b'"POT-Creation-Date: ', b'"PO-Revision-Date: ')
WIDTH = 79


def read_catalog(path: Path) -> Catalog:
    """The catalog in ``path``, or `CatalogError` naming the file and line of each problem: PO
    syntax, and translations whose numbers differ from the source text's."""
    shown = display_name(path)
    content = files.read_bytes(path, files.DATA, shown=shown)
    try:
        lines = content.decode("utf-8").splitlines()
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise CatalogError([Problem(shown, line, "not UTF-8: save the file as UTF-8")]) from None
    if syntax := _syntax_problems(lines, shown):
        raise CatalogError(syntax)
    try:
        catalog = read_po(io.BytesIO(content), abort_invalid=True)
    except PoFileError as error:
        message = str(error.args[0]).removesuffix(f" on {error.lineno}")
        raise CatalogError([Problem(shown, error.lineno + 1, f"PO syntax: {message}")]) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise CatalogError([Problem(shown, None, f"not a readable PO file: {error}")]) from None
    _read_previous(lines, catalog)
    problems = [
        Problem(shown, message.lineno, mismatch, message.context)
        for message in messages_of(catalog)
        if isinstance(message.string, str)
        and message.string
        and not message.fuzzy
        and (mismatch := numbers_mismatch(str(message.id), message.string))
    ]
    if problems:
        raise CatalogError(problems)
    return catalog


def _syntax_problems(lines: list[str], shown: str) -> list[Problem]:
    problems = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text.startswith("#~"):
            text = text[2:].strip()  # an obsolete message: the same syntax, commented out
        elif text.startswith("#"):
            continue
        if not text or _KEYWORD_LINE.fullmatch(text) or _CONTINUATION.fullmatch(text):
            continue
        if '"' in text:
            message = "PO syntax: a string must be in double quotes, closed on its line"
        else:
            message = "PO syntax: expected msgctxt, msgid or msgstr and a quoted string"
        problems.append(Problem(shown, number, message))
    return problems


def _read_previous(lines: list[str], catalog: Catalog) -> None:
    """Give each stale message the source text it was translated from (``#| msgid``), which
    Babel writes but does not read back."""
    blocks: list[tuple[int, str]] = []
    pending: list[str] | None = None
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text.startswith(_PREVIOUS):
            pending = [text.removeprefix(_PREVIOUS)]
        elif pending is not None and text.startswith('#| "'):
            pending.append(text[3:])
        elif pending is not None:
            blocks.append((number, denormalize("\n".join(pending))))
            pending = None
    messages = sorted(messages_of(catalog), key=lambda message: message.lineno or 0)
    for block_line, previous in blocks:
        following = next((m for m in messages if (m.lineno or 0) >= block_line), None)
        if following is not None and following.fuzzy:
            following.previous_id = [previous]


def numbers_mismatch(source: str, translation: str) -> str | None:
    """Why ``translation`` does not carry the numbers of ``source``, or None if it does.

    A number is a run of digits, so "1,250.5" and "1 250,5" hold the same numbers (1, 250, 5)
    and "47th" and "47.ª" the same one: a translation keeps every figure, as often as the
    source gives it, and adds none.
    """
    wanted, given = Counter(_NUMBER.findall(source)), Counter(_NUMBER.findall(translation))
    if wanted == given:
        return None
    parts = []
    if missing := sorted((wanted - given).elements()):
        parts.append(f"lacks {', '.join(missing)}")
    if extra := sorted((given - wanted).elements()):
        parts.append(f"adds {', '.join(extra)}")
    return f"the translation {' and '.join(parts)}: keep the numbers of the source text"


@dataclass(frozen=True)
class UpdateResult:
    """What `update` did to one catalog."""

    path: Path
    strings: int
    added: int  # with no translation yet
    stale: int  # the source changed: the old translation kept, marked fuzzy
    obsolete: int  # no longer in the data: kept as #~ entries
    written: bool  # False when the file was already up to date


def update(
    data: Path,
    entries: Iterable[Entry],
    language: str,
    *,
    project: str,
) -> UpdateResult:
    """Create or refresh the ``language`` catalog of the briefing in ``data`` from its
    translatable ``entries``.

    Babel's `Catalog.update` merges, as msgmerge does: translations of unchanged strings kept,
    new strings added untranslated, strings gone made obsolete. Its own fuzzy matching
    compares source texts only, and would lend a field the translation of a similar one
    elsewhere (a talking point restates a key message), so it is off, and two exact matches
    take its place: the same text under a new context (an item moved) keeps its translation,
    and a new text under a known context (the source changed) keeps the old one marked fuzzy.
    """
    path = catalog_path(data, language)
    template = _template(data, entries, language, project)
    old = read_catalog(path) if path.exists() else None
    if old is None:
        catalog, added, stale, obsolete = template, len(template), 0, 0
        previous = None
    else:
        # Compared as Babel writes it, so a file a PO editor wrapped its own way is left alone.
        previous = render_po(old)
        catalog = old
        added, stale, obsolete = _merge(catalog, template)
    content = render_po(catalog)
    written = previous is None or unstamped(previous) != unstamped(content)
    if written:
        write_atomically(path, content)
    return UpdateResult(path, len(template), added, stale, obsolete, written)


def _template(data: Path, entries: Iterable[Entry], language: str, project: str) -> Catalog:
    try:
        locale = Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        message = f"{language!r} is not a language Babel knows (CLDR)"
        raise CatalogError([Problem(display_name(data), None, message, "translations")]) from None
    template = Catalog(
        locale=locale,
        project=project,
        header_comment=(
            f"# {locale.english_name} translation of {data.name}.\n"
            "# Refresh with `reportgen translations update`; translate in any PO editor."
        ),
        creation_date=dt.datetime.now(dt.UTC),
        fuzzy=False,
    )
    for entry in entries:
        where = [(data.name, entry.line)] if entry.line is not None else []
        template.add(entry.text, context=entry.context, locations=where)
    return template


def _merge(catalog: Catalog, template: Catalog) -> tuple[int, int, int]:
    """Merge ``template`` into ``catalog``; how many strings are new, newly stale, obsolete."""
    before = {(m.id, m.context): m for m in messages_of(catalog)}
    known_obsolete = set(catalog.obsolete)
    translated = {m.id: m.string for m in before.values() if m.string and not m.fuzzy}
    catalog.update(template, no_fuzzy_matching=True)
    unmatched = []
    for message in messages_of(catalog):
        previous = before.get((message.id, message.context))
        if previous is not None:
            # Babel takes the message from the template, which has no previous text.
            message.previous_id = previous.previous_id
        elif message.id in translated:  # moved: the same English under another context
            message.string = translated[message.id]
            for key in [key for key, m in catalog.obsolete.items() if m.id == message.id]:
                del catalog.obsolete[key]
        else:
            unmatched.append(message)
    # Only after every moved string has found its own, so that of two items swapped and
    # reworded, neither takes the other's translation.
    by_context = {m.context: key for key, m in catalog.obsolete.items() if m.string}
    stale = 0
    for message in unmatched:
        if by_context.get(message.context) in catalog.obsolete:
            old = catalog.obsolete.pop(by_context[message.context])
            message.string = old.string
            message.flags.add("fuzzy")
            message.previous_id = [str(old.id)]
            stale += 1
    return len(unmatched) - stale, stale, len(set(catalog.obsolete) - known_obsolete)


def messages_of(catalog: Catalog) -> list[Message]:
    """The catalog's messages, without its header."""
    return [message for message in catalog if message.id]


def render_po(catalog: Catalog) -> bytes:
    """The catalog as reportgen writes PO files: wrapped at WIDTH, previous texts kept."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, include_previous=True, sort_output=False)
    return buffer.getvalue()


def unstamped(content: bytes) -> list[bytes]:
    """The lines of a PO file but its time stamps: what says whether it changed."""
    return [line for line in content.splitlines() if not line.startswith(_STAMPS)]
