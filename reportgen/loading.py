"""YAML files to validated models; the only module that sees raw dicts, and maps errors to lines."""

from __future__ import annotations

import difflib
import os
import re
import types
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.types import StringConstraints
from pydantic_core import ErrorDetails

from reportgen import files
from reportgen.discovery import display_name, find_data_files
from reportgen.errors import DataError, FileRefusedError, Problem, describe_characters
from reportgen.models import Briefing, Identifier, Language

ModelT = TypeVar("ModelT", bound=BaseModel)

# A briefing is a few kilobytes; anything near this is a mistake or an attack on the parser.
MAX_FILE_BYTES = files.DATA.limit

# A briefing nests a few levels and holds a few thousand values; these bounds are far above
# that and far below what would make loading slow.
MAX_DEPTH = 40
MAX_EXPANDED_VALUES = 200_000

Location = tuple[int | str, ...]

# The tags of plain values, lists and mappings: all a briefing or a profile is made of. Others
# build values the models were not written for, some of them unordered (``!!set``), which
# would make two builds of the same file differ.
_YAML = "tag:yaml.org,2002:"
ALLOWED_TAGS: dict[type[yaml.Node], frozenset[str]] = {
    yaml.ScalarNode: frozenset(
        _YAML + name for name in ("str", "int", "float", "bool", "null", "timestamp", "merge")
    ),
    yaml.SequenceNode: frozenset({_YAML + "seq"}),
    yaml.MappingNode: frozenset({_YAML + "map"}),
}
TAG_ADVICE = {
    "set": "write a list instead",
    "omap": "write a mapping instead",
    "pairs": "write a mapping or a list instead",
    "binary": "write the value as text instead",
    "value": 'put a lone "=" in quotes',
}


# The common YAML mistakes in plain words with their fix, keyed by the start of PyYAML's
# "problem" (its own words for them name parser states: "expected <block end>").
YAML_HINTS = {
    # problem starts with: (plain words; the fix; whether the line to fix is where the
    # construct began rather than where PyYAML gave up)
    "found character '\\t' that cannot start any token": (
        "a tab: YAML indents with spaces, never tabs",
        "replace it with spaces",
        False,
    ),
    "expected <block end>": (
        "the indentation is off",
        "this line does not line up with the lines above it: keys of one mapping start in the "
        "same column, and the items of a list too (indent with spaces)",
        False,
    ),
    "could not find expected ':'": (
        "a key without its colon",
        "write each setting as `key: value`, with a colon and a space",
        True,
    ),
    "expected ',' or ']'": (
        "a list in [brackets] is not closed",
        "separate its items with commas and end it with ]",
        True,
    ),
    "expected ',' or '}'": (
        "a mapping in {braces} is not closed",
        "separate its entries with commas and end it with }",
        True,
    ),
    "found unexpected end of stream": (
        "a quotation mark is opened and never closed",
        "close the quoted text with the same quote it starts with",
        True,
    ),
}
QUOTE_LEFT_OPEN = "; or a quotation mark above is not closed, and runs on to this line"
UNQUOTED_COLON = (
    "a colon followed by a space inside a value",
    'put the value in quotes, e.g. title: "Note: a colon"',
)
MISSING_COLON = "a key without its colon: write {key}: {value}, with a colon and a space"
# `primary "#0b5d3b"` or `kind office`: a key and its value, but no colon between them. PyYAML
# reads the two as one text and stumbles a line later, on what looks like bad indentation.
_KEY_WITHOUT_COLON = re.compile(r"^(\s*(?:- )?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]+([^\s#:][^:]*?)\s*$")
BAD_INDENT = (
    "this line is indented more than the line above it, or the line above is not a "
    "`key: value` line",
    "line it up with the keys above, and give each key its colon",
)

# Plain words for the patterns some fields must match: messages never show the pattern.
PATTERN_WORDS: dict[str, str] = {}


def pattern_of(annotated: Any) -> str:
    """The pattern an ``Annotated[str, StringConstraints(pattern=...)]`` type checks."""
    for meta in get_args(annotated)[1:]:
        if isinstance(meta, StringConstraints) and isinstance(meta.pattern, str):
            return meta.pattern
    raise ValueError(f"{annotated!r} has no pattern")


PATTERN_WORDS[pattern_of(Identifier)] = (
    "use lower-case letters and digits, words joined by single hyphens, e.g. 'key-messages'"
)
PATTERN_WORDS[pattern_of(Language)] = "use a language code such as 'en', 'es' or 'es-MX'"


def alternatives(name: str, names: Sequence[str], intro: str) -> str:
    """ " (did you mean 'x'?); <intro>: a, b, c", the names closest to ``name`` first."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    ordered = [*close, *(other for other in names if other not in close)]
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{guess}; {intro}: {', '.join(ordered)}"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of silently keeping the last one."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML's own constructors raise bare ValueErrors (`2026-02-30`, `!!int abc`); give
        # them the node's position so they are reported like any other YAML error.
        try:
            return super().construct_object(node, deep=deep)
        # PyYAML's constructors fail on explicitly tagged odd values with other errors too
        # (`!!int` alone: IndexError; `!!timestamp x`: AttributeError; `!!bool ""`: KeyError).
        except (
            ValueError,
            TypeError,
            OverflowError,
            IndexError,
            KeyError,
            AttributeError,
        ) as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid value: {error}", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain values", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_briefing(path: Path) -> Briefing:
    """Read, parse and validate a briefing data file, or raise `DataError` listing every problem."""
    return load_model(path, Briefing)


def load_briefings(paths: Sequence[Path]) -> dict[str, Briefing]:
    """Every briefing in ``paths`` (files, and folders of them), by file name as messages name
    it. All are read before any problem is raised, and then every problem of every file is."""
    problems: list[Problem] = []
    briefings: dict[str, Briefing] = {}
    for data in find_data_files(paths):
        try:
            briefings[data.name] = load_briefing(data.path)
        except DataError as error:
            problems += error.problems
    problems += duplicate_ids((name, briefing.id) for name, briefing in briefings.items())
    if problems:
        raise DataError(problems)
    return briefings


def duplicate_ids(ids: Iterable[tuple[str, str]]) -> list[Problem]:
    """Two data files may not hold the same briefing (their PDFs would overwrite each other):
    a problem for each file, given as (file name, briefing id), whose id an earlier one has."""
    owners: dict[str, str] = {}
    problems = []
    for name, briefing_id in ids:
        if briefing_id in owners:
            message = f"briefing id {briefing_id!r} is also the id of {owners[briefing_id]}"
            problems.append(Problem(name, None, message, "id"))
        owners.setdefault(briefing_id, name)
    return problems


def load_model(
    path: Path,
    model: type[ModelT],
    *,
    kind: files.Kind = files.DATA,
    roots: Sequence[Path] | None = None,
) -> ModelT:
    """Read a YAML file into ``model``, reporting problems as ``file:line: field: message``.

    The file is read through `reportgen.files`: ``kind`` sets its size cap, and with ``roots``
    its real path must be inside one of them (a profile inside the folder it was found in).
    """
    return load_located(path, model, kind=kind, roots=roots)[0]


def load_located(
    path: Path,
    model: type[ModelT],
    *,
    kind: files.Kind = files.DATA,
    roots: Sequence[Path] | None = None,
) -> tuple[ModelT, dict[str, int]]:
    """`load_model`, and the line of every key and value in the file, by the dotted path a
    message names it with (``theme.logo``, ``sections.2``), for problems found later."""
    display = display_name(path)
    raw, root = _load(_read_text(path, display, kind, roots), display, construct=True)
    try:
        return model.model_validate(raw), field_lines(root)
    except ValidationError as error:
        details = _without_misspelt_missing(error.errors())
        problems = [_locate(display, root, detail, model) for detail in details]
        raise DataError(sorted(problems, key=lambda p: (p.line or 0, p.field or ""))) from None


def _without_misspelt_missing(details: Sequence[ErrorDetails]) -> list[ErrorDetails]:
    """A required key reported missing next to an unknown key that is its near spelling
    (``markings:`` for ``marking:``) is one mistake: only the unknown key, at its line, is."""
    unknown: dict[tuple[int | str, ...], list[str]] = {}
    for detail in details:
        if detail["type"] == "extra_forbidden" and detail["loc"]:
            unknown.setdefault(tuple(detail["loc"][:-1]), []).append(str(detail["loc"][-1]))

    def misspelt(detail: ErrorDetails) -> bool:
        if detail["type"] != "missing" or not detail["loc"]:
            return False
        near = unknown.get(tuple(detail["loc"][:-1]), [])
        name = str(detail["loc"][-1])
        return bool(difflib.get_close_matches(name, near, 1, 0.6))

    return [detail for detail in details if not misspelt(detail)]


def field_lines(root: yaml.Node) -> dict[str, int]:
    """The line of each key's value and each list item, by dotted path (the first is kept
    where an alias repeats a value)."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: tuple[object, ...], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if path:
            lines.setdefault(".".join(map(str, path)), node.start_mark.line + 1)
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index), depth + 1)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key_path = (*path, key_node.value)
                    lines.setdefault(".".join(map(str, key_path)), key_node.start_mark.line + 1)
                    walk(value_node, key_path, depth + 1)

    walk(root, (), 0)
    return lines


def _load(text: str, display: str, *, construct: bool) -> tuple[Any, yaml.Node]:
    """The YAML document in ``text``, as values (if ``construct``) and as its node tree."""
    try:
        # The reader checks every character as the loader is made, so this is inside the try.
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as error:
        # Control characters (NUL, for one): the reader knows the offset, not the line.
        line = text.count("\n", 0, error.position) + 1
        message = f"character U+{error.character:04X} is not allowed in YAML"
        raise DataError([Problem(display, line, message)]) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise DataError([Problem(display, 1, "file is empty")])
        _check_shape(root, display)
        return (loader.construct_document(root) if construct else None), root
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part)
        if isinstance(error, yaml.scanner.ScannerError | yaml.parser.ParserError):
            mark, message = _yaml_in_plain_words(error, text, mark, message)
        mark_line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise DataError([Problem(display, mark_line, message, column=column)]) from None
    except yaml.YAMLError as error:
        raise DataError([Problem(display, None, f"YAML error: {error}")]) from None
    except RecursionError:
        # PyYAML composes recursively; thousands of nested brackets exhaust Python's stack.
        raise DataError(
            [Problem(display, None, f"nested more than {MAX_DEPTH} levels deep")]
        ) from None
    finally:
        loader.dispose()


def _yaml_in_plain_words(
    error: yaml.MarkedYAMLError, text: str, mark: Any, message: str
) -> tuple[Any, str]:
    """The common YAML mistakes said in plain words with their fix, where the fix is needed.

    PyYAML reports an unclosed quote or a key without its colon where it gave up (the end of
    the file, the next line); the line to fix is where the quote or the key starts.
    """
    problem = error.problem or ""
    lines = text.splitlines()
    stumbles = (
        "mapping values are not allowed",
        "expected <block end>",
        "could not find expected ':'",
    )
    if mark is not None and problem.startswith(stumbles):
        colonless = _key_without_colon(lines, mark.line)
        if colonless is not None:
            return colonless
    if problem.startswith("mapping values are not allowed here") and mark is not None:
        value = lines[mark.line].partition(":")[2] if mark.line < len(lines) else ""
        words, fix = UNQUOTED_COLON if ": " in value or value.endswith(":") else BAD_INDENT
        return mark, f"{words}: {fix}"
    for start, (words, fix, at_start) in YAML_HINTS.items():
        if problem.startswith(start):
            where = (error.context_mark or mark) if at_start else mark
            # Text where a key should start: often the end of a quote left open above, which
            # ran on to the next quotation mark, on this line.
            open_quote = QUOTE_LEFT_OPEN if problem.endswith("'<scalar>'") else ""
            return where, f"{words}: {fix}{open_quote}"
    return mark, message


def _key_without_colon(lines: Sequence[str], line: int) -> tuple[Any, str] | None:
    """Where PyYAML stumbled (``line``, from 0) or on the line above: a line like ``key value``
    with no colon, its place and the fix; None if neither line looks like that."""
    above = [n for n in range(line - 1, -1, -1) if lines[n].strip() and not _is_comment(lines[n])]
    for number in [line, *above[:1]]:
        if number >= len(lines):
            continue
        written = lines[number].split(" #")[0] if '"' not in lines[number] else lines[number]
        match = _KEY_WITHOUT_COLON.match(written.rstrip())
        if match:
            indent, key, value = match.groups()
            place = yaml.Mark("", 0, number, len(indent), None, 0)
            return place, MISSING_COLON.format(key=key, value=_without_comment(value))
    return None


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _without_comment(value: str) -> str:
    """``"#0b5d3b"   # cover`` without its comment; a ``#`` inside quotes is not one."""
    quoted = re.match(r"""^("[^"]*"|'[^']*')""", value)
    if quoted:
        return quoted.group(1)
    return value.partition(" #")[0].strip()


def _read_text(
    path: Path, display: str, kind: files.Kind = files.DATA, roots: Sequence[Path] | None = None
) -> str:
    # A refusal names the file as written: for a link, `display` would name its target.
    written = _as_written(path)
    try:
        return files.read_text(path, kind, roots, shown=written)
    except FileRefusedError as error:
        raise DataError([Problem(error.file, error.line, error.reason)]) from None


def _as_written(path: Path) -> str:
    """``path`` relative to the current folder when under it, links left as they are."""
    absolute = Path(os.path.normpath(path.absolute()))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _check_shape(root: yaml.Node, display: str) -> None:
    """Refuse tags other than plain values, lists and mappings, recursive aliases, deep nesting
    and alias bombs before anything is built.

    Aliases share one node, so a file of a few lines can stand for billions of values
    ("billion laughs"); counting the expanded size catches that without expanding it.
    """
    sizes: dict[int, int] = {}

    def expanded_size(node: yaml.Node, open_nodes: tuple[int, ...]) -> int:
        _check_tag(node, display)
        if id(node) in open_nodes:
            raise _shape_error(display, node, "an alias refers to a value that contains it")
        if len(open_nodes) >= MAX_DEPTH:
            raise _shape_error(display, node, f"nested more than {MAX_DEPTH} levels deep")
        if id(node) in sizes:
            return sizes[id(node)]
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        total = 1 + sum(expanded_size(child, (*open_nodes, id(node))) for child in children)
        if total > MAX_EXPANDED_VALUES:
            raise _shape_error(
                display, node, f"expands to more than {MAX_EXPANDED_VALUES} values (alias bomb?)"
            )
        sizes[id(node)] = total
        return total

    expanded_size(root, ())


def _check_tag(node: yaml.Node, display: str) -> None:
    if node.tag in ALLOWED_TAGS.get(type(node), frozenset()):
        return
    short = node.tag.removeprefix(_YAML)
    shown = f"!!{short}" if short != node.tag else node.tag
    advice = TAG_ADVICE.get(short, "only plain values, lists and mappings are")
    raise _shape_error(display, node, f"YAML tag {shown} is not allowed; {advice}")


def _shape_error(display: str, node: yaml.Node, message: str) -> DataError:
    mark = node.start_mark
    return DataError([Problem(display, mark.line + 1, message, column=mark.column + 1)])


def _locate(
    display: str,
    root: yaml.Node | None,
    detail: ErrorDetails,
    model: type[BaseModel],
) -> Problem:
    """Find the line of the value an error is about, and the path a user would write to it."""
    node, path = _walk(root, detail["loc"])
    line = node.start_mark.line + 1 if node is not None else None
    message = plain_message(detail, model)
    return Problem(display, line, message, field=".".join(map(str, path)) or "(top level)")


def plain_message(detail: ErrorDetails, model: type[BaseModel]) -> str:
    """Pydantic's message in a designer's words: no class names, no patterns, and for an
    unknown key the nearest known one."""
    kind, context = detail["type"], detail.get("ctx") or {}
    if kind in PLAIN_MESSAGES:
        return PLAIN_MESSAGES[kind]
    if kind in ("value_error", "assertion_error") and "error" in context:
        return str(context["error"])  # without pydantic's "Value error, " in front
    special = _SPECIAL.get(kind)
    return special(detail, model) if special else detail["msg"]


def _missing(detail: ErrorDetails, model: type[BaseModel]) -> str:
    """``missing setting 'marking' (the classification marking ..., e.g. marking: PUBLIC)``:
    a setting of a profile, a field of a briefing."""
    if not detail["loc"]:
        return detail["msg"]
    key = str(detail["loc"][-1])
    owner = _model_at(model, detail["loc"][:-1])
    field = owner.model_fields.get(key) if owner is not None else None
    about = [(field.description or "").rstrip(".")] if field is not None else []
    if field is not None and field.examples:
        about.append(f"e.g. {key}: {field.examples[0]}")
    said = ", ".join(part[:1].lower() + part[1:] for part in about if part)
    noun = "field" if model is Briefing else "setting"
    return f"missing {noun} {key!r}" + (f" ({said})" if said else "")


def _unknown_key(detail: ErrorDetails, model: type[BaseModel]) -> str:
    key = str(detail["loc"][-1])
    names = _fields_at(model, detail["loc"][:-1])
    return f"unknown key {key!r}" + (alternatives(key, names, "the keys here are") if names else "")


def _pattern_words(detail: ErrorDetails, model: type[BaseModel]) -> str:
    pattern = str((detail.get("ctx") or {}).get("pattern"))
    return f"{detail['input']!r}: {PATTERN_WORDS.get(pattern, 'not in the form this key takes')}"


def _unknown_kind(detail: ErrorDetails, model: type[BaseModel]) -> str:
    context = detail.get("ctx") or {}
    kinds = [tag.strip("' ") for tag in str(context.get("expected_tags", "")).split(",")]
    tag = str(context.get("tag"))
    return f"{tag!r} is not a kind of section" + alternatives(tag, kinds, "the kinds are")


_SPECIAL = {
    "missing": _missing,
    "extra_forbidden": _unknown_key,
    "string_pattern_mismatch": _pattern_words,
    "union_tag_invalid": _unknown_kind,
}
PLAIN_MESSAGES = {
    "union_tag_not_found": "a section needs a kind (`reportgen reference` lists them)",
    "model_type": "should be a set of `key: value` lines",
    "model_attributes_type": "should be a set of `key: value` lines",
    "dict_type": "should be a set of `key: value` lines",
    "tuple_type": "should be a list: [a, b], or one `- item` per line",
    "list_type": "should be a list: [a, b], or one `- item` per line",
    "frozen_set_type": "should be a list: [a, b], or one `- item` per line",
    "set_type": "should be a list: [a, b], or one `- item` per line",
}


def _fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str] | None:
    """The keys of the mapping at ``loc`` in a file of ``model``, or None if not a model."""
    owner = _model_at(model, loc)
    return list(owner.model_fields) if owner is not None else None


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model of the mapping at ``loc`` in a file of ``model``, or None if not one model."""
    annotation: Any = model
    for step in loc:
        annotation = _step(annotation, step)
        if annotation is None:
            return None
    classes = [m for m in _members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    return classes[0] if len(classes) == 1 else None


def _members(annotation: Any) -> list[Any]:
    """The types an annotation allows: ``Annotated`` and unions unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [member for arg in get_args(annotation) for member in _members(arg)]
    return [annotation]


def _step(annotation: Any, step: int | str) -> Any:
    for member in _members(annotation):
        if (
            isinstance(member, type)
            and issubclass(member, BaseModel)
            and isinstance(step, str)
            and step in member.model_fields
        ):
            return member.model_fields[step].annotation
        if get_origin(member) in (tuple, list, frozenset) and isinstance(step, int):
            return get_args(member)[0]
    # A discriminated union's tag (a section's kind) is a step of its own in pydantic's path.
    tagged = [
        member
        for member in _members(annotation)
        if isinstance(member, type)
        and issubclass(member, BaseModel)
        and "kind" in member.model_fields
        and step in get_args(member.model_fields["kind"].annotation)
    ]
    return tagged[0] if tagged else None


def _walk(root: yaml.Node | None, loc: Location) -> tuple[yaml.Node | None, Sequence[int | str]]:
    """Follow an error location through the YAML node tree, to the deepest node that exists.

    Pydantic puts the tag of a discriminated union (a section's ``kind``) into the location; it
    is not a key of the file, so it is left out of the path a user sees. A missing field stays in
    the path, and the line is that of the mapping it is missing from.
    """
    node = root
    path: list[int | str] = []
    for step in loc:
        child = _child(node, step)
        if child is not None:
            node = child
        elif _is_union_tag(node, step):
            continue
        path.append(step)
    return node, path


def _is_union_tag(node: yaml.Node | None, step: int | str) -> bool:
    return isinstance(node, yaml.MappingNode) and any(
        isinstance(value, yaml.ScalarNode) and value.value == step for _, value in node.value
    )


def _child(node: yaml.Node | None, step: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == step:
                return value_node  # type: ignore[no-any-return]
    elif (
        isinstance(node, yaml.SequenceNode)
        and isinstance(step, int)
        and 0 <= step < len(node.value)
    ):
        return node.value[step]  # type: ignore[no-any-return]
    return None


def find_characters(
    path: Path, characters: Sequence[str], message: str, shown: Collection[str] | None = None
) -> tuple[list[Problem], set[str]]:
    """Where in the YAML file at ``path`` any of ``characters`` is typed, and which were found.

    One problem per value holding any of them, at the line and column of the first: ``message``
    with ``{}`` replaced by the characters that value holds, described so a user can find them.
    With ``shown``, only values whose text is among those strings count: the ones a variant
    draws, so that a character a template also draws is not blamed on a hidden field.
    """
    display = display_name(path)
    text = _read_text(path, display)
    _, root = _load(text, display, construct=False)
    wanted = set(characters)
    problems: list[Problem] = []
    found: set[str] = set()
    for node, field in _scalars(root):
        held = sorted(wanted.intersection(node.value), key=node.value.index)
        if not held or (shown is not None and node.value.strip() not in shown):
            continue
        found.update(held)
        # Where the first is typed as itself; written as an escape ("\u4eba"), at the value.
        start, end = node.start_mark.index, node.end_mark.index
        at = text.find(held[0], start, end)
        at = start if at < 0 else at
        line = text.count("\n", 0, at) + 1
        column = at - text.rfind("\n", 0, at)
        described = describe_characters(held)
        problems.append(Problem(display, line, message.format(described), field, column))
    return problems, found


def _scalars(root: yaml.Node) -> Iterator[tuple[yaml.ScalarNode, str]]:
    """Every scalar value in the document once, with the first path a user would write to it.

    Once: an anchored value stands wherever it is aliased, but is typed in one place. Keys merged
    in with ``<<`` are paths of the mapping they are merged into.
    """
    seen: set[int] = set()

    def walk(node: yaml.Node, path: tuple[int | str, ...]) -> Iterator[tuple[yaml.ScalarNode, str]]:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            yield node, ".".join(map(str, path)) or "(top level)"
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                yield from walk(item, (*path, index))
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag != "tag:yaml.org,2002:merge":
                    yield from walk(value_node, (*path, key_node.value))
                elif isinstance(value_node, yaml.SequenceNode):  # <<: [*one, *other]
                    for merged in value_node.value:
                        yield from walk(merged, path)
                else:
                    yield from walk(value_node, path)

    return walk(root, ())
