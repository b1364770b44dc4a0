"""The exports of `rtlog export` read back with PyPI's packages: MCAP with `mcap`, every
message against `rtlog dump --json`; CSV with csv and pandas, against the Python tables."""

import csv
import json

import numpy as np
import pytest
import rtlog
from conftest import dump_json, run_cli


def mcap_messages(path):
    from mcap.reader import make_reader

    with open(path, "rb") as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        compressions = {c.compression for c in summary.chunk_indexes}
        # File order: the order the exporter wrote, which is the log's (LSN) order.
        messages = list(reader.iter_messages(log_time_order=False))
    return compressions, messages


@pytest.mark.parametrize("which", ["typed_log", "demo_log"])
def test_every_mcap_message_is_the_record_dump_prints(which, cli, tmp_path, request):
    log = request.getfixturevalue(which)
    out = tmp_path / "run.mcap"
    run_cli(cli, "export", log, "--format", "mcap", "-o", out)
    compressions, messages = mcap_messages(out)
    assert compressions == {"zstd"}
    data = [m for m in messages if not m[1].topic.endswith(("/loss", "/state", "/log"))]
    records = dump_json(cli, log)
    assert len(data) == len(records) == len(list(rtlog.open(log).records())) > 0
    for (schema, channel, message), j in zip(data, records):
        body = json.loads(message.data)
        assert (message.log_time, message.publish_time) == (j["time_ns"], j["time_ns"])
        assert message.sequence == j["seq"] & 0xFFFFFFFF
        assert schema.encoding == "jsonschema" and channel.message_encoding == "json"
        if "fields" in j:
            assert channel.topic == f"/{j['producer']}/{j['type_name']}"
            assert schema.name == j["type_name"]
            assert body == j["fields"]
        else:
            assert channel.topic == f"/{j['producer']}/type-{j['type']}"
            assert schema.name == "rtlog.Untyped"
            assert (body["type"], body["len"], body["payload_hex"]) == (
                j["type"], j["len"], j["payload_hex"],
            )
            assert body.get("expected_len") == j.get("expected_len")
    # The markers' channels carry what their schemas say.
    for schema, channel, message in messages:
        if channel.topic == "/rtlog/state":
            body = json.loads(message.data)
            assert schema.name == "rtlog.StateChange" and set(body) >= {"from", "to", "cause"}


def test_csv_round_trip_equals_the_tables(typed_log, demo_log, cli, tmp_path):
    pd = pytest.importorskip("pandas")
    for n, log in enumerate([typed_log, demo_log]):
        out = tmp_path / f"csv-{n}"
        run_cli(cli, "export", log, "--format", "csv", "-o", out)
        for name in rtlog.open(log).types():
            ours = rtlog.open(log).table(name).to_pandas()
            theirs = pd.read_csv(out / f"{name}.csv", keep_default_na=False)
            assert len(theirs) == len(ours) > 0
            assert set(theirs.columns) - set(ours.columns) == {"stream"}
            for col in ours.columns:
                a, b = ours[col].to_numpy(), theirs[col].to_numpy()
                if a.dtype.kind == "f":
                    # Floats are written in their shortest round-trip form of their own width.
                    b = b.astype(a.dtype)
                    assert np.array_equal(a, b, equal_nan=True), (name, col)
                else:
                    assert a.tolist() == b.tolist(), (name, col)
            # The csv module reads the same rows, strings unquoted.
            with open(out / f"{name}.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            assert [int(r["lsn"]) for r in rows] == ours["lsn"].tolist()
    # Records without a usable layout go to type-<N>.csv, as bytes.
    with open(tmp_path / "csv-0" / "type-9.csv", newline="") as f:
        (row,) = list(csv.DictReader(f))
    (r,) = list(rtlog.open(typed_log).records(type=9))
    assert (int(row["lsn"]), row["payload_hex"]) == (r.lsn, r.payload.hex())
