"""What templates are given: plain read-only data and plain helpers, and escapes that fail."""

from __future__ import annotations

import datetime as dt
import logging
import pickle
import types
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from reportgen.audiences import Audience, Theme, load_audiences, tailor
from reportgen.context import Record, plain
from reportgen.errors import TemplateError
from reportgen.loading import load_briefing
from reportgen.models import Briefing, BudgetResolutionSection
from reportgen.resources import BUILTIN_TEMPLATES, EXAMPLE_BRIEFING
from reportgen.templating import HELPERS, make_environment, render_html, template_context

log = logging.getLogger(__name__)

FIXTURES = Path(__file__).parent / "fixtures"

# Chosen here, not imported from reportgen.context: the test states what is allowed.
ALLOWED_TYPES = {str, int, Decimal, dt.date, bool, type(None), Markup, Record, tuple}
# Immutable builtins (and Markup, a str): the walk stops at them. Their methods are the type's
# own and give back more of the same (str.upper, date.isoformat, Decimal.quantize); the sandbox
# itself wraps str.format and refuses their underscored attributes.
LEAVES = {str, int, Decimal, dt.date, bool, type(None), Markup}
# A Record's public attributes: the read-only Mapping methods. Walked through what they return.
RECORD_METHODS = {"get", "items", "keys", "values"}
# Jinja's own globals (range, dict, lipsum, cycler, joiner, namespace): the sandbox is built
# around them, so they are not walked; the escape corpus below tries them instead.
JINJA_GLOBALS = ImmutableSandboxedEnvironment().globals


def themed_audience() -> Audience:
    """An audience with every theme value set, so the walk meets them all."""
    theme = Theme(
        primary="#0b5d3b",
        accent="teal",
        heading_font="Noto Serif",
        body_font="Noto Sans",
        cover_accent="rgb(1, 2, 3)",
        logo="style/briefing.css",
        logo_alt="Logo",
        cover_image="style/briefing.css",
        stylesheets=("style/briefing.css",),
    )
    return Audience(name="themed", description="Themed.", marking="X", theme=theme)


def audiences() -> list[Audience]:
    return [*load_audiences().values(), themed_audience()]


def full_context(briefing: Briefing, audience: Audience) -> dict[str, object]:
    """Everything a template can name: the render context and the environment's own globals."""
    environment = make_environment()
    ours = {name: value for name, value in environment.globals.items() if name not in JINJA_GLOBALS}
    return {**ours, **template_context(tailor(briefing, audience), audience)}


# ---- The walk ------------------------------------------------------------------------------


@dataclass
class Walk:
    """Every path a template can follow from a context, and what should not be at its end."""

    paths: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def walk(context: Mapping[str, object]) -> Walk:
    """Follow mapping values, sequence items and every attribute the sandbox lets a template
    read (``is_safe_attribute`` over ``dir(obj)``); report any type outside ``ALLOWED_TYPES``
    and any callable but the helpers and a Record's read-only methods."""
    sandbox = make_environment()
    assert isinstance(sandbox, ImmutableSandboxedEnvironment)
    result = Walk()
    # Kept alive, so that an id seen once is never reused by a later temporary object.
    kept: dict[int, object] = {}

    def visit(path: str, obj: object, allowed_callable: bool = False) -> None:
        result.paths.append(path)
        if type(obj) in LEAVES or id(obj) in kept:
            return
        kept[id(obj)] = obj
        if callable(obj):
            if not allowed_callable:
                result.problems.append(f"{path}: a callable {type(obj).__name__}")
        elif type(obj) not in ALLOWED_TYPES:
            result.problems.append(f"{path}: a {type(obj).__module__}.{type(obj).__qualname__}")
        if type(obj) is tuple:
            for index, item in enumerate(obj):
                visit(f"{path}[{index}]", item)
            return  # tuple's own methods (count, index) are builtins, like a leaf's
        if isinstance(obj, Record):
            for key, value in obj.items():
                visit(f"{path}.{key}", value)
            # What the read-only methods give back: the same keys and values, nothing else.
            visit(f"{path}.keys()", tuple(obj.keys()))
            visit(f"{path}.values()", tuple(obj.values()))
            visit(f"{path}.items()", tuple(obj.items()))
        for name in dir(obj):
            try:
                value = getattr(obj, name)
            except Exception:  # a property that raises gives a template nothing either
                continue
            if sandbox.is_safe_attribute(obj, name, value):
                method = isinstance(obj, Record) and name in RECORD_METHODS
                visit(f"{path}.{name}", value, allowed_callable=method)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pydantic's deprecated names, in the control below
        for name, value in context.items():
            helper = name in HELPERS and type(value) is types.FunctionType
            visit(name, value, allowed_callable=helper)
    return result


def record(value: object) -> Record:
    assert isinstance(value, Record), type(value)
    return value


def items(value: object) -> tuple[object, ...]:
    assert isinstance(value, tuple), type(value)
    return value


def test_environment_globals_are_jinjas_and_two_helpers() -> None:
    # A global added later would be reachable by every template without this walk seeing it.
    environment = make_environment()
    assert set(environment.globals) == set(JINJA_GLOBALS) | {"asset_url", "theme_css"}
    for name, value in JINJA_GLOBALS.items():
        assert environment.globals[name] is value, name


def test_the_helpers_are_exactly_these_plain_functions(shipped_briefing: Briefing) -> None:
    context = full_context(shipped_briefing, load_audiences()["public"])
    callables = {name for name, value in context.items() if callable(value)}
    assert callables == set(HELPERS)
    for name in HELPERS:
        # Not a class instance, a bound method or a functools.partial, each of which has
        # attributes (search_path, __self__, func) that lead somewhere.
        assert type(context[name]) is types.FunctionType, name


@pytest.mark.parametrize("audience", audiences(), ids=lambda audience: audience.name)
@pytest.mark.parametrize(
    "data", [EXAMPLE_BRIEFING, FIXTURES / "redaction.yaml"], ids=["shipped", "redaction"]
)
def test_everything_reachable_from_the_context_is_plain(data: Path, audience: Audience) -> None:
    briefing = load_briefing(data)
    if data.stem == "redaction":
        audience = audience.model_copy(update={"sections": None})
    result = walk(full_context(briefing, audience))
    log.info("%s / %s: %d paths followed", data.stem, audience.name, len(result.paths))
    assert result.problems == []
    # The walk went where templates go, derived figures included.
    assert "briefing.sections[0].title" in result.paths
    assert "audience.theme.stylesheets" in result.paths
    assert any(path.endswith(".schedule[0].percent_of_base") for path in result.paths)
    assert any(path.endswith(".last_year") for path in result.paths)
    assert any(path.endswith(".items") for path in result.paths)  # a Record method, allowed


class OldAssetFinder:
    """The asset helper as templates were given it: an object holding its folders."""

    def __init__(self) -> None:
        self.search_path = (BUILTIN_TEMPLATES,)

    def __call__(self, relative: str) -> str:
        return (BUILTIN_TEMPLATES / relative).as_uri()


def test_the_walk_finds_what_templates_were_given_before(shipped_briefing: Briefing) -> None:
    # The models and the old asset helper themselves: the walk must flag their class methods
    # and Path objects, or its silence above means nothing.
    problems = walk({"briefing": shipped_briefing, "asset_url": OldAssetFinder()}).problems
    assert "briefing.parse_raw: a callable method" in problems
    assert "briefing.parse_file: a callable method" in problems
    assert "briefing.model_validate_json: a callable method" in problems
    assert any(problem.startswith("briefing.sections[0].model_copy:") for problem in problems)
    assert "asset_url: a callable OldAssetFinder" in problems
    assert "asset_url.search_path[0]: a pathlib.PosixPath" in problems
    assert "asset_url.search_path[0].read_text: a callable method" in problems
    assert "asset_url.search_path[0].write_text: a callable method" in problems


def test_a_records_views_lead_nowhere(shipped_briefing: Briefing) -> None:
    # The walk turns keys(), values() and items() into tuples; the views themselves have one
    # public attribute, a set comparison that answers True or False.
    sandbox = make_environment()
    assert isinstance(sandbox, ImmutableSandboxedEnvironment)
    briefing = record(plain(shipped_briefing))
    for view in (briefing.keys(), briefing.values(), briefing.items()):
        public = {
            name
            for name in dir(view)
            if sandbox.is_safe_attribute(view, name, getattr(view, name, None))
        }
        assert public <= {"isdisjoint"}, type(view)


# ---- The helpers ---------------------------------------------------------------------------


def test_helpers_return_only_text(shipped_briefing: Briefing) -> None:
    context = full_context(shipped_briefing, load_audiences()["delegation"])
    briefing = record(context["briefing"])
    sections = [record(section) for section in items(briefing["sections"])]
    (budget,) = [section for section in sections if section["kind"] == "budget_resolution"]
    (timeline,) = [section for section in sections if section["kind"] == "timeline"]
    event = record(items(timeline["events"])[0])
    source = record(items(briefing["sources"])[0])
    calls: dict[str, tuple[object, ...]] = {
        "percent": (Decimal("12.5"),),
        "number": (3,),
        "long_date": (briefing["date"],),
        "month_year": (event["date"],),
        "cite": ((source["id"],),),
        "full_citation": (source,),
        "budget_chart": (budget,),
        "asset_url": ("style/briefing.css",),
        "theme_css": (record(context["audience"])["theme"],),
        "_": ("Contents",),
        "gettext": ("Contents",),
        "ngettext": ("%(n)s text", "%(n)s texts", 2),
        "pgettext": ("table", "Year"),
        "npgettext": ("table", "%(n)s year", "%(n)s years", 2),
        "css_content": ("Page %(page)s of %(pages)s",),
    }
    assert set(calls) == set(HELPERS)
    for name, arguments in calls.items():
        helper = context[name]
        assert callable(helper)
        assert type(helper(*arguments)) in {str, Markup}, name


def test_budget_chart_is_drawn_from_the_model_not_from_what_the_template_passes(
    shipped_briefing: Briefing,
) -> None:
    (section,) = [s for s in shipped_briefing.sections if isinstance(s, BudgetResolutionSection)]
    context = full_context(shipped_briefing, load_audiences()["delegation"])
    chart = context["budget_chart"]
    assert callable(chart)
    forged = {"id": section.id, "schedule": (), "fund": "<Forged fund>"}
    assert chart(forged) == chart(plain(section))
    assert section.fund in chart(forged)


# ---- Plain values --------------------------------------------------------------------------


def test_plain_briefing_keeps_the_derived_figures(shipped_briefing: Briefing) -> None:
    (section,) = [s for s in shipped_briefing.sections if isinstance(s, BudgetResolutionSection)]
    budget = record(plain(section))
    assert budget["final_percent_of_base"] == section.final_percent_of_base
    assert budget["shortfall_points"] == section.shortfall_points
    assert budget["last_year"] == section.last_year
    schedule = [dict(record(year)) for year in items(budget["schedule"])]
    assert schedule == [year.model_dump() for year in section.schedule]
    assert dict(record(budget["date"])) == {"year": section.date.year, "month": section.date.month}


def test_plain_values_are_builtin_types(shipped_briefing: Briefing) -> None:
    audience = record(plain(load_audiences()["delegation"]))
    assert audience["visibility"] == ("internal", "public")  # a frozenset of enums, sorted
    assert {type(value) for value in items(audience["visibility"])} == {str}
    briefing = record(plain(shipped_briefing))
    urls = [record(source)["url"] for source in items(briefing["sources"])]
    assert {type(url) for url in urls} == {str, type(None)}  # AnyHttpUrl became text


def test_a_record_cannot_be_changed(shipped_briefing: Briefing) -> None:
    briefing = record(plain(shipped_briefing))
    with pytest.raises(TypeError):
        briefing["title"] = "Changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        briefing.title = "Changed"  # type: ignore[attr-defined]
    assert not hasattr(briefing, "__dict__")


def test_a_table_of_text_keys_becomes_a_read_only_record() -> None:
    """As a briefing's ``locales`` reaches templates: read, never changed."""
    table = plain({"es": "es_MX"})
    assert isinstance(table, Record)
    assert table["es"] == "es_MX"
    with pytest.raises(TypeError):
        table["fr"] = "fr_FR"  # type: ignore[index]


def test_a_key_that_would_hide_a_record_method_is_refused() -> None:
    with pytest.raises(TypeError, match="items"):
        Record({"items": ()})


@pytest.mark.parametrize(
    "value", [Path("/etc"), object(), b"bytes", {1: "a"}, dt.datetime(2020, 1, 1)]
)
def test_a_value_of_an_unknown_type_is_refused(value: object) -> None:
    # Refused rather than passed through: a new field of a new type must be decided on.
    with pytest.raises(TypeError, match="no plain form"):
        plain(value)


# ---- Escape attempts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A template body trying to get out, and what must happen: "refused" (a TemplateError
    saying ``says``) or "harmless" (renders, showing ``says``)."""

    name: str
    body: str
    outcome: str
    says: str


def refused(name: str, body: str, says: str) -> Attempt:
    return Attempt(name, body, "refused", says)


def harmless(name: str, body: str, says: str) -> Attempt:
    return Attempt(name, body, "harmless", says)


NO_ATTRIBUTE = "has no field"
UNSAFE = "unsafe"
# @PICKLE@ is a pickle that creates @CANARY@ when loaded; @SECRET@ is a file holding a token.
PICKLE = "'@PICKLE@'.encode('latin-1')"

ATTEMPTS = [
    # Pydantic's class methods, which were reachable through every model.
    refused(
        "parse_raw pickle",
        "{{ briefing.parse_raw(" + PICKLE + ", proto='pickle', allow_pickle=True) }}",
        NO_ATTRIBUTE,
    ),
    refused(
        "theme parse_raw pickle",
        "{{ audience.theme.parse_raw(" + PICKLE + ", proto='pickle', allow_pickle=True) }}",
        NO_ATTRIBUTE,
    ),
    refused(
        "section parse_raw pickle",
        "{{ briefing.sections[0].parse_raw(" + PICKLE + ", proto='pickle', allow_pickle=True) }}",
        NO_ATTRIBUTE,
    ),
    refused("parse_file passwd", "{{ briefing.parse_file('/etc/passwd') }}", NO_ATTRIBUTE),
    refused("parse_file hostname", "{{ briefing.parse_file('/etc/hostname') }}", NO_ATTRIBUTE),
    refused("parse_file secret", "{{ audience.parse_file('@SECRET@') }}", NO_ATTRIBUTE),
    refused("model_validate_json", "{{ briefing.model_validate_json('{}') }}", NO_ATTRIBUTE),
    refused("attr model_dump", "{{ (briefing|attr('model_dump'))() }}", NO_ATTRIBUTE),
    refused("model_dump", "{{ briefing.model_dump() }}", NO_ATTRIBUTE),
    refused("model_copy", "{{ briefing.model_copy() }}", NO_ATTRIBUTE),
    refused("copy", "{{ briefing.copy() }}", NO_ATTRIBUTE),
    refused("json", "{{ briefing.json() }}", NO_ATTRIBUTE),
    refused("schema_json", "{{ briefing.schema_json() }}", NO_ATTRIBUTE),
    refused(
        "schedule model_construct", "{{ briefing.sections[0].model_construct() }}", NO_ATTRIBUTE
    ),
    # The asset finder's folders, which were Path objects.
    refused(
        "search_path read",
        "{{ asset_url.search_path[0].joinpath('/etc/hostname').read_text() }}",
        NO_ATTRIBUTE,
    ),
    refused(
        "search_path write",
        "{{ asset_url.search_path[0].joinpath('@CANARY@').write_text('x') }}",
        NO_ATTRIBUTE,
    ),
    refused(
        "namespace smuggles asset_url",
        "{% set ns = namespace(finder=asset_url) %}{{ ns.finder.search_path }}",
        NO_ATTRIBUTE,
    ),
    refused("asset_url absolute", "{{ asset_url('/etc/hostname') }}", "no file"),
    refused(
        "asset_url climbs", "{{ asset_url('../../../../../../../../etc/hostname') }}", "no file"
    ),
    refused("asset_url secret", "{{ asset_url('@SECRET@') }}", "no file"),
    # Python internals, through the data, the helpers and Jinja's globals.
    refused("briefing class", "{{ briefing.__class__ }}", UNSAFE),
    refused("section class", "{{ briefing.sections[0].__class__ }}", UNSAFE),
    refused("record storage", "{{ briefing._values }}", UNSAFE),
    refused("attr record storage", "{{ briefing|attr('_values') }}", UNSAFE),
    # Printed, an unsafe attribute is an Undefined that raises; inside a list only its repr shows.
    harmless("map class", "{{ briefing.sections|map(attribute='__class__')|list }}", "[Undefined"),
    refused("str mro", "{{ ''.__class__.__mro__ }}", UNSAFE),
    refused("format class", "{{ '{0.__class__}'.format(briefing) }}", UNSAFE),
    refused("date class", "{{ briefing.date.__class__ }}", UNSAFE),
    refused("cite self", "{{ cite.__self__ }}", UNSAFE),
    refused("cite globals", "{{ cite.__globals__ }}", UNSAFE),
    refused("cite globals os", "{{ cite.__globals__['os'] }}", UNSAFE),
    refused("budget_chart closure", "{{ budget_chart.__closure__ }}", UNSAFE),
    refused("asset_url closure", "{{ asset_url.__closure__[0].cell_contents }}", UNSAFE),
    refused("theme_css globals", "{{ theme_css.__globals__ }}", UNSAFE),
    refused("percent code", "{{ percent.__code__ }}", UNSAFE),
    refused("template context", "{{ self._TemplateReference__context }}", UNSAFE),
    refused(
        "lipsum globals", "{{ lipsum.__globals__['os'].popen('cat /etc/hostname').read() }}", UNSAFE
    ),
    refused(
        "cycler globals", "{{ cycler.__init__.__globals__.os.popen('touch @CANARY@') }}", UNSAFE
    ),
    refused("namespace globals", "{{ namespace.__init__.__globals__ }}", UNSAFE),
    refused("namespace attrs", "{% set ns = namespace() %}{{ ns._Namespace__attrs }}", UNSAFE),
    refused("dict update blocked", "{% set d = dict(a=1) %}{{ d.update(b=2) }}", UNSAFE),
    # Loading files as templates.
    refused("include absolute", "{% include '@SECRET@' %}", "there is no template"),
    refused("include climbs", "{% include '../secret.txt' %}", "there is no template"),
    refused("include hostname", "{% include '/etc/hostname' %}", "there is no template"),
    # Helpers handed something of the template's making.
    refused(
        "theme_css forged",
        "{{ theme_css(dict(primary='red; } body { display: none')) }}",
        "ValidationError",
    ),
    refused("budget_chart forged", "{{ budget_chart(dict(id='nope')) }}", "no budget_resolution"),
    refused("full_citation forged", "{{ full_citation(dict(id='nope')) }}", "no source 'nope'"),
    # Work the sandbox bounds. The cap is Jinja's: range() refuses more than 100,000 items.
    refused("huge range", "{{ range(10**9)|list|length }}", "Range too big"),
    # A Record's own methods: allowed, and they give back plain data only.
    harmless("keys", "{{ briefing.keys()|join(',') }}", "id,title,subtitle,subject"),
    harmless(
        "items",
        "{% for key, value in briefing.items() if key == 'title' %}{{ value }}{% endfor %}",
        "<p>Mexico",
    ),
    harmless("values", "{{ audience.values()|select('string')|first }}", "<p>evil</p>"),
    harmless("get", "{{ briefing.get('title') }}", "Mexico"),
    harmless("get underscored", "{{ briefing.get('__class__', 'none') }}", "<p>none</p>"),
    harmless("namespace", "{% set ns = namespace(n=0) %}{% set ns.n = 2 %}{{ ns.n }}", "<p>2</p>"),
    harmless("date method", "{{ briefing.date.isoformat() }}", "<p>2026-"),
]


@dataclass(frozen=True)
class Traps:
    canary: Path
    secret_path: Path
    forbidden: list[str]


@pytest.fixture
def traps(tmp_path: Path, shipped_briefing: Briefing) -> Traps:
    token = f"SECRET-{uuid.uuid4().hex}"
    secret = tmp_path / "secret.txt"
    secret.write_text(token)
    forbidden = [token]
    # The machine's own files, when they say something the data does not already say (the
    # hostname is often short: "vm" could appear in a data dump by chance).
    legitimate = repr(plain(shipped_briefing)) + repr(plain(load_audiences()["public"]))
    for path in (Path("/etc/hostname"), Path("/etc/passwd")):
        if path.is_file():
            first_line = path.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
            if first_line and first_line[0].strip() and first_line[0].strip() not in legitimate:
                forbidden.append(first_line[0].strip())
    return Traps(tmp_path / "canary", secret, forbidden)


def pickle_that_creates(path: Path) -> str:
    """A protocol-0 pickle, which loaded opens ``path`` for writing, as a Jinja string literal."""

    class Creates:
        def __reduce__(self) -> tuple[object, tuple[str, str]]:
            return (open, (str(path), "w"))

    text = pickle.dumps(Creates(), protocol=0).decode("latin-1")
    return "".join(f"\\x{ord(char):02x}" for char in text)


def attempt_template(attempt: Attempt, traps: Traps) -> str:
    body = (
        attempt.body.replace("@PICKLE@", pickle_that_creates(traps.canary))
        .replace("@CANARY@", str(traps.canary))
        .replace("@SECRET@", str(traps.secret_path))
    )
    return "<p>" + body + "</p>\n"


def run(attempt: Attempt, traps: Traps, briefing: Briefing, folder: Path) -> tuple[str, str]:
    folder.mkdir(exist_ok=True)
    (folder / "evil.html.j2").write_text(attempt_template(attempt, traps), encoding="utf-8")
    audience = Audience(
        name="evil", description="Hostile.", template="evil.html.j2", marking="PUBLIC"
    )
    try:
        html = render_html(tailor(briefing, audience), audience, make_environment([folder]))
    except TemplateError as error:
        return "refused", str(error)
    return "harmless", html


def without_paths(text: str, paths: Iterable[Path]) -> str:
    # Refusals name the folders searched; a folder's name is not what a read would leak.
    for path in paths:
        text = text.replace(str(path), "")
    return text


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[attempt.name for attempt in ATTEMPTS])
def test_escape_attempt_fails_or_is_harmless(
    tmp_path: Path, traps: Traps, shipped_briefing: Briefing, attempt: Attempt
) -> None:
    outcome, text = run(attempt, traps, shipped_briefing, tmp_path / "templates")

    assert (outcome, attempt.says in text) == (attempt.outcome, True), text
    shown = without_paths(text, [tmp_path, BUILTIN_TEMPLATES])
    for secret in traps.forbidden:
        assert secret not in shown
    assert not traps.canary.exists()
    if outcome == "harmless":
        for sign_of_an_object in ("<class", "<function", "<bound", "Path(", "pydantic"):
            assert sign_of_an_object not in text


def test_the_pickle_attempt_would_create_the_canary(tmp_path: Path) -> None:
    # The trap is real: loaded outside the sandbox, the payload creates the canary.
    canary = tmp_path / "canary"
    literal = pickle_that_creates(canary)
    payload = literal.encode("ascii").decode("unicode-escape").encode("latin-1")
    pickle.loads(payload).close()
    assert canary.exists()


def test_the_corpus_has_both_outcomes() -> None:
    outcomes = [attempt.outcome for attempt in ATTEMPTS]
    log.info("%d refused, %d harmless", outcomes.count("refused"), outcomes.count("harmless"))
    assert outcomes.count("refused") > 40
    assert outcomes.count("harmless") >= 5
