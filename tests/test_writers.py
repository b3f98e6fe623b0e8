"""Result files: written whole or not at all, with the usual file mode."""

import os
import stat
from pathlib import Path

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


def test_json_written_in_pieces_is_the_text_of_one_dump(tmp_path):
    """write_json streams a result container by container (a 200,000-operation score is never one
    string in memory): the bytes are those of json.dumps(indent=2) of the cleaned document, nested
    and empty containers, NaN (null), numpy scalars and tuples included."""
    import json
    import math

    import numpy as np

    from riskengine.io.writers import _pieces, to_json

    plan = json.loads((Path(__file__).resolve().parent.parent / "scenarios" / "example-factory"
                        / "plan-v1.json").read_text())
    odd = {"a": {}, "b": [], "c": [[], {}, [[[[1]]]]], "d": [1, {"x": [math.nan, np.float64(2.5), (1, 2)]}],
           "e": {1: 2}, "f": "é\n", "g": None}
    for document in (plan, odd, {}, [], 3, "x", None):
        for size in (1, 64, 2**20):
            assert "".join(_pieces(document, size)) == to_json(document)
    write_json(odd, tmp_path / "r.json")
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == to_json(odd)
