"""docs/design.md is the design in the repository (issue 14.17): every citation points at it, at a
section it has, and the sections of this lane are written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "docs" / "design.md"
OLD = "DESIGN" + ".md"  # the founding design, outside the repository (spelt so as not to cite it)


def tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    return [ROOT / f for f in out if f.endswith((".py", ".md", ".sh", ".toml", ".ipynb"))]


def sections() -> dict[int, str]:
    text = DESIGN.read_text()
    heads = list(re.finditer(r"^## (\d+)\. (.+)$", text, flags=re.M))
    return {int(m.group(1)): text[m.end():heads[k + 1].start() if k + 1 < len(heads) else len(text)]
            for k, m in enumerate(heads)}


def test_every_citation_points_at_a_section_of_docs_design_md():
    found = 0
    for path in tracked_text_files():
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        assert OLD not in text, f"{path.relative_to(ROOT)} cites {OLD}, which is not in the repository"
        for m in re.finditer(r"docs/design\.md`? sections? ((?:\d+(?:, | and ))*\d+)", text):
            for n in map(int, re.findall(r"\d+", m.group(1))):
                assert n in sections(), f"{path.relative_to(ROOT)} cites a section {n} that does not exist"
                found += 1
    assert found > 40


def test_the_sections_of_issue_14_are_written():
    for n in (1, 2, 3, 5, 8):
        body = sections()[n]
        assert "being written" not in body and len(body.split()) > 250, n
