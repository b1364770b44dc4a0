"""The keyword filters of Log.records(), Log.table() and Log.messages(), turned into the native
module's Filters: the filters of ``rtlog dump``, with Python's types for times."""

from __future__ import annotations

import datetime as _dt
import re

from . import _rtlog

_STREAMS = {"critical": 0, "normal": 1}
_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"]
_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$"
)
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def time_ns(value) -> int:
    """Wall-clock ns since the Unix epoch for an int (already ns), an ISO-8601 string
    (``2026-11-22T10:00:00.123456789Z``; no zone means UTC), a ``datetime`` (naive means UTC),
    a ``numpy.datetime64`` or a ``pandas.Timestamp``."""
    if isinstance(value, bool):
        raise TypeError("a time must be ns since the Unix epoch, a string or a datetime, not bool")
    if isinstance(value, int):
        return value
    if hasattr(value, "asm8"):  # pandas.Timestamp: keeps its nanoseconds
        value = value.asm8
    if type(value).__name__ == "datetime64":
        import numpy as np

        return int(value.astype("datetime64[ns]").astype(np.int64))
    if isinstance(value, str):
        return _parse_iso(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    raise TypeError(f"cannot use {value!r} as a time (int ns, ISO-8601 str, datetime)")


def _parse_iso(text: str) -> int:
    m = _ISO.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not an ISO-8601 time such as 2026-11-22T10:00:00Z")
    date, hh, mm, ss, frac, zone = m.groups()
    zone = "+00:00" if zone in (None, "Z") else zone
    whole = _dt.datetime.fromisoformat(f"{date}T{hh}:{mm}:{ss}{zone}")
    return time_ns(whole) + int((frac or "").ljust(9, "0"))


def _stream(value):
    if value is None or isinstance(value, int):
        return value
    try:
        return _STREAMS[value]
    except KeyError:
        raise ValueError(f"stream {value!r}: 'critical', 'normal', 0 or 1") from None


def _level(value):
    if value is None or isinstance(value, int):
        return value
    try:
        return _LEVELS.index(value.lower())
    except ValueError:
        raise ValueError(f"level {value!r}: one of {', '.join(_LEVELS)}") from None


def _lsn(value):
    """(from, to), inclusive, from an int, a (from, to) pair with None for an open end."""
    if value is None:
        return None, None
    if isinstance(value, int):
        return value, value
    lo, hi = value
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"the LSN range {lo}..{hi} is empty (from must not exceed to)")
    return lo, hi


def make(start=None, end=None, lsn=None, producer=None, stream=None, type=None, level=None):
    """The native Filters for these keyword arguments (see Log.records)."""
    t_from = None if start is None else time_ns(start)
    t_to = None if end is None else time_ns(end)
    if t_from is not None and t_to is not None and t_from > t_to:
        raise ValueError(f"start {start!r} is later than end {end!r}: the time range is empty")
    lsn_from, lsn_to = _lsn(lsn)
    type_id = type if isinstance(type, int) else None
    type_name = type if isinstance(type, str) else None
    if type is not None and type_id is None and type_name is None:
        raise TypeError(f"type must be a record type number or a type name, not {type!r}")
    return _rtlog.Filters(
        time_from=t_from,
        time_to=t_to,
        lsn_from=lsn_from,
        lsn_to=lsn_to,
        producer=producer,
        stream=_stream(stream),
        type_id=type_id,
        type_name=type_name,
        min_level=_level(level),
    )
