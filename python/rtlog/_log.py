"""Log: an rtlog log directory opened for reading."""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Dict, Iterator, List, Optional, Tuple

from . import _filters, _rtlog
from ._table import Table


@dataclasses.dataclass(frozen=True)
class Field:
    """A field of a record layout: ``type`` is the element type (``u32``, ``f64``, ``char``...),
    ``array_len`` 0 for a scalar, ``offset`` its byte offset in the record."""

    name: str
    type: str
    array_len: int
    offset: int


@dataclasses.dataclass(frozen=True)
class RecordType:
    """A registered record type as the segment headers declare it."""

    name: str
    id: int
    size: int
    align: int
    layout: str
    fields: Tuple[Field, ...]

    @classmethod
    def _of(cls, d: dict) -> "RecordType":
        fields = tuple(Field(*f) for f in d["fields"])
        return cls(d["name"], d["id"], d["size"], d["align"], d["layout"], fields)


@dataclasses.dataclass(frozen=True)
class Stats:
    """The Rust reader's counters (``rtlog::reader::ReaderStats``)."""

    records: int
    matched: int
    segments: int
    bad_segments: int
    vanished_segments: int
    corrupt_regions: int
    torn_bytes: int
    epochs: int
    unclosed_epochs: int
    damage_not_listed: int

    @property
    def damaged(self) -> bool:
        """Whether the reader skipped anything: damaged regions, torn bytes, bad headers."""
        return bool(self.corrupt_regions or self.torn_bytes or self.bad_segments)


@dataclasses.dataclass(frozen=True)
class Damage:
    """A damaged place the reader skipped (``rtlog::reader::Damage``; ``rtlog verify`` lists
    the same)."""

    path: str
    offset: int
    len: int
    what: str


@dataclasses.dataclass(frozen=True)
class Message:
    """A log message: level, wall-clock time, producer, source file and line, text."""

    level: str
    time_ns: int
    producer: Optional[str]
    file: Optional[str]
    line: Optional[int]
    text: str


def open(path, *, strict: bool = False) -> "Log":  # noqa: A001 - the package's entry point
    """Opens the log directory ``path`` (a str or os.PathLike).

    Raises LogError when it is not a readable directory. With ``strict=True`` every read
    raises LogError at the first damaged place (naming the file and offset) instead of
    skipping it."""
    return Log(path, strict=strict)


class Log:
    """A log directory. Each method reads the log anew, so a log still being written shows
    its newer records on the next call."""

    def __init__(self, path, *, strict: bool = False):
        self.path = pathlib.Path(os.fspath(path))
        self.strict = strict
        self._headers()  # a missing or unreadable directory fails here

    def __repr__(self) -> str:
        return f"rtlog.open({str(self.path)!r})"

    def _headers(self) -> Tuple[List[str], List[RecordType]]:
        producers, types = _rtlog.headers(str(self.path))
        return producers, [RecordType._of(t) for t in types]

    def producers(self) -> List[str]:
        """Producer names of every epoch, in the order first met."""
        return self._headers()[0]

    def types(self) -> Dict[str, RecordType]:
        """The registered record types by name. A name registered with another layout in a
        later epoch keeps its first layout here (``table()`` counts those records as
        ``skipped['other_layout']``)."""
        out: Dict[str, RecordType] = {}
        for t in self._headers()[1]:
            out.setdefault(t.name, t)
        return out

    def _filters(self, kw: dict):
        """The native filters; a producer or type name the log lacks is a ValueError naming
        what it has (as ``rtlog dump`` refuses it), so that a typo is not an empty result."""
        unknown = set(kw) - {"start", "end", "lsn", "producer", "stream", "type", "level"}
        if unknown:
            raise TypeError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        producers, types = self._headers()
        p = kw.get("producer")
        if p is not None and p not in producers:
            raise ValueError(f"{self.path} has no producer {p!r}; its producers: {producers}")
        t = kw.get("type")
        if isinstance(t, str) and t not in {x.name for x in types}:
            names = sorted({x.name for x in types})
            raise ValueError(f"{self.path} has no record type named {t!r}; its types: {names}")
        return _filters.make(**kw)

    def records(self, **filters) -> "_rtlog.Records":
        """The data records that pass the filters, in log (LSN) order, as ``rtlog.Record``
        objects (lsn, seq, time_ns, mono_ns, epoch, producer, producer_id, stream, type,
        type_name, level, fields, expected_len, payload).

        Filters (all optional, as ``rtlog dump``'s): ``start``/``end`` (wall-clock: ns since
        the Unix epoch, ISO-8601 string, datetime, numpy.datetime64, pandas.Timestamp;
        inclusive), ``lsn`` (an LSN or an inclusive ``(from, to)`` pair, None for an open end),
        ``producer`` (name), ``stream`` ('critical', 'normal', 0, 1), ``type`` (type name or
        number), ``level`` ('info', 'warn'...: that level or above).

        The iterator's ``stats`` and ``damage`` tell what the reader skipped so far."""
        return _rtlog.Records(str(self.path), self._filters(filters), self.strict)

    def table(self, type, **filters) -> Table:  # noqa: A002 - the CLI's word
        """The records of one registered type (name or number) as a ``Table``: a numpy
        structured array with the columns ``time_ns, lsn, epoch, producer, seq`` and then
        the type's fields (arrays as sub-array columns), decoded in Rust into one buffer.
        Filters as in ``records()``."""
        f = self._filters(dict(filters, type=type))
        return Table._of(_rtlog.table(str(self.path), f, self.strict))

    def messages(self, **filters) -> List[Message]:
        """Log messages (level, time, producer, file, line, text) that pass the filters, in
        log order; the text is rendered as C's printf would (``rtlog dump`` shows the same).
        A message whose call-site frame the log lost reads as ``<call site N>`` and its raw
        arguments, with ``file`` and ``line`` None. Filters as in ``records()`` (``type``
        matches no message)."""
        rows = _rtlog.messages(str(self.path), self._filters(filters), self.strict)
        return [Message(*row) for row in rows]

    def stats(self) -> Stats:
        """The reader's counters after one pass over the whole log: records, segments, and
        how much damage was skipped (damaged regions, torn bytes, bad segment headers)."""
        stats, _ = _rtlog.scan(str(self.path), self.strict)
        return Stats(**stats)

    def damage(self) -> List[Damage]:
        """The damaged places one pass over the log skips (at most 1000 are listed; the
        rest are counted in ``stats().damage_not_listed``)."""
        _, damage = _rtlog.scan(str(self.path), self.strict)
        return [Damage(*d) for d in damage]

    def __iter__(self) -> Iterator["_rtlog.Record"]:
        return iter(self.records())
