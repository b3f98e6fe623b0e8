"""Naive local times from other systems, localized with ``zoneinfo`` (tables, pandas, B2MML).

A spreadsheet or an MES writes ``16.11.2026 06:00`` or ``2017-01-11T14:00:00``:
a wall-clock time without UTC offset. riskengine's formats need the offset, so
the importer is told the zone (``--timezone Europe/Berlin``) and each naive
time becomes that zone's wall-clock time, written with its offset
(``2026-11-16T06:00:00+01:00``). Two wall-clock times have no single answer:

- **nonexistent**: at the spring change the clocks jump (Berlin, 29 March 2026,
  02:00 -> 03:00), so 02:30 never happened on that day;
- **ambiguous**: at the autumn change an hour is repeated (Berlin, 25 October
  2026, 03:00 -> 02:00), so 02:30 happened twice.

Both are refused with a message naming the time and both candidate readings,
never guessed: a shift plan an hour off is worse than an error. A time that
already carries an offset is kept as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from riskengine.errors import InputError, Problem


def zone(name: str, where: str = "--timezone") -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Berlin``); an unknown name is an :class:`InputError`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if name.lower().split("/")[-1] in z.lower())[:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (an IANA name such as Europe/Berlin)"
        raise InputError(Problem(where, f"unknown time zone {name!r}{hint}")) from None


def localize(t: datetime, tz: ZoneInfo | None) -> datetime:
    """``t`` with its UTC offset: kept when it has one, else read as wall-clock time in ``tz``.

    Raises
    ------
    ValueError
        ``t`` is naive and ``tz`` is None, or ``t`` does not exist or is
        ambiguous in ``tz`` (the message gives both readings).

    Examples
    --------
    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> localize(datetime(2026, 11, 16, 6, 0), berlin).isoformat()
    '2026-11-16T06:00:00+01:00'
    >>> localize(datetime(2026, 3, 29, 2, 30), berlin)
    Traceback (most recent call last):
    ValueError: 2026-03-29 02:30 does not exist in Europe/Berlin (the clocks go forward by 1 h that \
night: 01:30 +01:00 or 03:30 +02:00?)
    """
    if t.tzinfo is not None and t.utcoffset() is not None:
        return t
    if tz is None:
        raise ValueError("must include a UTC offset, e.g. 2026-11-16T06:00:00+00:00 "
                         "(or give the time zone of naive local times: --timezone Europe/Berlin)")
    early, late = t.replace(tzinfo=tz, fold=0), t.replace(tzinfo=tz, fold=1)
    shown = t.strftime("%Y-%m-%d %H:%M")
    if early.utcoffset() == late.utcoffset():
        return _fixed(early)
    before, after = sorted((_utc_offset(early), _utc_offset(late)))
    roundtrip = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if roundtrip != t:  # in the gap: neither reading maps back to this wall-clock time
        first, second = (t - (after - before)).strftime("%H:%M"), (t + (after - before)).strftime("%H:%M")
        raise ValueError(f"{shown} does not exist in {tz.key} (the clocks go forward by "
                         f"{_length(after - before)} that night: {first} {_offset(before)} or "
                         f"{second} {_offset(after)}?)")
    raise ValueError(f"{shown} is ambiguous in {tz.key} (the clocks go back by {_length(after - before)} "
                     f"that night and the time occurs twice: {shown[11:]} {_offset(after)} or "
                     f"{shown[11:]} {_offset(before)}?)")


def _utc_offset(t: datetime) -> timedelta:
    """The UTC offset of an aware time (a time zone of the database always gives one)."""
    offset = t.utcoffset()
    if offset is None:
        raise ValueError(f"{t} has no UTC offset")
    return offset


def _length(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _fixed(t: datetime) -> datetime:
    """The same instant with a fixed-offset tzinfo (so ``isoformat`` shows the offset)."""
    from datetime import timezone

    return t.replace(tzinfo=timezone(_utc_offset(t)))
