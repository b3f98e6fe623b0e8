"""HTTP details of the service: request bodies, the error body, request ids, the 500 handler.

Every error answer is ``{"error": WORD, "problems": [{"location", "message"}]}``:
at most MAX_PROBLEMS problems, with ``problems_total`` when there were more (a
broken 50 MB document can have tens of thousands). An unexpected exception is
a 500 with ``error`` "internal error", no problems and the request's id
(``request_id``, also in the ``X-Request-ID`` header of every answer), and its
traceback goes to the log under that id: the client never sees a traceback and
the operator can find it.

Bodies are JSON only (``Content-Type: application/json``, else 415), read up to
the body limit (413 beyond), parsed strictly: a key given twice in one object,
NaN or Infinity, nesting beyond MAX_DEPTH are 422.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riskengine.errors import MAX_LISTED, InputError, Problem
from riskengine.io.readers import check_depth
from riskengine.io.writers import _clean

log = logging.getLogger("riskengine.service")
REQUEST_ID = "X-Request-ID"
#: Most problems listed in an error body (as in the command line's messages).
MAX_PROBLEMS = MAX_LISTED


class ServiceError(Exception):
    """An error answer: HTTP status, error word, problems, extra headers."""

    def __init__(self, status: int, error: str, problems: list[Problem] | None = None,
                 headers: dict | None = None):
        super().__init__(error)
        self.status, self.error, self.problems, self.headers = status, error, problems or [], headers


def error_body(error: str, problems: list[Problem], **extra) -> dict:
    """The error document: at most MAX_PROBLEMS problems, and their total when cut."""
    body: dict = {"error": error, "problems": [{"location": p.location, "message": p.message}
                                               for p in problems[:MAX_PROBLEMS]]}
    if len(problems) > MAX_PROBLEMS:
        body["problems_total"] = len(problems)
    return {**body, **extra}


def dump(document: object) -> bytes:
    """Compact strict JSON (NaN and infinities become null, as in result files)."""
    return json.dumps(_clean(document), allow_nan=False, separators=(",", ":")).encode()


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} is given twice in one object")
            seen.add(key)
    return out


def parse_body(body: bytes) -> object:
    """Parse a JSON request body strictly; every way it can fail is a located 422."""
    try:
        data = json.loads(body.decode("utf-8-sig"), parse_constant=_reject_constant,
                          object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(Problem(f"body: line {exc.lineno} column {exc.colno}",
                                 f"not valid JSON: {exc.msg}")) from None
    except UnicodeDecodeError:
        raise InputError(Problem("body", "not UTF-8 text")) from None
    except RecursionError:
        raise InputError(Problem("body", "not valid JSON: nested too deeply")) from None
    except ValueError as exc:  # NaN/Infinity, a duplicate key, an integer of more than 4300 digits
        raise InputError(Problem("body", f"not valid JSON: {str(exc).split(';')[0]}")) from None
    return check_depth(data, where="body")


def json_content(headers: Mapping[str, str]) -> bool:
    """Whether the Content-Type is application/json (parameters such as charset allowed)."""
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json"


class RequestIds:
    """ASGI middleware: an id for every request (``X-Request-ID``: the client's if it sent a
    short one, else a new one), and a 500 error body for any exception a route let through,
    its traceback logged with the id."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID.lower().encode(), b"").decode("latin-1")
        request_id = given if given and len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []),
                                      (REQUEST_ID.lower().encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.error("request %s %s %s failed:\n%s", request_id, scope.get("method"), scope.get("path"),
                      traceback.format_exc())
            if started:  # the answer is under way: nothing more can be said
                return
            body = dump(error_body("internal error", [], request_id=request_id))
            await send_with_id({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", b"application/json"),
                                            (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
