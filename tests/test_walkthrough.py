"""The docs/customising.md walkthrough, done as its reader does it, lays out as it promises.

The steps are read from the guide itself (the code blocks marked ``<!-- walkthrough: NAME -->``),
so the guide cannot drift from what is tested.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
import yaml
from PIL import Image
from pypdf import PdfReader

from reportgen.build import build
from reportgen.loading import load_briefing
from reportgen.resources import EXAMPLE_BRIEFING
from reportgen.scaffold import init_template

CHECKOUT = Path(__file__).resolve().parent.parent
GUIDE = CHECKOUT / "docs" / "customising.md"
REPORTGEN = Path(sys.executable).parent / "reportgen"
STARTER_SUBTITLE = '<p class="subtitle">{{ _("Your own cover text goes here.") }}</p>'
# A hand-made logo: 240 x 80 px, wider than .cover-logo's 60 mm, so max-width applies. Its
# colour is in no theme, so its pixels on the cover are the logo's.
LOGO_COLOUR = (0xC2, 0x18, 0x5B)
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80" viewBox="0 0 240 80">'
    '<rect x="2" y="2" width="76" height="76" rx="10" fill="#c2185b"/></svg>'
)


def guide_block(name: str) -> str:
    """The code block of the guide marked ``<!-- walkthrough: name -->``."""
    found = re.search(
        rf"<!-- walkthrough: {re.escape(name)} -->\n```\w*\n(.*?)```", GUIDE.read_text(), re.S
    )
    assert found, f"docs/customising.md has no walkthrough block {name!r}"
    return found.group(1)


def follow_the_guide(folder: Path, *, logo: bool = True) -> None:
    """Steps 2 to 5 of the walkthrough, in the starter folder ``init-template`` wrote."""
    profile = folder / "audiences" / "parliament.yaml"
    text = profile.read_text()
    for line in guide_block("sections").splitlines():  # step 2: these lines replace the starter's
        key = line.partition(":")[0]
        text, count = re.subn(rf"^{key}:.*$", line, text, count=1, flags=re.MULTILINE)
        assert count == 1, key
    theme = guide_block("theme")  # step 4
    if not logo:
        theme = "".join(line + "\n" for line in theme.splitlines() if "logo" not in line)
    profile.write_text(text[: text.index("theme:")] + theme)
    template = folder / "parliament.html.j2"  # step 3
    assert STARTER_SUBTITLE in template.read_text()
    template.write_text(
        template.read_text().replace(STARTER_SUBTITLE, guide_block("cover").strip())
    )
    (folder / "sections").mkdir()  # step 5
    (folder / "sections" / "budget_resolution.html.j2").write_text(guide_block("section"))
    if logo:
        (folder / "img").mkdir()
        (folder / "img" / "logo.svg").write_text(LOGO)


def walkthrough_folder(root: Path, *, logo: bool) -> Path:
    folder = root / "briefing-looks"
    init_template(folder, "parliament")
    follow_the_guide(folder, logo=logo)
    return folder


def heading_top_mm(reader: PdfReader, page_number: int, heading: str) -> float | None:
    """How far below the top edge of the page ``heading`` is drawn, in mm (None if absent)."""
    page = reader.pages[page_number - 1]
    height = float(page.mediabox.height)
    found: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip() == heading:
            found.append((height - (tm[5] * cm[3] + cm[5])) * 25.4 / 72)

    page.extract_text(visitor_text=visit)
    return min(found) if found else None


def share_of_colour(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> float:
    """The share of the image's pixels within ``tolerance`` of ``colour`` on every channel."""
    data = image.convert("RGB").tobytes()
    pixels = [data[index : index + 3] for index in range(0, len(data), 3)]
    near = sum(all(abs(a - b) <= tolerance for a, b in zip(p, colour, strict=True)) for p in pixels)
    return near / len(pixels)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.strip().strip('"').lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [str(REPORTGEN), *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_walkthrough_from_a_folder_outside_the_checkout(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(CHECKOUT)
    # Before you start: a briefings project. Step 1: the starter folder, next to it.
    assert run("new", "briefings", cwd=tmp_path).returncode == 0
    project = tmp_path / "briefings"
    started = run("init-template", "../briefing-looks", "--name", "parliament", cwd=project)
    assert started.returncode == 0, started.stderr
    looks = tmp_path / "briefing-looks"
    follow_the_guide(looks)

    built = run(
        "build", "--templates", "../briefing-looks", "--audience", "parliament", cwd=project
    )

    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr and "error" not in built.stderr, built.stderr
    # The shipped briefing is in English and Spanish, and the starter's profile speaks both: the
    # guide's command makes an edition in each. What follows reads the English one.
    output = project / "output"
    assert sorted(path.name for path in output.glob("*parliament*.pdf")) == [
        "mexico-multilateral-human-rights-parliament.en.pdf",
        "mexico-multilateral-human-rights-parliament.es.pdf",
    ]
    pdf = output / "mexico-multilateral-human-rights-parliament.en.pdf"
    reader = PdfReader(pdf)
    pages = [page.extract_text() for page in reader.pages]
    profile = yaml.safe_load((looks / "audiences" / "parliament.yaml").read_text())
    briefing = load_briefing(project / "data" / "mexico-multilateral-human-rights.yaml")

    # The subset of sections, in the profile's order: the PDF's bookmarks, then its text.
    titles = [briefing.section(section_id).title for section_id in profile["sections"]]
    assert [item.title for item in reader.outline if not isinstance(item, list)] == [
        *titles,
        "Sources",
    ]
    left_out = [s.title for s in briefing.sections if s.id not in profile["sections"]]
    assert left_out and not any(title in " ".join(pages) for title in left_out)
    # The marking, on every page.
    assert all(profile["marking"] in text for text in pages)
    # The cover text of step 3.
    assert "Prepared for the Foreign Affairs Committee, hearing of 3 December" in pages[0]
    # The line added to one section (step 5): inside the budget section, after its table.
    text = " ".join(" ".join(pages).split())
    note = "Figures confirmed with the committee secretariat on 28 November."
    assert text.count(note) == 1
    budget, timeline = (
        titles.index("The OAS budget resolution Mexico promoted"),
        titles.index("Timeline"),
    )
    assert text.index(titles[budget], text.index("Contents") + 200) < text.index(note)
    assert text.index(note) < text.rindex(titles[timeline])
    # The colours and the logo (step 4), as drawn: the cover is the primary colour, the logo
    # is on the cover only, and the budget chart's bars take the primary colour too.
    drawn = pypdfium2.PdfDocument(pdf)
    images = [drawn[number].render(scale=1).to_pil() for number in range(len(drawn))]
    theme = profile["theme"]
    assert share_of_colour(images[0], rgb(theme["primary"])) > 0.5
    assert share_of_colour(images[0], LOGO_COLOUR) > 0.001
    assert all(share_of_colour(image, LOGO_COLOUR) == 0 for image in images[1:])
    chart = next(n for n, page in enumerate(pages) if "What the resolution contemplates" in page)
    assert share_of_colour(images[chart], rgb(theme["primary"])) > 0.01
    assert share_of_colour(images[0], rgb(theme["cover_accent"])) > 0.0001


@pytest.mark.parametrize("strict", [False, True], ids=["warns", "strict"])
def test_a_listed_section_its_visibility_leaves_out_is_reported(
    tmp_path: Path, strict: bool
) -> None:
    looks = tmp_path / "looks"
    init_template(looks, "parliament")
    profile = looks / "audiences" / "parliament.yaml"
    text = profile.read_text().replace("timeline]", "timeline, talking-points]")
    profile.write_text(text)
    lines = text.splitlines()
    line = lines.index(next(entry for entry in lines if entry.startswith("sections:")))
    args: list[str | Path] = ["build", "--data", EXAMPLE_BRIEFING, "--templates", looks]
    args += ["--audience", "parliament", "--language", "en"]

    result = run(*args, *(["--strict"] if strict else []), cwd=tmp_path)

    said = (
        f"{profile.relative_to(tmp_path)}:{line + 1}: sections.6: section 'talking-points' is "
        "marked visibility: internal, which this audience does not show (visibility: [public]), "
        "so it is left out; add internal to visibility, or take the section out of sections"
    )
    output = tmp_path / "output" / "mexico-multilateral-human-rights-parliament.en.pdf"
    if strict:
        assert result.returncode == 1
        assert result.stderr.splitlines() == [f"error: {said}"]
        assert not output.exists()
    else:
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines() == [f"warning: {said}"]
        assert "Talking points" not in " ".join(p.extract_text() for p in PdfReader(output).pages)


def test_strict_fails_on_a_warning_of_a_variant_kept_up_to_date(tmp_path: Path) -> None:
    # A CI job runs `build --strict` on an output folder it keeps: the variant built with the
    # warning is up to date, and the job must still fail while the profile lists the section.
    looks = tmp_path / "looks"
    init_template(looks, "parliament")
    profile = looks / "audiences" / "parliament.yaml"
    profile.write_text(profile.read_text().replace("timeline]", "timeline, talking-points]"))
    args: list[str | Path] = ["build", "--data", EXAMPLE_BRIEFING, "--templates", looks]
    args += ["--audience", "parliament", "--language", "en"]
    output = tmp_path / "output" / "mexico-multilateral-human-rights-parliament.en.pdf"
    assert run(*args, cwd=tmp_path).returncode == 0
    built = output.read_bytes()

    strict = run(*args, "--strict", cwd=tmp_path)
    again = run(*args, cwd=tmp_path)

    assert strict.returncode == 1
    (line,) = strict.stderr.splitlines()
    assert line.startswith(f"error: {profile.relative_to(tmp_path)}:")
    assert line.endswith(
        "so it is left out; add internal to visibility, or take the section out of sections"
    )
    assert output.read_bytes() == built
    # Without --strict, an up-to-date build stays the quick one it was: no warning, kept.
    assert again.returncode == 0 and again.stderr == ""
    assert "unchanged mexico-multilateral-human-rights/parliament/en" in again.stdout


def test_walkthrough_logo_changes_only_the_cover(tmp_path: Path) -> None:
    pdfs = {}
    for logo in (False, True):
        folder = walkthrough_folder(tmp_path / f"logo-{logo}", logo=logo)
        (built,) = build(
            EXAMPLE_BRIEFING, ["parliament"], tmp_path / f"out-{logo}", [folder], language="en"
        )
        pdfs[logo] = PdfReader(built.path)
    without, with_logo = pdfs[False], pdfs[True]

    # Cover, then the contents page, then Key messages at the top of page 3's text area
    # (the page's top margin is 24 mm; the first h2 has no top margin).
    contents = with_logo.pages[1].extract_text().split()
    assert next(word for word in contents if not word.isdigit()) == "Contents"
    assert "Key messages" not in with_logo.pages[0].extract_text()
    top = heading_top_mm(with_logo, 3, "Key messages")
    assert top is not None and top < 35, f"Key messages starts {top} mm down page 3"

    # The logo lives on the fixed-height cover: every later page is as it was without it.
    assert len(with_logo.pages) == len(without.pages)
    assert [p.extract_text() for p in with_logo.pages[1:]] == [
        p.extract_text() for p in without.pages[1:]
    ]


def test_the_budget_table_is_never_split_from_its_caption(tmp_path: Path) -> None:
    # In the walkthrough the budget table falls at the foot of a page: it moves whole, with its
    # caption, rather than leaving the caption (or the caption and one row) behind.
    folder = walkthrough_folder(tmp_path, logo=True)
    (built,) = build(EXAMPLE_BRIEFING, ["parliament"], tmp_path / "out", [folder], language="en")
    pages = [page.extract_text() for page in PdfReader(built.path).pages]
    caption = "Budget of the Inter-American human rights organs by year"
    rows = ("2017 (base)", "2018 +33%", "2019 +33%", "2020 +33%")
    holding = [number for number, text in enumerate(pages, 1) if caption in " ".join(text.split())]
    assert len(holding) == 1, holding
    text = " ".join(pages[holding[0] - 1].split())
    assert all(row in text for row in rows), text
