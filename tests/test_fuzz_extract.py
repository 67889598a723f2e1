"""`reportgen extract` on PDFs from strangers: hostile PDFs built by hand, and any bytes.

Each is refused in one line naming the PDF, or gives back exactly the attachments it carries;
nothing escapes as a traceback, nothing is written but our two plain names inside ``--out``,
and a file already there is never touched. A decompression bomb is refused within a memory
limit that the same bomb, inflated without a cap, does not fit in.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pikepdf
import pytest
from click.testing import CliRunner
from fuzzing import fuzz_settings
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reportgen.attachments import BUILD_RECORD_NAME, SOURCE_DATA_NAME
from reportgen.build import build
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.provenance import extract
from reportgen.resources import EXAMPLE_BRIEFING

OURS = (SOURCE_DATA_NAME, BUILD_RECORD_NAME)
PATH_NAMES = ["../../x", "/etc/x", "..\\..\\x", "briefing.json/../../x", "sub/briefing.json",
              "/tmp/briefing.json", "~/briefing.json", "", "..", "."]  # fmt: skip
SENTINEL = b"an earlier output, not ours to touch\n"
FUZZ = fuzz_settings(150)


# --- building PDFs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """One file specification as a hostile PDF may write it. ``content`` is the decoded bytes;
    ``encoded``/``filters`` give the stream's bytes as stored instead; ``size`` and ``checksum``
    are what ``/Params`` declares (``...`` for the true values, None to leave them out)."""

    key: Any = SOURCE_DATA_NAME  # the name tree's key (any PDF object)
    content: bytes = b"{}\n"
    file_name: Any = ...  # /F and /UF; ... for the key
    encoded: bytes | None = None
    filters: tuple[str, ...] = ()
    size: Any = ...
    checksum: Any = ...
    stream: str = "stream"  # or "none" (no /EF), "dictionary", "null", "missing" (/EF empty)


def make_pdf(path: Path, attachments: list[Attachment], **save: Any) -> Path:
    """A one-page PDF whose /EmbeddedFiles name tree holds ``attachments`` as given."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    names = pikepdf.Array()
    for attachment in attachments:
        names.append(_pdf_value(attachment.key))
        names.append(pdf.make_indirect(_file_spec(pdf, attachment)))
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=names))
    # Streams saved as given: qpdf would otherwise inflate a bomb to look at it.
    options: dict[str, Any] = {"compress_streams": False}
    if "encryption" not in save:  # qpdf decodes what it encrypts
        options["stream_decode_level"] = pikepdf.StreamDecodeLevel.none
    pdf.save(path, **options, **save)
    return path


def _pdf_value(value: Any) -> Any:
    if isinstance(value, str):
        return pikepdf.String(value)
    return value


def _file_spec(pdf: pikepdf.Pdf, attachment: Attachment) -> pikepdf.Dictionary:
    file_name = attachment.key if attachment.file_name is ... else attachment.file_name
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec)
    if file_name is not None:
        spec.F = spec.UF = _pdf_value(file_name)
    if attachment.stream == "none":
        return spec
    if attachment.stream == "missing":
        spec.EF = pikepdf.Dictionary()
        return spec
    if attachment.stream == "dictionary":
        spec.EF = pikepdf.Dictionary(F=pikepdf.Dictionary(Type=pikepdf.Name.EmbeddedFile))
        return spec
    if attachment.stream == "null":
        spec.EF = pikepdf.Dictionary(F=None)
        return spec
    params = pikepdf.Dictionary()
    size = len(attachment.content) if attachment.size is ... else attachment.size
    if size is not None:
        params.Size = size
    checksum = (
        hashlib.md5(attachment.content).digest()
        if attachment.checksum is ...
        else attachment.checksum
    )
    if checksum is not None:
        params.CheckSum = pikepdf.String(checksum)
    stream = pikepdf.Stream(pdf, b"")
    if attachment.encoded is None:
        stream.write(zlib.compress(attachment.content), filter=pikepdf.Name.FlateDecode)
    else:
        filters = [pikepdf.Name(name) for name in attachment.filters]
        stream.write(attachment.encoded, filter=pikepdf.Array(filters) if filters else None)
    stream.Type = pikepdf.Name.EmbeddedFile
    stream.Params = params
    spec.EF = pikepdf.Dictionary(F=stream)
    return spec


class _Bits:
    """Bits as deflate packs them: fields least significant bit first, Huffman codes most."""

    def __init__(self) -> None:
        self.out, self.byte, self.count = bytearray(), 0, 0

    def put(self, value: int, count: int) -> None:
        for i in range(count):
            self.byte |= ((value >> i) & 1) << self.count
            self.count += 1
            if self.count == 8:
                self.out.append(self.byte)
                self.byte = self.count = 0

    def code(self, code: int, length: int) -> None:
        for i in reversed(range(length)):
            self.put((code >> i) & 1, 1)


def zeros_bomb(inflated: int) -> bytes:
    """A zlib stream of one dynamic-Huffman block that inflates to ``inflated`` zero bytes
    (rounded up to a copy of 258), written directly: two bits per copy, so 1032 bytes of
    output per byte, and no need to compress gigabytes to make it."""
    copies = -(-(inflated - 1) // 258)
    bits = _Bits()
    bits.put(1, 1)  # the final block
    bits.put(2, 2)  # dynamic Huffman codes
    bits.put(29, 5)  # 286 literal/length codes
    bits.put(0, 5)  # 1 distance code
    bits.put(15, 4)  # 19 code-length codes: a header of an even number of bits
    lengths = {18: 1, 1: 2, 2: 2}  # codes: 18 "0", 1 "10", 2 "11"
    for symbol in (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15):
        bits.put(lengths.get(symbol, 0), 3)

    def length(value: int) -> None:
        bits.code({1: 0b10, 2: 0b11}[value], 2)

    def zeros(count: int) -> None:
        bits.code(0, 1)
        bits.put(count - 11, 7)

    # Literal 0 and end-of-block get 2 bits, length 258 (code 285) 1 bit; distance 1 1 bit.
    for write, value in [(length, 2), (zeros, 138), (zeros, 117), (length, 2), (zeros, 28)]:
        write(value)  # literal/length code lengths: 0 gets 2, 1-255 none, 256 2, 257-284 none
    length(1)  # 285 gets 1
    length(1)  # the one distance code gets 1
    bits.code(0b10, 2)  # a literal zero; then each copy of 258 is "0" "0"
    done = 0
    while bits.count and done < copies:
        bits.put(0, 2)
        done += 1
    head, body = bytes(bits.out), (copies - done) // 4
    bits.out = bytearray()
    done += 4 * body
    while done < copies:
        bits.put(0, 2)
        done += 1
    bits.code(0b11, 2)  # end of block
    bits.put(0, (8 - bits.count) % 8)
    total = 1 + 258 * copies
    adler = ((total % 65521) << 16) | 1  # Adler-32 of zeros only
    return b"\x78\xda" + head + bytes(body) + bytes(bits.out) + adler.to_bytes(4, "big")


def test_the_bomb_builder_makes_real_deflate() -> None:
    small = zeros_bomb(100_000)
    assert zlib.decompress(small) == bytes(1 + 258 * 388)
    assert len(zeros_bomb(4 << 30)) < 5 << 20  # 4 GiB from under 5 MiB


# --- running extract ------------------------------------------------------------------------


def names_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else b"<dir>"
        for path in sorted(folder.rglob("*"))
    }


KINDS = [
    "no such file",
    "not a file",
    "not a PDF",
    "encrypted",
    "carries no reportgen data",
    "attachments named",
    "one attachment is named both",
    "has no embedded file stream",
    "decompresses to more than",
    "declares",
    "holds",
    "checksum does not match",
    "not UTF-8",
    "not JSON reportgen reads",
    "not JSON",
    "not a JSON object",
    "exceeds a safety limit",
    "cannot read the PDF",
    "will not overwrite",
    "cannot write into",
    "larger than",
]


def kind_of(message: str) -> str:
    return next((kind for kind in KINDS if kind in message), "other: " + message[:60])


def run_extract(pdf: Path, out: Path) -> tuple[str, str]:
    """("extracted", "") or ("refused", message); anything else raised is a failure."""
    try:
        extract(pdf, out)
    except ReportgenError as error:
        return "refused", str(error)
    return "extracted", ""


def check_one_line_naming(message: str, *names: Path) -> None:
    assert "\n" not in message, message
    assert "Traceback" not in message
    assert message.isprintable(), message
    assert any(str(name) in message for name in names), message


# --- hand-built hostile PDFs ----------------------------------------------------------------

RECORD = json.dumps({"audience": "x"}).encode()
HOSTILE: dict[str, tuple[list[Attachment], str]] = {
    "file spec without /EF": ([Attachment(stream="none")], "has no embedded file stream"),
    "/EF without a stream": ([Attachment(stream="missing")], "has no embedded file stream"),
    "/EF /F a dictionary": ([Attachment(stream="dictionary")], "has no embedded file stream"),
    "/EF /F null": ([Attachment(stream="null")], "has no embedded file stream"),
    "bomb, no /Size": (
        [Attachment(encoded=zeros_bomb(4 << 30), filters=("/FlateDecode",), size=None)],
        "decompresses to more than",
    ),
    "bomb with a small /Size": (
        [Attachment(encoded=zeros_bomb(4 << 30), filters=("/FlateDecode",), size=10)],
        "decompresses to more than",
    ),
    "bomb in two deflate layers": (
        [
            Attachment(
                encoded=zlib.compress(zeros_bomb(4 << 30), 9),
                filters=("/FlateDecode", "/FlateDecode"),
                size=None,
            )
        ],
        "decompresses to more than",
    ),
    "bomb of 17 MiB, just over the cap": (
        [Attachment(encoded=zeros_bomb(17 << 20), filters=("/FlateDecode",), size=None)],
        "decompresses to more than",
    ),
    "/Size of a terabyte": ([Attachment(size=1 << 40)], "declares 1099511627776 bytes"),
    "/Size wrong": ([Attachment(size=5)], "holds 3 bytes, not the 5 it declares"),
    "/CheckSum wrong": ([Attachment(checksum=bytes(16))], "checksum does not match"),
    "only path names": (
        [Attachment(key=name, content=b'{"a": 1}') for name in PATH_NAMES],
        "carries no reportgen data",
    ),
    "a name with a NUL, read as bytes": (
        [Attachment(key="x\x00y")],
        "Embedded file specification is not a dictionary: x\\x00y",
    ),
    "a name that is a number": (
        [Attachment(key=42, file_name=None)],
        "Embedded file specification is not a dictionary: 42",
    ),
    "a file name that is not text": (
        [Attachment(key="other", file_name=["briefing.json"])],
        "carries no reportgen data",
    ),
    "two attachments of one name": (
        [Attachment(), Attachment(content=b'{"b": 2}')],
        "carries 2 attachments named briefing.json",
    ),
    "one key, the other's /UF": (
        [Attachment(), Attachment(key="other", file_name=SOURCE_DATA_NAME)],
        "carries 2 attachments named briefing.json",
    ),
    "one attachment with both names": (
        [Attachment(key=SOURCE_DATA_NAME, file_name=BUILD_RECORD_NAME)],
        "one attachment is named both",
    ),
    "not JSON": ([Attachment(content=b"<xml/>")], "line 1: not JSON: Expecting value"),
    "not JSON on line 3": ([Attachment(content=b'{\n"a": 1,\n}')], "line 3: not JSON"),
    "not UTF-8": ([Attachment(content=b'{"a": "\xff"}')], "not UTF-8 text (byte 7)"),
    "a JSON list": ([Attachment(content=b"[1, 2]")], "not a JSON object"),
    "JSON nested a million deep": (
        [Attachment(content=b"[" * 1_000_000 + b"]" * 1_000_000)],
        "not JSON reportgen reads",
    ),
    "a good record but bad data": (
        [Attachment(key=BUILD_RECORD_NAME, content=RECORD), Attachment(content=b"nope")],
        "not JSON",
    ),
    "an unknown filter": (
        [Attachment(encoded=b"abc", filters=("/NoSuchDecode",), size=None)],
        "cannot read the PDF",
    ),
    "damaged deflate": (
        [Attachment(encoded=b"x\x9c" + bytes(range(256)) * 50, filters=("/FlateDecode",))],
        "is damaged: it holds 0 bytes, not the 3 it declares",
    ),
    "seventeen filters": (
        [Attachment(encoded=b"{}", filters=("/ASCIIHexDecode",) * 17, size=None)],
        "exceeds a safety limit while decoding (Maximum filter count 16 exceeded: 17)",
    ),
}


@pytest.fixture(scope="module")
def hostile_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {
        case: make_pdf(folder / f"case-{index}.pdf", attachments)
        for index, (case, (attachments, _)) in enumerate(HOSTILE.items())
    }


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_pdf_is_refused_in_one_line_and_nothing_written(
    hostile_pdfs: dict[str, Path], tmp_path: Path, case: str
) -> None:
    pdf, expected = hostile_pdfs[case], HOSTILE[case][1]
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.pdf").write_bytes(SENTINEL)
    outcome, message = run_extract(pdf, out)
    assert outcome == "refused"
    assert expected in message
    check_one_line_naming(message, pdf)
    assert snapshot(tmp_path) == {"out": b"<dir>", "out/earlier.pdf": SENTINEL}


@pytest.mark.parametrize("case", ["bomb, no /Size", "only path names", "not JSON", "/EF /F null"])
def test_a_hostile_pdf_through_the_command_line(
    hostile_pdfs: dict[str, Path], tmp_path: Path, case: str
) -> None:
    pdf = hostile_pdfs[case]
    result = CliRunner().invoke(main, ["extract", str(pdf), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {pdf}: ")
    assert HOSTILE[case][1] in line
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_a_path_name_beside_ours_is_ignored(tmp_path: Path) -> None:
    pdf = make_pdf(
        tmp_path / "mixed.pdf",
        [Attachment(key=name, content=b'{"hostile": 1}') for name in PATH_NAMES]
        + [Attachment(content=b'{"ours": 1}')],
    )
    out = tmp_path / "a" / "b" / "out"
    assert extract(pdf, out) == [out / SOURCE_DATA_NAME]
    assert snapshot(tmp_path / "a") == {
        "b": b"<dir>",
        "b/out": b"<dir>",
        "b/out/briefing.json": b'{"ours": 1}',
    }


def test_a_path_named_spec_whose_own_name_is_ours_is_written_as_ours(tmp_path: Path) -> None:
    pdf = make_pdf(
        tmp_path / "renamed.pdf",
        [Attachment(key="../../../etc/briefing.json", file_name=SOURCE_DATA_NAME)],
    )
    assert extract(pdf, tmp_path / "out") == [tmp_path / "out" / SOURCE_DATA_NAME]
    assert names_in(tmp_path) == ["out", "renamed.pdf"]


@pytest.mark.parametrize("user", ["secret", ""])
@pytest.mark.parametrize("revision", [4, 6], ids=["RC4", "AES-256"])
def test_an_encrypted_pdf_is_refused(tmp_path: Path, user: str, revision: Literal[4, 6]) -> None:
    aes = revision == 6
    encryption = pikepdf.Encryption(owner="o", user=user, R=revision, aes=aes, metadata=aes)
    pdf = make_pdf(tmp_path / "locked.pdf", [Attachment()], encryption=encryption)
    outcome, message = run_extract(pdf, tmp_path / "out")
    assert (outcome, message) == ("refused", f"{pdf}: the PDF is encrypted, which a reportgen "
                                              "PDF never is")  # fmt: skip
    assert not (tmp_path / "out").exists()


NOT_PDFS = {
    "empty": b"",
    "text": b"hello\n",
    "JSON": b'{"briefing": 1}',
    "a PDF header only": b"%PDF-1.7\n",
    "a header and an EOF": b"%PDF-1.7\n%%EOF\n",
    "zeros": bytes(4096),
    "a zip": b"PK\x03\x04" + bytes(100),
}


@pytest.mark.parametrize("name", NOT_PDFS)
def test_a_file_that_is_not_a_pdf(tmp_path: Path, name: str) -> None:
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(NOT_PDFS[name])
    outcome, message = run_extract(pdf, tmp_path / "out")
    assert outcome == "refused"
    assert kind_of(message) in {"not a PDF", "cannot read the PDF"}, message
    check_one_line_naming(message, pdf)


def test_truncated_pdfs(real_pdf: RealPdf, tmp_path: Path) -> None:
    data = real_pdf.path.read_bytes()
    assert data.endswith(b"\n%%EOF\n")
    for cut in (9, 100, len(data) // 2, len(data) - 40, len(data) - 6):
        pdf = tmp_path / f"cut-{cut}.pdf"
        pdf.write_bytes(data[:cut])
        outcome, message = run_extract(pdf, tmp_path / f"out-{cut}")
        assert outcome == "refused", cut
        assert kind_of(message) == "cannot read the PDF", message
        check_one_line_naming(message, pdf)


# --- the bomb, within a memory limit --------------------------------------------------------

# Run in a child process whose address space is limited to 1 GiB: the bomb inflates to 4 GiB.
CHILD = """
import resource, sys, zlib
from pathlib import Path

limit = 1 << 30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
mode, path, out = sys.argv[1:]
if mode == "control":
    try:
        zlib.decompress(Path(path).read_bytes())
    except MemoryError:
        print("MemoryError")
    else:
        print("it fits")
else:
    from reportgen.errors import ReportgenError
    from reportgen.provenance import extract

    try:
        extract(Path(path), Path(out))
    except ReportgenError as error:
        print("refused:", error)
    else:
        print("extracted")
"""


def test_a_bomb_is_refused_within_a_memory_limit_it_would_exceed(
    hostile_pdfs: dict[str, Path], tmp_path: Path
) -> None:
    raw = tmp_path / "bomb.zlib"
    raw.write_bytes(zeros_bomb(4 << 30))

    def child(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        return done.stdout.strip()

    # The limit bites: the bomb inflated without a cap does not fit in it.
    assert child("control", str(raw), "-") == "MemoryError"
    for case in ("bomb, no /Size", "bomb with a small /Size", "bomb in two deflate layers"):
        pdf = hostile_pdfs[case]
        said = child("extract", str(pdf), str(tmp_path / "out"))
        assert said.startswith(f"refused: {pdf}: attachment briefing.json decompresses to more")
    assert not (tmp_path / "out").exists()


# --- a real reportgen PDF, and any bytes ----------------------------------------------------


@dataclass(frozen=True)
class RealPdf:
    path: Path
    attachments: dict[str, bytes]


@pytest.fixture(scope="module")
def real_pdf(tmp_path_factory: pytest.TempPathFactory) -> RealPdf:
    (built,) = build(
        EXAMPLE_BRIEFING, ["executive"], tmp_path_factory.mktemp("real") / "out", language="en"
    )
    with pikepdf.open(built.path) as pdf:
        attachments = {
            str(name): bytes(spec.EF.F.read_bytes())
            for name, spec in zip(
                pdf.Root.Names.EmbeddedFiles.Names[::2],
                pdf.Root.Names.EmbeddedFiles.Names[1::2],
                strict=True,
            )
        }
    assert set(attachments) == set(OURS)
    return RealPdf(built.path, attachments)


def test_the_real_pdf_extracts_as_built(real_pdf: RealPdf, tmp_path: Path) -> None:
    assert extract(real_pdf.path, tmp_path) == [tmp_path / name for name in OURS]
    assert {name: (tmp_path / name).read_bytes() for name in OURS} == real_pdf.attachments


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` damaged as files are: bytes overwritten, cut out, put in, or the file cut."""
    mutated = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["overwrite", "delete", "insert", "truncate", "digits"]))
        # Past the header mostly: a file without "%PDF-" is refused before pypdf sees it.
        at = draw(st.integers(0, max(len(mutated) - 1, 0)) | st.integers(16, len(data)))
        if how == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            mutated[at : at + len(chunk)] = chunk
        elif how == "delete":
            del mutated[at : at + draw(st.integers(1, 64))]
        elif how == "insert":
            mutated[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif how == "truncate":
            del mutated[at:]
        else:  # a number in the PDF's syntax (a length, an offset, an object number) changed
            numbers = [match.span() for match in re.finditer(rb"\d+", bytes(mutated[:5000]))]
            if numbers:
                start, end = draw(st.sampled_from(numbers))
                mutated[start:end] = str(draw(st.integers(0, 10**12))).encode()
    return bytes(mutated)


@FUZZ
@given(data=st.data())
def test_damaged_bytes_of_a_real_pdf_are_refused_or_give_back_the_originals(
    real_pdf: RealPdf, scratch: Callable[[], Path], data: st.DataObject
) -> None:
    folder = scratch()
    pdf = folder / "damaged.pdf"
    pdf.write_bytes(data.draw(mutations(real_pdf.path.read_bytes())))
    out = folder / "out"
    out.mkdir()
    (out / "earlier.pdf").write_bytes(SENTINEL)
    outcome, message = run_extract(pdf, out)
    event(f"outcome: {outcome}" + (f": {kind_of(message)}" if message else ""))
    written = {name: (out / name).read_bytes() for name in OURS if (out / name).exists()}
    assert (out / "earlier.pdf").read_bytes() == SENTINEL
    assert names_in(folder) == ["damaged.pdf", "out"]
    if outcome == "refused":
        check_one_line_naming(message, pdf)
        assert not kind_of(message).startswith("other"), message
        assert written == {}
    else:  # whatever survived the damage is exactly what was embedded, checked by its MD5
        assert written
        assert all(real_pdf.attachments[name] == content for name, content in written.items())


# JSON objects as reportgen writes them, and as any other writer might.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


@st.composite
def json_bytes(draw: st.DrawFn) -> bytes:
    value = draw(json_objects)
    indent = draw(st.sampled_from([None, 2]))
    text = json.dumps(value, indent=indent, ensure_ascii=draw(st.booleans()))
    return text.encode() + draw(st.sampled_from([b"", b"\n"]))


# Other programs' attachments, under names a PDF writer gives: text, paths included. A name
# with a NUL is stored as a byte string, which strict reading refuses as a damaged name tree (a
# PDF reportgen never writes): that side is covered by the refusal tests.
other_names = st.sampled_from(PATH_NAMES) | st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20
).filter(lambda n: n not in OURS)


@FUZZ
@given(
    ours=st.dictionaries(st.sampled_from(OURS), json_bytes(), min_size=1),
    others=st.lists(st.tuples(other_names, st.binary(max_size=64)), max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_any_json_objects_under_our_names_are_given_back_byte_for_byte(
    scratch: Callable[[], Path],
    ours: dict[str, bytes],
    others: list[tuple[str, bytes]],
    order: Any,
) -> None:
    """The side that must extract: any JSON object as either attachment, among attachments
    of any other names (paths among them), is written as it was and nothing else is."""
    folder = scratch()
    attachments = [Attachment(key=name, content=content) for name, content in ours.items()]
    attachments += [Attachment(key=name, content=content) for name, content in others]
    order.shuffle(attachments)
    pdf = make_pdf(folder / "valid.pdf", attachments)
    out = folder / "out"
    outcome, message = run_extract(pdf, out)
    event(f"outcome: {outcome}" + (f": {kind_of(message)}" if message else ""))
    assert outcome == "extracted", message  # a refusal here is a failure
    assert {name: (out / name).read_bytes() for name in names_in(out)} == ours
    assert names_in(folder) == ["out", "valid.pdf"]


def _not_a_json_object(content: bytes) -> bool:
    try:
        return not isinstance(json.loads(content.decode("utf-8")), dict)
    except (ValueError, RecursionError):
        return True


@st.composite
def bad_attachments(draw: st.DrawFn) -> tuple[Attachment, str]:
    """An attachment under our name that must be refused, and the kind of refusal."""
    name = draw(st.sampled_from(OURS))
    how = draw(st.sampled_from(["payload", "size", "checksum", "stream", "filters"]))
    if how == "payload":
        content = draw(
            st.binary(max_size=200).filter(_not_a_json_object)
            | json_values.filter(lambda v: not isinstance(v, dict)).map(
                lambda v: json.dumps(v).encode()
            )
        )
        return Attachment(key=name, content=content), "payload"
    content = draw(json_bytes())
    if how == "size":
        size = draw(st.integers(0, 2**40).filter(lambda n: n != len(content)))
        return Attachment(key=name, content=content, size=size), "size"
    if how == "checksum":
        wrong = draw(st.binary(min_size=16, max_size=16))
        if wrong == hashlib.md5(content).digest():
            wrong = bytes(16)
        return Attachment(key=name, content=content, checksum=wrong), "checksum"
    if how == "stream":
        stream = draw(st.sampled_from(["none", "missing", "dictionary", "null"]))
        return Attachment(key=name, content=content, stream=stream), "stream"
    encoded = draw(st.binary(min_size=1, max_size=64))
    filters = draw(
        st.lists(
            st.sampled_from(["/FlateDecode", "/LZWDecode", "/RunLengthDecode", "/ASCII85Decode",
                             "/ASCIIHexDecode", "/DCTDecode", "/Nonsense"]),
            min_size=1,
            max_size=3,
        )
    )  # fmt: skip
    return Attachment(key=name, content=content, encoded=encoded, filters=tuple(filters),
                      size=None, checksum=None), "filters"  # fmt: skip


REFUSALS = {
    "payload": {"not JSON", "not UTF-8", "not a JSON object", "not JSON reportgen reads"},
    "size": {"declares", "holds"},
    "checksum": {"checksum does not match"},
    "stream": {"has no embedded file stream"},
}


@FUZZ
@given(bad=bad_attachments(), good=st.booleans())
def test_a_bad_attachment_under_our_name_is_refused_and_nothing_written(
    scratch: Callable[[], Path], bad: tuple[Attachment, str], good: bool
) -> None:
    """The side that must be refused: a payload that is not a JSON object, a wrong /Size or
    /CheckSum, no stream; and stored bytes through any filters, which may decode to a JSON
    object by chance, and are then given back as decoded."""
    attachment, how = bad
    folder = scratch()
    others = [n for n in OURS if n != attachment.key]
    pdf = make_pdf(folder / "bad.pdf", [attachment] + [Attachment(key=n) for n in others[:good]])
    outcome, message = run_extract(pdf, folder / "out")
    event(f"{how}: outcome: {outcome}" + (f": {kind_of(message)}" if message else ""))
    if how == "filters" and outcome == "extracted":
        assert json.loads((folder / "out" / attachment.key).read_bytes()) is not None
        return
    assert outcome == "refused"
    check_one_line_naming(message, pdf)
    if how in REFUSALS:
        assert kind_of(message) in REFUSALS[how], message
    else:
        assert not kind_of(message).startswith("other"), message
    assert names_in(folder) == ["bad.pdf"]


@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_damaged_pdfs_through_the_command_line(
    real_pdf: RealPdf, scratch: Callable[[], Path], data: st.DataObject
) -> None:
    folder = scratch()
    pdf = folder / "damaged.pdf"
    pdf.write_bytes(data.draw(mutations(real_pdf.path.read_bytes())))
    result = CliRunner().invoke(main, ["extract", str(pdf), "--out", str(folder / "out")])
    event(f"exit status {result.exit_code}")
    assert result.exit_code in {0, 1}, result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"error: {pdf}: ")
    else:
        assert result.stderr == ""
