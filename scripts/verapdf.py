"""Build every shipped audience in every PDF variant and check each PDF with veraPDF.

Usage: python scripts/verapdf.py PATH/TO/validate   (or: make verapdf VERAPDF=PATH/TO/validate)

Each variant is checked against every profile it claims (`Variant.conforms_to` in
reportgen/pdf/standards.py). Prints veraPDF's verdict lines, then one closing line
"veraPDF: N passed, N failed" counting PDF-and-profile checks; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from reportgen.pdf.standards import VARIANTS

REPORTGEN = str(Path(sys.executable).parent / "reportgen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("validate", type=Path, help="veraPDF's validate script")
    validate = parser.parse_args().validate.resolve()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="reportgen-verapdf-") as scratch:
        for name, variant in VARIANTS.items():
            out = Path(scratch) / name.replace("/", "_")
            build = [REPORTGEN, "build", "--force", "--pdf-variant", name, "--out", str(out)]
            built = subprocess.run(build, capture_output=True, text=True, check=False)
            if built.returncode != 0:
                sys.stderr.write(built.stdout + built.stderr)
                return 2
            pdfs = sorted(str(pdf) for pdf in out.glob("*.pdf"))
            flavours = ",".join(variant.conforms_to)
            print(f"{name}: {len(pdfs)} PDFs against {flavours}", flush=True)
            result = subprocess.run(
                [str(validate), "-f", flavours, *pdfs], capture_output=True, text=True, check=False
            )
            if result.returncode not in {0, 1}:
                sys.stderr.write(result.stdout + result.stderr)
                print(f"veraPDF could not run (exit {result.returncode})", file=sys.stderr)
                return 2
            if not result.stdout.strip():
                print("veraPDF printed no verdicts", file=sys.stderr)
                return 2
            for line in result.stdout.splitlines():
                print(line.replace(scratch + "/", ""))
                verdict = line.split("\t")[2] if line.count("\t") >= 2 else ""
                if verdict:  # a profile veraPDF skipped is not a pass
                    passed += verdict.startswith("PASS")
                    failed += not verdict.startswith("PASS")
    print(f"veraPDF: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
