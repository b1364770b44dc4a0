"""Log.table(): numpy structured arrays decoded in Rust, against `rtlog dump --json`; the
pandas and polars frames made from them."""

import sys

import numpy as np
import pytest
import rtlog
from conftest import copy_log, dump_json, fix_crcs, frames, same_value, segments


def check_table(log, cli, name, **filters):
    """The table's rows equal the typed records `rtlog dump --json --type NAME` prints."""
    t = rtlog.open(log).table(name, **filters)
    args = ["--type", name] + [x for k, v in filters.items() for x in (f"--{k}", v)]
    theirs = [j for j in dump_json(cli, log, *args) if "fields" in j]
    assert len(t) == len(theirs) > 0
    names = t.producer_names()
    for i, j in enumerate(theirs):
        row = t[i]
        assert (int(row["time_ns"]), int(row["lsn"]), int(row["epoch"]), int(row["seq"])) == (
            j["time_ns"], j["lsn"], j["epoch"], j["seq"],
        )
        assert names[i] == j["producer"]
        for f in t.type.fields:
            v = row[f.name]
            if f.type == "char":
                v = v.decode()
            elif f.array_len:
                v = v.tolist()
            else:
                v = v.item()
            assert same_value(v, j["fields"][f.name], f.type), (name, f.name, v, j["fields"])
    return t


@pytest.mark.parametrize("name", ["axis_state", "imu", "event"])
def test_tables_of_the_typed_c_log(typed_log, cli, name):
    t = check_table(typed_log, cli, name)
    assert len(t) == 5
    # The 4-byte axis_state record is left out and counted.
    assert t.skipped == {"other_layout": 0, "wrong_length": int(name == "axis_state"), "untyped": 0}
    assert t.stats.records == 17 and t.damage == []


def test_tables_of_the_demo_log_with_filters(demo_log, cli):
    for name in rtlog.open(demo_log).types():
        check_table(demo_log, cli, name)
    t = check_table(demo_log, cli, "joint_state", producer="joint-3", stream="critical")
    # Codes index the log's producers, in the order of its headers (creation order).
    assert t.producers == [f"joint-{i}" for i in range(4)] and set(t["producer"]) == {3}


def test_the_dtype_follows_the_layout(typed_log):
    t = rtlog.open(typed_log).table("imu")
    assert t.dtype.names == (
        "time_ns", "lsn", "epoch", "producer", "seq", "accel", "gyro", "t_ns", "temp_c",
    )
    assert t["accel"].shape == (5, 3) and t["accel"].dtype == np.int16
    assert t["gyro"].dtype == np.float32 and t["t_ns"].dtype == np.uint64
    assert t["accel"][4].tolist() == [4, -4, 4000]
    assert t["t_ns"][3] == 10**18 + 3  # exact: no float on the way
    # By number, the same table.
    assert np.array_equal(np.asarray(rtlog.open(typed_log).table(2)), np.asarray(t))
    with pytest.raises(ValueError, match="no registered record type number 9"):
        rtlog.open(typed_log).table(9)


def test_bool_bytes_and_string_tails_read_as_the_format_means_them(typed_log, cli, tmp_path):
    """A bool byte of 7 is true; a char[N] ends at its first NUL whatever follows: the table
    normalises both bytes, so numpy shows what dump shows."""
    log = copy_log(typed_log, tmp_path / "log")
    seg = segments(log)[0]
    b = bytearray(seg.read_bytes())
    off = next(o for o, n, lsn in frames(b) if lsn == 2)  # the first axis_state record
    p = off + 48
    b[p + 24] = 7  # enabled
    b[p + 25 : p + 33] = b"idle\0xyz"  # mode
    fix_crcs(b)
    seg.write_bytes(bytes(b))
    t = check_table(log, cli, "axis_state")
    assert t["enabled"][0] == np.True_ and t["enabled"].view(np.uint8)[0] == 1
    assert t["mode"][0] == b"idle"
    r = next(iter(rtlog.open(log).records()))
    assert r.fields["enabled"] is True and r.fields["mode"] == "idle"


def test_to_pandas_flattens_arrays_and_names_producers(demo_log, typed_log):
    pd = pytest.importorskip("pandas")
    t = rtlog.open(typed_log).table("event")
    df = t.to_pandas()
    assert list(df.columns) == [
        "time_ns", "lsn", "epoch", "producer", "seq", "code", "value", "flags", "tag",
        "limits[0]", "limits[1]", "delta",
    ]
    assert df["tag"].tolist() == ["ABCDE", "ok", "ABCDE", "ok", "ABCDE"]
    assert df["limits[0]"].tolist() == t["limits"][:, 0].tolist()
    assert df["value"].tolist() == t["value"].tolist()
    assert isinstance(df["producer"].dtype, pd.CategoricalDtype)
    assert df["producer"].tolist() == ["ctl"] * 5

    j = rtlog.open(demo_log).table("joint_state").to_pandas(index="time")
    assert isinstance(j.index, pd.DatetimeIndex) and str(j.index.tz) == "UTC"
    assert (j.index.asi8 == j["time_ns"].to_numpy().astype(np.int64)).all()
    assert set(j["producer"]) == {f"joint-{i}" for i in range(4)}
    # What the docs' walkthrough does: filter, resample; against the same means by hand (the
    # 100 ms bins are whole multiples of 100 ms since the Unix epoch).
    x = j[j["producer"] == "joint-0"]["position_rad"]
    means = x.resample("100ms").mean().dropna()
    by_hand = x.groupby(x.index.asi8 // 10**8 * 10**8).mean()
    assert len(x) > 0 and means.index.asi8.tolist() == by_hand.index.tolist()
    assert np.allclose(means.to_numpy(), by_hand.to_numpy(), rtol=1e-12, atol=0)


def test_to_polars_has_the_same_columns(typed_log):
    pl = pytest.importorskip("polars")
    t = rtlog.open(typed_log).table("imu")
    df = t.to_polars()
    assert df.columns == t.to_pandas().columns.tolist()
    assert df["accel[2]"].to_list() == [0, 1000, 2000, 3000, 4000]
    assert df["producer"].dtype == pl.Categorical and df["producer"].to_list() == ["ctl"] * 5


def test_missing_pandas_or_polars_is_a_clear_import_error(typed_log, monkeypatch):
    t = rtlog.open(typed_log).table("imu")
    for module, method in [("pandas", t.to_pandas), ("polars", t.to_polars)]:
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
        with pytest.raises(ImportError, match=f"needs {module}.*pip install {module}"):
            method()


def test_an_empty_selection_is_an_empty_table_of_the_type(typed_log):
    t = rtlog.open(typed_log).table("imu", lsn=(1000, None))
    assert len(t) == 0 and t["accel"].shape == (0, 3)
    assert list(t.to_pandas(index="time").columns)[5:8] == ["accel[0]", "accel[1]", "accel[2]"]
