"""Write results atomically: a temp file in the same folder, then a rename.

An interrupted run never leaves a half-written result (docs/design.md section 6), and the
temporary file of a write interrupted by a kill is removed by the next write of
the same file. A write that fails (disk full, file size limit, no permission)
is an :class:`~riskengine.errors.InputError` naming the file (exit 2), never
an internal error.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from riskengine.errors import InputError, Problem


def _clean(value: object) -> object:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def to_json(document: object) -> str:
    """Strict JSON text (no NaN) of a result dict."""
    return json.dumps(_clean(document), indent=2, allow_nan=False) + "\n"


#: Containers streamed item by item down to this depth (deeper ones are encoded whole).
STREAM_DEPTH = 3


def json_chunks(value: object, depth: int = 0) -> Iterator[str]:
    """The text of :func:`to_json` (without its final newline) in pieces: the outer containers
    item by item, so that a result of 200,000 operations is never one string, nor one cleaned
    copy, in memory (Python's indenting encoder keeps every piece of its output in a list).
    The pieces are those of ``json.dumps(indent=2)``; a piece encoded apart is indented by its
    depth (a JSON text holds no raw newline but its indentation)."""
    pad = "\n" + "  " * (depth + 1)
    if depth < STREAM_DEPTH and isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        sep = "{"
        for k, v in value.items():
            yield f"{sep}{pad}{json.dumps(k)}: "
            yield from json_chunks(v, depth + 1)
            sep = ","
        yield pad[:-2] + "}"
    elif depth < STREAM_DEPTH and isinstance(value, list | tuple) and value:
        sep = "["
        for v in value:
            yield sep + pad
            yield from json_chunks(v, depth + 1)
            sep = ","
        yield pad[:-2] + "]"
    else:
        text = json.dumps(_clean(value), indent=2, allow_nan=False)
        yield text.replace("\n", "\n" + "  " * depth) if depth else text


def _pieces(document: object, size: int = 2**20) -> Iterator[str]:
    """:func:`json_chunks` of ``document`` and its final newline, joined into pieces of about ``size``
    characters."""
    buffer: list[str] = []
    held = 0
    for chunk in json_chunks(document):
        buffer.append(chunk)
        held += len(chunk)
        if held >= size:
            yield "".join(buffer)
            buffer, held = [], 0
    buffer.append("\n")
    yield "".join(buffer)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: A temporary file left by a writer that is gone is removed once it is this old (seconds):
#: a live writer on the same host is never touched (its process id is in the name), and the
#: age keeps clear of writers on other hosts sharing the folder.
STALE_AFTER = 60.0


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def _writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of earlier, interrupted writes of ``path`` (named
    ``.NAME.PID.XXXXXXXX.tmp`` by :func:`atomic_path`; ``.NAME.XXXXXXXX.tmp`` before) whose
    writer process is gone and which are older than STALE_AFTER; return them. Never fails:
    cleaning is a courtesy."""
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(?:(\d+)\.)?[a-z0-9_]{{8}}\.tmp")
    removed: list[Path] = []
    try:
        found = [(p, m) for p in path.parent.iterdir() if (m := pattern.fullmatch(p.name))]
    except OSError:
        return removed
    now = time.time()
    for tmp, match in found:
        try:
            if (match[1] and _writer_alive(int(match[1]))) or now - tmp.stat().st_mtime < STALE_AFTER:
                continue
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            continue
    return removed


def _cannot_write(path: Path, exc: OSError) -> InputError:
    """A failed write (disk full, file size limit, no permission, ...) as a clean error."""
    return InputError(Problem(str(path), f"cannot write the file: {exc.strerror or exc}"))


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; on leaving the block it is renamed to
    ``path`` (readers see the old file or the whole new one) with the usual file mode, or
    removed if the block fails. Temporaries of earlier interrupted writes are removed first
    (:func:`remove_stale_temporaries`). An operating-system error (disk full, file size
    limit, no permission) becomes an :class:`InputError` naming the path (exit 2)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        fd, name = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


def write_text_atomic(path: str | os.PathLike, text: str | Iterator[str]) -> None:
    """Write ``text`` (or its pieces) to ``path`` so that readers see the old file or the whole
    new one."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for piece in [text] if isinstance(text, str) else text:
            f.write(piece)
        f.flush()
        os.fsync(f.fileno())


def write_json(document: object, path: str | os.PathLike) -> None:
    """Write a result as JSON to ``path`` (atomically) or to stdout when ``path`` is ``-``, in
    pieces (:func:`json_chunks`): the text of :func:`to_json`, in bounded memory."""
    if str(path) != "-":
        write_text_atomic(path, _pieces(document))
        return
    try:
        for piece in _pieces(document):
            _write_stdout(piece)
    except BrokenPipeError:  # the reader went away: the caller decides
        raise
    except OSError as exc:
        raise InputError(Problem("-", f"cannot write to standard output: {exc.strerror or exc}")) from None


def _write_stdout(text: str) -> None:
    """Write to standard output, every byte or an error: straight to its file descriptor when
    it has one (a buffered stream can drop the rest of a short write, e.g. at a file size
    limit, without an error)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a stream without a descriptor (captured output)
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    data = memoryview(text.encode(sys.stdout.encoding or "utf-8"))
    while data:
        data = data[os.write(fd, data):]


@contextmanager
def atomic_folder(path: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``path`` to write files into; on leaving the block it is
    renamed to ``path``, so that ``path`` is complete or absent (never half-written). An
    existing ``path`` is refused before any work is done, unless ``force``: it is then replaced
    once the new folder is complete. A failed block removes the temporary folder."""
    import shutil

    path = Path(path)
    if path.exists() and not force:
        raise InputError(Problem(str(path), "exists already; choose another folder or replace it "
                                 "(--force)"))
    if path.exists() and not path.is_dir():
        raise InputError(Problem(str(path), "is a file, not a folder"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(path), suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700; give the folder the usual mode
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=_tmp_prefix(path), suffix=".old", dir=path.parent))
            os.replace(path, old / path.name)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise
