"""Result files: written whole or not at all, with the usual file mode."""

import os
import stat

import pytest

from riskengine.io.writers import write_json, write_text_atomic


def test_written_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "r.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old\n")
    with pytest.raises(TypeError):
        write_json({"x": object()}, path)  # not JSON: refused before anything is written
    with pytest.raises(TypeError):
        write_text_atomic(path, 12)  # the write itself fails half-way
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
