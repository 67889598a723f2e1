"""The Jinja2 environment: sandboxed, autoescaped, strict; and rendering a variant to HTML."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent
from jinja2 import lexer, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from reportgen import charts, files, theming
from reportgen.audiences import Audience, Theme
from reportgen.context import Record, label_of, plain
from reportgen.editions import Edition
from reportgen.errors import FileRefusedError, ReportgenError, TemplateError
from reportgen.loading import alternatives
from reportgen.models import Briefing, BudgetResolutionSection, Source
from reportgen.resources import BUILTIN_TEMPLATES, template_search_path
from reportgen.translations.interface import (
    ENVIRONMENT_OPTIONS,
    TRIMMED,
    InterfaceTranslations,
    interface_translations,
)

BUILTIN_PREFIX = "builtin"
NO_TEMPLATE_LINE = "while rendering"

# The functions a template is given, besides Jinja's own globals (range, dict, lipsum, cycler,
# joiner, namespace), each with how it is called and what it gives, for `reportgen.reference`.
# Each is a plain function returning text or Markup: a function's only attributes are
# underscored (__globals__, __closure__...), which the sandbox refuses, so a helper leads
# nowhere but to what it returns.
HELPERS: dict[str, tuple[str, str]] = {
    "cite": ("cite(section.sources)", "footnotes for a list of source ids"),
    "full_citation": ("full_citation(source)", "a source written out in full"),
    "percent": ("percent(section.increment_percent_of_base)", "a percentage, e.g. 33.33 %"),
    "number": ("number(section.shortfall_points)", "a number written for the language"),
    "long_date": ("long_date(briefing.date)", "a date written out, e.g. 1 December 2026"),
    "month_year": ("month_year(event.date)", "a partial date: September 2015, or the year"),
    "budget_chart": ("budget_chart(section)", "a budget_resolution section's chart (SVG)"),
    "asset_url": ("asset_url('img/logo.svg')", "the URL of a file in your folders, then ours"),
    "theme_css": ("theme_css(audience.theme)", "the theme as CSS custom properties"),
    "_": ("_('Contents')", "the words in the edition's language (templates' `locale/*.po`)"),
    "gettext": ("gettext('Contents')", "the same as `_()`"),
    "ngettext": ("ngettext('%(n)s text', '%(n)s texts', n)", "singular or plural, translated"),
    "pgettext": ("pgettext('table', 'Year')", "a translation for one context of a word"),
    "npgettext": ("npgettext('table', 'year', 'years', n)", "ngettext for one context"),
    "css_content": (
        "css_content(_('Page %(page)s of %(pages)s'))",
        "a CSS content value: the text quoted, %(page)s and %(pages)s as page counters",
    ),
}
# The data a template is given (see `template_context`).
DATA_NAMES = ("briefing", "audience", "edition")
# Jinja's i18n extension gives {% trans %} and _(); the gettext functions behind them come with
# each render's context, in the edition's language.
EXTENSIONS = ("jinja2.ext.i18n",)
GETTEXT_NAMES = ("_", "gettext", "ngettext", "pgettext", "npgettext")
OUTSIDE_A_BLOCK = "text outside a block is ignored by Jinja; put it inside {% block ... %}"
BUILTIN_WORDS = theming.BUILTIN_WORDS
STARTER_FOLDER = "starter/"  # what `init-template` copies: not a template to use as it is
_INNERMOST = re.compile(r"The innermost block that needs to be closed is '(\w+)'")


class _DesignerError(jinja2.TemplateSyntaxError):
    """A mistake in a template that reportgen words itself: its message is shown as it is."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, refusing every name that starts with an underscore.

    The sandbox already refuses such a name when the object has it; when it does not, Jinja
    would say "no attribute", which tells a template author which private names exist and
    reads as a typo rather than as the refusal it is. Data never has such names. An Undefined
    is left to Jinja, so that ``a.__init__.__globals__`` reports the first refusal, not this one.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute.startswith("_") and not isinstance(obj, jinja2.Undefined):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if (
            isinstance(argument, str)
            and argument.startswith("_")
            and not isinstance(obj, jinja2.Undefined)
        ):
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Jinja's only hook after parsing. A template that extends another renders nothing
        # but its blocks, so text outside them, or a block its parent does not have, would
        # vanish from the PDF without a word.
        try:
            tree = super()._parse(source, name, filename)
        except jinja2.TemplateSyntaxError as error:
            unclosed = _unclosed_tag(self, source, error) or _inside_trans(source, error)
            if unclosed is None:
                raise
            raise _DesignerError(unclosed[1], unclosed[0], name, filename) from None
        extends = list(tree.find_all(nodes.Extends))
        if extends:
            for node in tree.body:
                line = _output_outside_blocks(node)
                if line is not None:
                    raise _DesignerError(OUTSIDE_A_BLOCK, line, name, filename)
        if len(extends) == 1 and isinstance(extends[0].template, nodes.Const):
            parent = extends[0].template.value
            if isinstance(parent, str):
                self._check_blocks(tree, parent, extends[0].lineno, name, filename)
        return tree

    def _check_blocks(
        self,
        tree: nodes.Template,
        parent: str,
        line: int,
        name: str | None,
        filename: str | None,
    ) -> None:
        """The parent must exist, and each block the child fills must be one of its blocks."""
        try:
            known = self._blocks_of(parent, {name or ""})
        except jinja2.TemplateNotFound:
            raise _DesignerError(no_template(self, parent), line, name, filename) from None
        if known is None:
            return  # the parent itself is broken: Jinja reports that when it loads it
        for block in _own_blocks(tree):
            if block.name not in known:
                close = difflib.get_close_matches(block.name, known, n=1, cutoff=0.6)
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                message = (
                    f"block {block.name!r} is not a block of {parent}; its blocks are: "
                    f"{', '.join(known)}{guess}"
                )
                raise _DesignerError(message, block.lineno, name, filename)

    def _blocks_of(self, name: str, seen: set[str]) -> list[str] | None:
        """Every block of template ``name`` and of those it extends, in order; None when one
        of them cannot be read or parsed (the build then stops there, in Jinja's own way)."""
        if name in seen or self.loader is None:
            return []  # a template extending itself: nothing more to learn here
        try:
            source, filename, _ = self.loader.get_source(self, name)
            tree = jinja2.Environment._parse(self, source, name, filename)
        except (jinja2.TemplateSyntaxError, ReportgenError):
            return None
        blocks = [block.name for block in tree.find_all(nodes.Block)]
        for extends in tree.find_all(nodes.Extends):
            if isinstance(extends.template, nodes.Const) and isinstance(
                extends.template.value, str
            ):
                try:
                    inherited = self._blocks_of(extends.template.value, seen | {name})
                except jinja2.TemplateNotFound:
                    return None
                if inherited is None:
                    return None
                blocks += inherited
        return list(dict.fromkeys(blocks))


def _own_blocks(node: nodes.Node) -> list[nodes.Block]:
    """The blocks a template fills: those not inside another block (a block inside one is a
    new block of the child's own, rendered where it stands)."""
    found: list[nodes.Block] = []
    for inner in node.iter_child_nodes():
        if isinstance(inner, nodes.Block):
            found.append(inner)
        else:
            found += _own_blocks(inner)
    return found


def _unclosed_tag(
    environment: jinja2.Environment, source: str, error: jinja2.TemplateSyntaxError
) -> tuple[int, str] | None:
    """For a tag left open (``{% block %}`` without its ``{% endblock %}``): the line to fix
    and a message saying so; None for any other syntax error."""
    text = error.message or ""
    innermost = _INNERMOST.search(text)
    at_end = text.startswith("Unexpected end of template")
    if not innermost or not (at_end or text.startswith("Encountered unknown tag 'end")):
        return None
    tag = innermost.group(1)
    opened: list[tuple[int, str]] = []
    try:
        tokens = list(environment._tokenize(source, None))
    except jinja2.TemplateSyntaxError:
        return None
    for index, token in enumerate(tokens[:-1]):
        if not at_end and token.lineno >= error.lineno:
            break
        if token.type != lexer.TOKEN_BLOCK_BEGIN or tokens[index + 1].type != lexer.TOKEN_NAME:
            continue
        word = tokens[index + 1].value
        if word == tag:
            after = tokens[index + 2] if index + 2 < len(tokens) else None
            label = after.value if after is not None and after.type == lexer.TOKEN_NAME else ""
            opened.append((token.lineno, f"{tag} {label}".strip() if tag == "block" else tag))
        elif word == f"end{tag}" and opened:
            opened.pop()
    line, shown = opened[-1] if opened else (error.lineno, tag)
    if at_end:
        return line, (
            f"{{% {shown} %}} is never closed: add {{% end{tag} %}} where it ends (the file "
            "ended while it was still open)"
        )
    found = text.removeprefix("Encountered unknown tag ").partition(".")[0]
    return error.lineno, (
        f"{{% {found.strip(chr(39))} %}} here, but {{% {shown} %}} of line {line} is still "
        f"open: close it first with {{% end{tag} %}}"
    )


_TRANS_TAG = re.compile(r"\{%-?\s*(trans|endtrans)\b")
TRANS_NAMES_ONLY = (
    "inside {% trans %} only plain names can be shown, as {{ year }}: name each value in the "
    "tag, as in {% trans year=section.established %}In {{ year }}...{% endtrans %}"
)


def _inside_trans(source: str, error: jinja2.TemplateSyntaxError) -> tuple[int, str] | None:
    """For ``{{ section.year }}`` or a filter inside a {% trans %} block, which Jinja words as
    a token it did not expect: the line, and how to name the value instead."""
    text = error.message or ""
    if not text.startswith("expected token 'end of print statement'"):
        return None
    lines = source.splitlines()
    opened = _TRANS_TAG.findall("\n".join(lines[: error.lineno - 1]))[-1:] == ["trans"]
    here = error.lineno <= len(lines) and "trans" in _TRANS_TAG.findall(lines[error.lineno - 1])
    return (error.lineno, TRANS_NAMES_ONLY) if opened or here else None


def _output_outside_blocks(node: nodes.Node) -> int | None:
    """The line of the first text or ``{{ }}`` in ``node`` that is not inside a block or a
    macro (whitespace between blocks is fine), or None."""
    if isinstance(node, nodes.Block | nodes.Macro | nodes.CallBlock):
        return None
    if isinstance(node, nodes.Output):
        for part in node.nodes:
            if not isinstance(part, nodes.TemplateData):
                return part.lineno
            if part.data.strip():
                leading = part.data[: len(part.data) - len(part.data.lstrip())]
                return part.lineno + leading.count("\n")
        return None
    for inner in node.iter_child_nodes():
        line = _output_outside_blocks(inner)
        if line is not None:
            return line
    return None


class _Undefined(jinja2.StrictUndefined):
    """Jinja's strict undefined, saying in a designer's words what was asked for and what
    there is instead, closest first, rather than naming Python classes."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        name, owner = self._undefined_name, self._undefined_obj
        if self._undefined_hint:
            return self._undefined_hint
        if owner is jinja2.utils.missing:
            return f"there is no {name!r}"  # `render_html` adds the names there are
        if isinstance(owner, Record):
            return f"{label_of(owner)} has no field {name!r}" + alternatives(
                str(name), list(owner), "its fields are"
            )
        if isinstance(owner, tuple):
            return (
                f"a list has no field {name!r}: go through its items with "
                "{% for item in ... %}, or pick one with [0]"
            )
        if callable(owner):
            return f"a function has no field {name!r}: call it, as in {HELPERS['asset_url'][0]}"
        what = "text" if isinstance(owner, str) else "a number" if _is_number(owner) else "it"
        return f"{what} has no field {name!r}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


class TemplateLoader(jinja2.BaseLoader):
    """Templates from the search path, earlier folders first, each read through the rule of
    `reportgen.files`: inside the search path once links are followed, a regular file, at most
    1 MiB, UTF-8.

    ``builtin/<name>`` is the built-in template of that name, so a user's template can extend
    the very one it replaces; as with Pelican's ``ChoiceLoader`` over a ``PrefixLoader``, the
    name is first looked up as it is (a user folder may have a ``builtin/`` folder of its own).
    """

    def __init__(self, search_path: Sequence[Path]) -> None:
        self.search_path = tuple(search_path)
        self._roots = tuple(folder.resolve() for folder in self.search_path)

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)  # refuses ".." as not found
        found = _first_existing(self.search_path, pieces)
        if found is None and len(pieces) > 1 and pieces[0] == BUILTIN_PREFIX:
            found = _first_existing((BUILTIN_TEMPLATES,), pieces[1:])
        if found is None:
            raise jinja2.TemplateNotFound(template)
        contents = files.read(found, files.TEMPLATE, self._roots)
        source = files.decode(contents.data, str(found))

        def uptodate() -> bool:
            # Templates do not change during a build; this keeps a long-lived environment
            # (tests, a future `serve`) from rendering a stale one.
            try:
                return contents.real.stat().st_mtime_ns == contents.mtime_ns
            except OSError:
                return False

        return source, str(found), uptodate

    def searched(self) -> str:
        """Where a template name is looked up, in plain words, for a message about one that
        is not there."""
        return theming.searched(self.search_path)

    def names(self) -> list[str]:
        """Every template name there is (``*.j2``), the built-in ones also as ``builtin/...``,
        for suggesting the one meant. Names only: nothing is read."""
        builtin = [
            name
            for name in _template_names(BUILTIN_TEMPLATES)
            if not name.startswith(STARTER_FOLDER)
        ]
        names: list[str] = []
        for folder in self.search_path:
            names += builtin if folder == BUILTIN_TEMPLATES else _template_names(folder)
        names += [f"{BUILTIN_PREFIX}/{name}" for name in builtin]
        return list(dict.fromkeys(names))


def _template_names(folder: Path) -> list[str]:
    names = []
    for root, folders, file_names in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        relative = Path(root).relative_to(folder)
        names += [
            (relative / name).as_posix() for name in sorted(file_names) if name.endswith(".j2")
        ]
    return names


def _stem(name: str) -> str:
    return name.removesuffix(".j2").removesuffix(".html")


def no_template(environment: jinja2.Environment, name: str) -> str:
    """ "there is no template 'x' (did you mean 'y'?); looked in ...", for a name a template or a
    profile asks for."""
    message = f"there is no template {name!r}"
    loader = environment.loader
    if not isinstance(loader, TemplateLoader):
        return message
    names = loader.names()
    # Compared without the ending every template shares: 'press.html.j2' is not near
    # 'macros.html.j2' for the '.html.j2' they have in common.
    stems = {_stem(other): other for other in reversed(names)}
    close = difflib.get_close_matches(_stem(name), list(stems), n=1, cutoff=0.6)
    if close:
        message += f" (did you mean {stems[close[0]]!r}?)"
    else:
        folder = name.rpartition("/")[0]
        nearby = [other for other in names if other.rpartition("/")[0] == folder]
        if nearby:
            message += f"; the templates in {folder or 'the top folder'} are: {', '.join(nearby)}"
    if name.startswith(f"{BUILTIN_PREFIX}/"):
        return f"{message}; a name starting with {BUILTIN_PREFIX}/ is one of {BUILTIN_WORDS}"
    return f"{message}; {loader.searched()}"


def _first_existing(folders: Sequence[Path], pieces: Sequence[str]) -> Path | None:
    """The first ``folder/pieces`` that is there at all, links that lead nowhere included: the
    loader then refuses it by name, rather than quietly falling back to a later folder."""
    for folder in folders:
        candidate = folder.joinpath(*pieces)
        try:
            candidate.lstat()
        except (OSError, ValueError):
            continue
        return candidate
    return None


def make_environment(user_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """A sandboxed environment over the user's template folders, then the built-in ones.

    A user template replaces the built-in one of the same name everywhere, and can still extend
    the original as ``builtin/<name>`` (``{% extends "builtin/briefing.html.j2" %}``).

    Autoescaping is on for every template whatever its extension: ``select_autoescape`` would
    leave ``*.html.j2`` unescaped. A strict undefined turns a misspelt name into an error
    instead of an empty string in a finished PDF.
    """
    loader = TemplateLoader(template_search_path(user_dirs))
    environment = _Sandbox(
        loader=loader,
        autoescape=True,
        undefined=_Undefined,
        extensions=list(EXTENSIONS),
        **ENVIRONMENT_OPTIONS,
    )
    environment.policies["ext.i18n.trimmed"] = TRIMMED
    # The extension's own `_` reads gettext from the context it is passed, and carries Jinja's
    # marker attribute for that; the render context gives a plain `_` instead.
    del environment.globals["_"]
    find_asset = theming.AssetFinder(template_search_path(user_dirs))

    # Wrapped, not handed over: templates must not reach the finder's folders (Path objects
    # that read and write any file).
    def asset_url(relative: str) -> str:
        return find_asset(relative)

    def theme_css(theme: object) -> Markup:
        return theming.theme_css(_as_theme(theme), find_asset)

    environment.globals["asset_url"] = asset_url
    environment.globals["theme_css"] = theme_css
    return environment


def css_content(text: str) -> Markup:
    """``text`` as the value of a CSS ``content`` property: quoted, with ``%(page)s`` and
    ``%(pages)s`` as the page counters. Stylesheets cannot call gettext, so a template writes
    their words into a ``<style>`` element with this, from a whole translated sentence."""
    pieces = []
    for index, part in enumerate(_PAGE_COUNTER.split(str(text))):
        if index % 2:
            pieces.append(f"counter({part})")
        elif part:
            pieces.append(_css_string(part.replace("%%", "%")))
    return Markup(" ".join(pieces) or '""')


_PAGE_COUNTER = re.compile(r"%\((page|pages)\)s")


def _css_string(text: str) -> str:
    # Escaped by code point: a quote or backslash cannot end the string, a line break cannot
    # end the declaration, and "<" cannot close the <style> element the rule is written in.
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\<>&' or ord(char) < 0x20 or ord(char) == 0x7F else char
        for char in text
    )
    return f'"{escaped}"'


def render_html(
    briefing: Briefing,
    audience: Audience,
    environment: jinja2.Environment | None = None,
    edition: Edition | None = None,
) -> str:
    """Render one audience's variant of an already tailored briefing to an HTML string, in
    ``edition`` (by default the briefing's own language): the templates' words from their
    catalogs on the environment's search path, dates and numbers by the edition's locale.

    Before rendering, every file the profile's theme names must be on the search path; after
    it, every link inside the page must lead somewhere (the contents and its page numbers are
    links to the section headings). Either problem is named in the designer's own file.
    """
    environment = environment or make_environment()
    _check_theme_files(audience, environment)
    loader = environment.loader
    search_path = (
        loader.search_path if isinstance(loader, TemplateLoader) else template_search_path()
    )
    edition = edition or Edition.original(briefing.language, briefing.locales)
    translations = interface_translations(search_path, edition.language)
    context = template_context(briefing, audience, edition, translations=translations)
    try:
        template = environment.get_template(audience.template)
        html = template.render(context)
    except jinja2.TemplateNotFound as error:
        missing = no_template(environment, str(error.name))
        if error.name == audience.template:
            raise TemplateError(str(audience.problem("template", missing))) from None
        where = _template_location(error)
        prefix = "" if where == NO_TEMPLATE_LINE else f"{where}: "
        raise TemplateError(f"{prefix}{missing}") from None
    except jinja2.TemplateSyntaxError as error:
        where = f"{error.filename or error.name}:{error.lineno}"
        raise TemplateError(f"{where}: {_syntax_message(error)}") from None
    except FileRefusedError as error:
        # From an include or extends: where in the template it was asked for, then why.
        where = _template_location(error)
        prefix = "" if where == NO_TEMPLATE_LINE else f"{where}: "
        raise TemplateError(f"{prefix}{error}") from None
    except MemoryError:
        raise  # the layout process reports it against its memory limit
    except TemplateError as error:
        # A helper's own message (theme_css, budget_chart...): where the template called it.
        raise TemplateError(f"{_template_location(error)}: {error}") from None
    except jinja2.UndefinedError as error:
        message = str(error)
        if message.startswith("there is no "):
            names = [*context, *(name for name in HELPERS if name not in context)]
            unknown = message.removeprefix("there is no ").strip("'\"")
            if unknown in GETTEXT_NAMES:
                message += (
                    ": _() and {% trans %} need the render's context; import macros that "
                    'use them "with context" ({% from "x.html.j2" import m with context %})'
                )
            else:
                message += alternatives(unknown, names, "a template can use")
        raise TemplateError(f"{_template_location(error)}: {message}") from None
    except Exception as error:
        # Jinja rewrites tracebacks so template frames carry the template's file and line.
        raise TemplateError(
            f"{_template_location(error)}: {type(error).__name__}: {error}"
        ) from None
    _check_links(html, briefing, audience, environment)
    return html


def _syntax_message(error: jinja2.TemplateSyntaxError) -> str:
    if isinstance(error, _DesignerError):
        return error.message or ""
    return f"template syntax error: {error.message}"


def _check_theme_files(audience: Audience, environment: jinja2.Environment) -> None:
    """Each file the theme names (logo, cover image, stylesheets) must be on the search path;
    a missing one is named at its line in the profile, not in the built-in template that
    happens to load it."""
    loader = environment.loader
    if not isinstance(loader, TemplateLoader):
        return
    find = theming.AssetFinder(loader.search_path)
    theme = audience.theme
    wanted = [("theme.logo", theme.logo), ("theme.cover_image", theme.cover_image)]
    wanted += [(f"theme.stylesheets.{n}", path) for n, path in enumerate(theme.stylesheets)]
    for field, relative in wanted:
        if relative is not None and find.find(relative) is None:
            problem = audience.problem(
                field,
                f"no file {relative!r} in the template folders ({loader.searched()}); put "
                "the file there, or correct the path, which is relative to your template folder",
            )
            raise TemplateError(str(problem))


_ID = re.compile(r"""\bid=(["'])(.*?)\1""")
_INTERNAL_LINK = re.compile(r"""\bhref=(["'])#(.*?)\1""")


def _check_links(
    html: str, briefing: Briefing, audience: Audience, environment: jinja2.Environment
) -> None:
    """Every ``href="#..."`` must have its ``id``; otherwise WeasyPrint drops the page number
    and the link with a message that names no file. Ids and links are the templates' own
    markup (data is escaped), so reading them with a pattern is exact."""
    ids = {match.group(2) for match in _ID.finditer(html)}
    missing = [match.group(2) for match in _INTERNAL_LINK.finditer(html)]
    missing = list(dict.fromkeys(target for target in missing if target not in ids))
    if not missing:
        return
    sections = {section.id: section.kind for section in briefing.sections}
    target = missing[0]
    section_id = target.removeprefix("s-")
    if target.startswith("s-") and section_id in sections:
        name = f"sections/{sections[section_id]}.html.j2"
        raise TemplateError(
            f"{_filename(environment, name)}: the heading of section {section_id!r} needs "
            f'id="s-{{{{ section.id }}}}": the contents links to it. Keep '
            "{{ section_heading(section) }} in the heading block, or write your heading as "
            '<h2 id="s-{{ section.id }}">'
        )
    raise TemplateError(
        f"{_filename(environment, audience.template)}: a link points to #{target}, but nothing "
        f'in the page has id="{target}"; add the id, or remove the link'
    )


def _filename(environment: jinja2.Environment, name: str) -> str:
    try:
        return environment.get_template(name).filename or name
    except jinja2.TemplateError:
        return name


def template_context(
    briefing: Briefing,
    audience: Audience,
    edition: Edition | None = None,
    *,
    translations: InterfaceTranslations | None = None,
) -> dict[str, object]:
    """What a template is given, besides the environment's globals.

    ``briefing``, ``audience`` and ``edition`` as plain read-only data (see
    `reportgen.context`), and the helpers, which keep the models to themselves and return only
    text or Markup. ``edition`` defaults to the briefing's own language; ``translations`` to the
    built-in templates' catalog of the edition's language.
    """
    edition = edition or Edition.original(briefing.language, briefing.locales)
    if translations is None:
        translations = interface_translations(template_search_path(), edition.language)
    words = _gettext_functions(translations)
    formats = _formats(edition.locale)
    audience = audience.for_language(edition.language)
    return {
        "briefing": plain(briefing),
        "audience": plain(audience),
        "edition": edition_record(edition),
        **formats,
        **_citations(briefing),
        **words,
        "_": words["gettext"],
        "css_content": css_content,
        "budget_chart": _budget_chart(
            briefing, audience.theme, formats["percent"], words["gettext"]
        ),
    }


def edition_record(edition: Edition) -> Record:
    """The edition as templates read it: its fields, and the source language's name written
    in the edition's language ("inglés"), for a draft's notice."""
    values: dict[str, Any] = {
        "language": edition.language,
        "locale": edition.locale,
        "source_language": edition.source_language,
        "source_language_name": _language_name(edition.source_language, edition.locale),
        "translated": edition.translated,
        "draft": edition.draft,
        "fallbacks": tuple(edition.fallbacks),
    }
    return Record(values, "the edition")


def _language_name(language: str, locale: str) -> str:
    try:
        name = Locale.parse(language, sep="-").get_display_name(Locale.parse(locale))
    except (UnknownLocaleError, ValueError):
        return language
    return name or language


def _gettext_functions(translations: InterfaceTranslations) -> dict[str, Callable[..., str]]:
    # Plain functions, not bound methods: the sandbox and the context walk treat a helper as
    # a function that leads nowhere but to what it returns.
    def gettext(message: str) -> str:
        return translations.gettext(message)

    def ngettext(singular: str, plural: str, count: int | Decimal) -> str:
        return translations.ngettext(singular, plural, _count(count))

    def pgettext(context: str, message: str) -> str:
        return translations.pgettext(context, message)

    def npgettext(context: str, singular: str, plural: str, count: int | Decimal) -> str:
        return translations.npgettext(context, singular, plural, _count(count))

    return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def _count(value: object) -> int:
    """A count for gettext's plural rules, which take whole numbers: a fraction (0.5 points,
    2.5 points) is counted as a plural one, as English and Spanish write it."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise TemplateError(f"a plural needs a number to count, not {value!r}")
    whole = int(value)
    return whole if whole == value else max(2, whole + 1)


def _template_location(error: BaseException) -> str:
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.endswith(".j2")
    ]
    if not frames:
        return NO_TEMPLATE_LINE
    return f"{frames[-1].filename}:{frames[-1].lineno}"


def _id_of(value: object, helper: str, what: str) -> str:
    """The id of a plain section or source a template passes back to a helper."""
    identifier = value.get("id") if isinstance(value, Mapping) else None
    if not isinstance(identifier, str):
        raise TemplateError(f"{helper}() takes {what}, not {type(value).__name__}")
    return identifier


def _as_theme(value: object) -> Theme:
    """A Theme again from the plain one a template passes back, checked as when it loaded.

    Checked again because a template could as well pass a dict of its own making.
    """
    if not isinstance(value, Mapping):
        raise TemplateError(f"theme_css() takes a theme such as audience.theme, not {value!r}")
    return Theme.model_validate({name: value[name] for name in Theme.model_fields if name in value})


def _chart_colours(theme: Theme) -> charts.ChartColours:
    chosen = {
        "primary": theme.primary,
        "accent": theme.accent,
        "font": theme.heading_font,
    }
    return charts.ChartColours(**{name: value for name, value in chosen.items() if value})


def _budget_chart(
    briefing: Briefing,
    theme: Theme,
    format_percent: Callable[[Decimal], str],
    gettext: Callable[[str], str],
) -> Callable[[object], Markup]:
    budgets = {
        section.id: section
        for section in briefing.sections
        if isinstance(section, BudgetResolutionSection)
    }
    colours = _chart_colours(theme)

    def budget_chart(section: object) -> Markup:
        # Only the id is read from what the template passes: the chart is drawn from the model,
        # so its figures are the computed ones whatever the template hands in.
        section_id = _id_of(section, "budget_chart", "a budget_resolution section")
        if section_id not in budgets:
            raise TemplateError(f"budget_chart(): no budget_resolution section {section_id!r}")
        return charts.budget_chart(budgets[section_id], format_percent, colours, gettext)

    return budget_chart


def _formats(locale: str) -> dict[str, Callable[[Any], str]]:
    """Numbers and dates written the way the edition's locale (``es_MX``) writes them: CLDR,
    through Babel."""

    def percent(value: Decimal | int) -> str:
        # decimal_quantization=False: 12.5 stays 12.5 %, not a rounded 12 %.
        return format_percent(Decimal(value) / 100, locale=locale, decimal_quantization=False)

    def number(value: Decimal | int) -> str:
        return format_decimal(value, locale=locale)

    def long_date(value: dt.date) -> str:
        return format_date(value, format="long", locale=locale)

    def month_year(value: Mapping[str, object]) -> str:
        """A partial date (``event.date``): "September 2015" ("septiembre de 2015"), or the
        year alone. A skeleton, not a pattern: CLDR orders and joins month and year per locale."""
        year = value.get("year") if isinstance(value, Mapping) else None
        month = value.get("month") if isinstance(value, Mapping) else None
        if not isinstance(year, int) or not (month is None or isinstance(month, int)):
            raise TemplateError(f"month_year() takes a date such as event.date, not {value!r}")
        if month is None:
            return str(year)
        return format_skeleton("yMMMM", dt.date(year, month, 1), locale=locale)

    return {"percent": percent, "number": number, "long_date": long_date, "month_year": month_year}


def _citations(briefing: Briefing) -> dict[str, Callable[[Any], Markup]]:
    """``cite(ids)``: footnote markup for each source cited; ``full_citation(source)``.

    The first citation of a source gives it in full; later ones a short form, as a careful
    editor would. Rendering order is document order, so "first" means first on the page.
    """
    sources = {source.id: source for source in briefing.sources}
    cited: set[str] = set()

    def cite(source_ids: Iterable[str]) -> Markup:
        notes = []
        for source_id in source_ids:
            source = sources[source_id]
            text = _short(source) if source_id in cited else _full(source)
            cited.add(source_id)
            notes.append(Markup('<span class="footnote">{}</span>').format(text))
        return Markup("").join(notes)

    def full_citation(source: object) -> Markup:
        source_id = _id_of(source, "full_citation", "a source such as one of briefing.sources")
        if source_id not in sources:
            raise TemplateError(f"full_citation(): no source {source_id!r} in this briefing")
        return _full(sources[source_id])

    return {"cite": cite, "full_citation": full_citation}


def _short(source: Source) -> str:
    return source.short_title or source.reference or source.title


def _full(source: Source) -> Markup:
    parts: list[Markup | str] = [
        Markup("<cite>{}</cite>").format(source.title),
        source.publisher,
    ]
    if source.year:
        parts.append(str(source.year))
    if source.reference:
        parts.append(source.reference)
    if source.url:
        parts.append(Markup('<span class="url">{}</span>').format(str(source.url)))
    return Markup(". ").join(escape(part) for part in parts) + "."
