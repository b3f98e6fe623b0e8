"""The docs site (mkdocs + mkdocstrings) builds with strict warnings (issue 21): every page, the
generated file formats and the API reference; a broken reference fails the build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
                           "--site-dir", str(site)], cwd=config.parent, capture_output=True, text=True,
                          timeout=300)


def test_docs_site_builds_strict(tmp_path):
    r = _build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert r.returncode == 0, r.stderr
    site = tmp_path / "site"
    formats = (site / "formats" / "index.html").read_text(encoding="utf-8")
    for name in ("riskengine.plan/1", "riskengine.actuals/1", "riskengine.premises/1", "riskengine.score/1",
                 "riskengine.measurement/1", "riskengine.events/1", "riskengine.study/1"):
        assert name in formats
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("read_plan", "score", "measure", "plan_from_frames", "to_frames", "import_table"):
        assert f"<code>{name}(" in api or f">{name}<" in api, name
    assert "Examples:" in api and "Parameters:" in api
    assert "The example week against its three plan versions" in api  # measure's docstring
    design = (site / "design" / "index.html").read_text(encoding="utf-8")
    assert "Interoperability: tables, pandas, B2MML" in design
    assert "Keep a Changelog" in (site / "changelog" / "index.html").read_text(encoding="utf-8")
    for page in ("guides/planner", "guides/researcher", "guides/integrator"):
        assert (site / page / "index.html").is_file()


def test_a_broken_reference_fails_the_build(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    shutil.copy(ROOT / "CHANGELOG.md", copy / "CHANGELOG.md")
    (copy / "riskengine").symlink_to(ROOT / "riskengine")
    api = copy / "docs" / "api.md"
    api.write_text(api.read_text(encoding="utf-8") + "\n::: riskengine.io.readers.read_nothing\n",
                   encoding="utf-8")
    r = _build(copy / "mkdocs.yml", tmp_path / "site")
    assert r.returncode != 0
    assert "read_nothing" in r.stderr
