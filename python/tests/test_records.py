"""The Python reader against the Rust reader (`rtlog dump --json`) on logs written by the C
API: every record, field by field; the filters; the typed layouts."""

import datetime as dt
import pathlib

import pytest
import rtlog
from conftest import dump_json, run_cli, same_value


def check_same_records(log, cli, *cli_filters, **filters):
    """Python's records equal `rtlog dump --json`'s with the same filters, field by field."""
    ours = list(rtlog.open(log).records(**filters))
    theirs = dump_json(cli, log, *cli_filters)
    assert len(ours) == len(theirs)
    types = {t.name: t for t in rtlog.open(log).types().values()}
    for r, j in zip(ours, theirs):
        assert (r.lsn, r.epoch, r.time_ns, r.producer, r.producer_id) == (
            j["lsn"], j["epoch"], j["time_ns"], j["producer"], j["producer_id"],
        )
        assert (r.stream, r.type, r.seq, len(r.payload)) == (
            j["stream"], j["type"], j["seq"], j["len"],
        )
        assert r.payload.hex() == j["payload_hex"]
        assert r.type_name == j.get("type_name")
        assert r.expected_len == j.get("expected_len")
        assert r.level == "info"
        if "fields" not in j:
            assert r.fields is None
            continue
        assert list(r.fields) == list(j["fields"]), "fields in layout order"
        for f in types[r.type_name].fields:
            assert same_value(r.fields[f.name], j["fields"][f.name], f.type), (
                f"lsn {r.lsn} {r.type_name}.{f.name}: {r.fields[f.name]!r} != "
                f"{j['fields'][f.name]!r}"
            )
    return ours


def test_the_typed_c_log_reads_as_the_rust_reader_reads_it(typed_log, cli):
    records = check_same_records(typed_log, cli)
    assert len(records) == 17
    by_type = {}
    for r in records:
        by_type.setdefault(r.type_name, []).append(r)
    # Values the C program wrote (ffi-tests/c/test_typed.c), not only what the CLI says.
    assert [r.fields["mode"] for r in by_type["axis_state"][:5]] == [
        "idle", "homing", "run", "fault", "stop",
    ]
    assert by_type["axis_state"][5].fields is None  # 4 bytes of a 48-byte type
    assert by_type["axis_state"][5].expected_len == 48
    assert [r.fields["tag"] for r in by_type["event"]] == ["ABCDE", "ok"] * 2 + ["ABCDE"]
    assert by_type["event"][4].fields["limits"] == [-6.0, 1e300]
    assert by_type["imu"][3].fields["t_ns"] == 10**18 + 3
    assert by_type[None][0].type == 9 and by_type[None][0].payload == b"\x01\x02\x03"


def test_the_demo_log_reads_as_the_rust_reader_reads_it(demo_log, cli):
    records = check_same_records(demo_log, cli)
    assert {r.producer for r in records} >= {f"joint-{i}" for i in range(4)}


@pytest.mark.parametrize(
    "cli_filters, filters",
    [
        (["--producer", "joint-2"], {"producer": "joint-2"}),
        (["--stream", "critical"], {"stream": "critical"}),
        (["--stream", "normal"], {"stream": 1}),
        (["--type", "joint_state"], {"type": "joint_state"}),
        (["--type", "1"], {"type": 1}),
        (["--lsn", "100..250"], {"lsn": (100, 250)}),
        (["--lsn", "3000.."], {"lsn": (3000, None)}),
        (["--lsn", "77"], {"lsn": 77}),
        (["--level", "warn"], {"level": "warn"}),
        (["--producer", "joint-1", "--type", "joint_state", "--lsn", "..2000"],
         {"producer": "joint-1", "type": "joint_state", "lsn": (None, 2000)}),
    ],
)
def test_filters_select_what_the_cli_selects(demo_log, cli, cli_filters, filters):
    check_same_records(demo_log, cli, *cli_filters, **filters)


def test_time_filters_take_ns_iso_strings_and_datetimes(demo_log, cli):
    times = [r.time_ns for r in rtlog.open(demo_log).records()]
    lo, hi = times[len(times) // 4], times[len(times) // 2]
    ours = check_same_records(demo_log, cli, "--from", lo, "--to", hi, start=lo, end=hi)
    got = [r.time_ns for r in ours]
    assert lo in got and hi in got and all(lo <= t <= hi for t in got)
    # The same range as ISO-8601 text (nanoseconds) and as datetimes (microseconds).
    iso = lambda ns: (  # noqa: E731
        dt.datetime.fromtimestamp(ns // 10**9, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        + f".{ns % 10**9:09d}Z"
    )
    assert [r.lsn for r in rtlog.open(demo_log).records(start=iso(lo), end=iso(hi))] == [
        r.lsn for r in ours
    ]
    start = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=lo // 1000)
    check_same_records(demo_log, cli, "--from", lo // 1000 * 1000, start=start)
    # A naive datetime is UTC.
    check_same_records(demo_log, cli, "--to", lo // 1000 * 1000, end=start.replace(tzinfo=None))
    with pytest.raises(ValueError, match="later than end"):
        rtlog.open(demo_log).records(start=hi, end=lo)


def test_a_name_the_log_lacks_is_an_error_naming_what_it_has(demo_log, cli):
    log = rtlog.open(demo_log)
    with pytest.raises(ValueError, match=r"no producer 'arm'; its producers: \['joint-0'"):
        log.records(producer="arm")
    with pytest.raises(ValueError, match="no record type named 'torque'.*joint_state"):
        log.table("torque")
    # The CLI refuses them too (exit 2).
    assert run_cli(cli, "dump", demo_log, "--producer", "arm", check=False).returncode == 2
    with pytest.raises(TypeError, match="unknown filter"):
        log.records(prodcer="joint-0")


def test_types_are_the_c_structs_layouts(typed_log):
    types = rtlog.open(pathlib.Path(typed_log)).types()
    assert {n: (t.id, t.size, t.layout) for n, t in types.items()} == {
        "axis_state": (1, 48, "u32 axis; f64 position; f64 velocity; bool enabled; char[16] mode"),
        "imu": (2, 40, "i16[3] accel; f32[3] gyro; u64 t_ns; i8 temp_c"),
        "event": (300, 48, "u8 code; i64 value; u16 flags; char[5] tag; f64[2] limits; i32 delta"),
    }
    # Offsets as the C compiler places the members (test_typed.c checks them with offsetof).
    assert [(f.name, f.type, f.array_len, f.offset) for f in types["event"].fields] == [
        ("code", "u8", 0, 0), ("value", "i64", 0, 8), ("flags", "u16", 0, 16),
        ("tag", "char", 5, 18), ("limits", "f64", 2, 24), ("delta", "i32", 0, 40),
    ]
    assert rtlog.open(typed_log).producers() == ["ctl"]


def test_stats_mirror_the_reader(typed_log):
    s = rtlog.open(typed_log).stats()
    assert (s.records, s.segments, s.epochs, s.unclosed_epochs) == (17, 1, 1, 0)
    assert not s.damaged and rtlog.open(typed_log).damage() == []
    records = rtlog.open(typed_log).records(type="imu")
    assert len(list(records)) == 5
    assert (records.stats.matched, records.stats.records) == (5, 17)


def test_messages_match_the_rust_reader(demo_log, cli):
    # The demo's RT threads log messages at several levels (examples-c/control_loop.cpp).
    ours = rtlog.open(demo_log).messages()
    theirs = dump_json(cli, demo_log, messages=True)
    assert len(ours) == len(theirs) > 0
    for m, j in zip(ours, theirs):
        assert (m.level, m.file, m.line, m.text) == (j["level"], j["file"], j["line"], j["message"])
        assert m.producer == j["producer"]
    warn = rtlog.open(demo_log).messages(level="warn")
    assert warn == [m for m in ours if m.level in ("warn", "error", "fatal")]
    # Records stay data records; a type filter matches no message.
    assert all(r.type_name is not None or r.type is not None for r in rtlog.open(demo_log).records())
    assert rtlog.open(demo_log).messages(type="joint_state") == []
    with pytest.raises(ValueError, match="no producer"):
        rtlog.open(demo_log).messages(producer="nobody")


def test_the_typed_log_has_no_messages(typed_log):
    assert rtlog.open(typed_log).messages() == []


def test_numpy_and_pandas_times_keep_their_nanoseconds(demo_log):
    import numpy as np

    pd = pytest.importorskip("pandas")
    times = sorted(r.time_ns for r in rtlog.open(demo_log).records())
    lo = times[len(times) // 3] + 1  # not a whole microsecond: a datetime would lose it
    expected = [r.lsn for r in rtlog.open(demo_log).records(start=lo)]
    assert 0 < len(expected) < len(times)
    for start in (np.datetime64(lo, "ns"), pd.Timestamp(lo, unit="ns")):
        assert [r.lsn for r in rtlog.open(demo_log).records(start=start)] == expected
    with pytest.raises(TypeError, match="as a time"):
        rtlog.open(demo_log).records(start=1.5)
    with pytest.raises(ValueError, match="not an ISO-8601 time"):
        rtlog.open(demo_log).records(end="yesterday")


def test_a_record_as_a_dict_and_as_text(typed_log):
    r = next(iter(rtlog.open(typed_log).records(type="event")))
    d = r.as_dict()
    assert list(d) == [
        "lsn", "seq", "time_ns", "mono_ns", "epoch", "producer", "producer_id", "stream",
        "type", "type_name", "level", "fields", "expected_len", "payload",
    ]
    assert all(d[k] == getattr(r, k) for k in d)
    assert (d["type"], d["type_name"], d["fields"]["tag"]) == (300, "event", "ABCDE")
    assert repr(r).startswith(f"<rtlog.Record lsn={r.lsn} time_ns={r.time_ns} producer=ctl ")
    assert "event {'code': 200," in repr(r)
