"""Table: one record type as a numpy structured array, and its pandas / polars frames."""

from __future__ import annotations

from typing import List, Tuple

import numpy as np

#: Numpy element types of the layout's scalars (docs/FORMAT.md, Record layouts).
_NUMPY = {
    "i8": "i1", "i16": "<i2", "i32": "<i4", "i64": "<i8",
    "u8": "u1", "u16": "<u2", "u32": "<u4", "u64": "<u8",
    "f32": "<f4", "f64": "<f8", "bool": "?",
}  # fmt: skip

#: The record columns before the type's fields: (name, numpy type, offset in the row).
_LEADING = [("time_ns", "<u8", 0), ("lsn", "<u8", 8), ("epoch", "<u4", 24),
            ("producer", "<u2", 28), ("seq", "<u8", 16)]  # fmt: skip


def _need(module: str, method: str):
    try:
        return __import__(module)
    except ImportError as e:
        raise ImportError(
            f"Table.{method}() needs {module}, which is not installed: "
            f"pip install {module}  (or pip install 'rtlog[{module}]')"
        ) from e


class Table:
    """The records of one type. ``array`` is the numpy structured array: ``time_ns``
    (wall-clock ns since the Unix epoch), ``lsn``, ``epoch``, ``producer`` (an index into
    ``producers``, the log's producer names in the order its headers list them), ``seq``, then the type's fields — an array field as a sub-array column,
    ``char[N]`` as ``S<N>`` bytes; a field named like a leading column is ``fields.<name>``.

    ``skipped`` counts the records of the selection left out (``other_layout``: the type's
    name with another layout in another epoch; ``wrong_length``; ``untyped``), ``stats`` and
    ``damage`` what the reader skipped."""

    def __init__(self, array, record_type, producers, skipped, stats, damage):
        self.array = array
        self.type = record_type
        self.producers: List[str] = producers
        self.skipped = skipped
        self.stats = stats
        self.damage = damage

    @classmethod
    def _of(cls, d: dict) -> "Table":
        from ._log import Damage, RecordType, Stats

        t = RecordType._of(d["type"])
        dtype = _dtype(t, d["itemsize"], d["header_bytes"])
        array = np.frombuffer(d["buffer"], dtype=dtype, count=d["rows"])
        damage = [Damage(*x) for x in d["damage"]]
        return cls(array, t, d["producers"], d["skipped"], Stats(**d["stats"]), damage)

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, key):
        return self.array[key]

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    def __repr__(self) -> str:
        return f"<rtlog.Table {self.type.name}: {len(self)} rows, columns {list(self.dtype.names)}>"

    def producer_names(self) -> np.ndarray:
        """The producer column as names (an object array)."""
        return np.asarray(self.producers, dtype=object)[self.array["producer"]]

    def columns(self) -> List[Tuple[str, np.ndarray]]:
        """Flat 1-D columns: an array field ``torque`` of 2 elements becomes ``torque[0]``,
        ``torque[1]``; ``char[N]`` fields are decoded to str (UTF-8, bad bytes replaced);
        ``producer`` stays the codes."""
        out = []
        for name in self.dtype.names:
            col = self.array[name]
            if col.dtype.kind == "S":
                out.append((name, np.char.decode(col, "utf-8", "replace")))
            elif col.ndim == 2:
                out.extend((f"{name}[{i}]", col[:, i]) for i in range(col.shape[1]))
            else:
                out.append((name, col))
        return out

    def to_pandas(self, index=None):
        """A pandas DataFrame of ``columns()``, with ``producer`` as a Categorical of the
        names. ``index="time"`` gives it a DatetimeIndex (UTC) named ``time`` from ``time_ns``,
        ready for ``resample``. Needs pandas."""
        pd = _need("pandas", "to_pandas")
        data = {}
        for name, col in self.columns():
            if name == "producer":
                col = pd.Categorical.from_codes(col.astype(np.int32), categories=self.producers)
            data[name] = col
        df = pd.DataFrame(data, copy=False)
        if index == "time":
            times = pd.to_datetime(self.array["time_ns"].astype(np.int64), unit="ns", utc=True)
            df.index = pd.DatetimeIndex(times, name="time")
        elif index is not None:
            raise ValueError(f"index={index!r}: None or 'time'")
        return df

    def to_polars(self):
        """A polars DataFrame of ``columns()``, with ``producer`` as a Categorical of the
        names. Needs polars."""
        pl = _need("polars", "to_polars")
        series = []
        for name, col in self.columns():
            if name == "producer":
                names = self.producer_names().astype(str)
                series.append(pl.Series(name, names, dtype=pl.Categorical))
            else:
                series.append(pl.Series(name, col))
        return pl.DataFrame(series)


def _dtype(t, itemsize: int, header_bytes: int) -> np.dtype:
    leading = {name for name, _, _ in _LEADING}
    names, formats, offsets = [], [], []
    for name, fmt, offset in _LEADING:
        names.append(name)
        formats.append(fmt)
        offsets.append(offset)
    for f in t.fields:
        names.append(f"fields.{f.name}" if f.name in leading else f.name)
        if f.type == "char":
            formats.append(f"S{f.array_len}")
        elif f.array_len:
            formats.append((_NUMPY[f.type], (f.array_len,)))
        else:
            formats.append(_NUMPY[f.type])
        offsets.append(header_bytes + f.offset)
    spec = {"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize}
    return np.dtype(spec)
