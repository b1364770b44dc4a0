"""Damaged and unreadable logs: the Python reader skips damage as the Rust reader does (the
`rtlog` tool's dump, export and verify are the reference), says how much, and raises
rtlog.LogError — never a crash — for what it cannot read. Over hand-made damage and over the
reader fuzzer's corpus of hostile files."""

import csv
import json
import os
import re
import zlib

import pytest
import rtlog
from conftest import copy_log, fix_crcs, frames, run_cli, segments
from test_export import mcap_messages

EXPORT_DAMAGE = re.compile(
    r"(\d+) damaged region\(s\), (\d+) torn byte\(s\), (\d+) bad segment header\(s\), "
    r"(\d+) segment\(s\) deleted"
)
VERIFY_LINE = re.compile(r"^(.*): offset (\d+), length (\d+): (.*)$")


def damage_said(p) -> tuple:
    """The counts on an export's stderr line, all 0 when it has none."""
    m = EXPORT_DAMAGE.search(p.stderr)
    return tuple(map(int, m.groups())) if m else (0, 0, 0, 0)


def export_jsonl(cli, log):
    """(records, damage counts) from `rtlog export --format jsonl`, or None on exit 2."""
    p = run_cli(cli, "export", log, "--format", "jsonl", "-o", "-", check=False)
    if p.returncode == 2:
        return None
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    # Data records only: Log.records() leaves log messages to Log.messages().
    return [r for r in rows if r.get("kind") != "message"], damage_said(p)


def read_python(log, **kw):
    records = rtlog.open(log, **kw).records()
    out = list(records)
    s = records.stats
    counts = (s.corrupt_regions, s.torn_bytes, s.bad_segments, s.vanished_segments)
    return out, counts, [(d.path, d.offset, d.len, d.what) for d in records.damage]


def verify_damage(cli, log):
    """`rtlog verify`'s list, in the reader's terms: the reader records a bad header with
    length 0, which verify shows as the file's size (the whole file is unreadable)."""
    p = run_cli(cli, "verify", log, check=False)
    assert p.returncode in (0, 1), p.stderr
    places = []
    for m in map(VERIFY_LINE.match, p.stdout.splitlines()):
        if m:
            path, offset, length, what = m[1], int(m[2]), int(m[3]), m[4]
            if what.startswith("bad segment header") and length == os.path.getsize(path):
                length = 0
            places.append((path, offset, length, what))
    return places


def check_like_the_tool(cli, log):
    """Records, damage counts and damaged places equal the tool's; returns Python's."""
    ours, counts, damage = read_python(log)
    theirs, their_counts = export_jsonl(cli, log)
    assert [r.lsn for r in ours] == [j["lsn"] for j in theirs]
    assert counts == their_counts
    assert damage == verify_damage(cli, log)
    assert [(d.path, d.offset, d.len, d.what) for d in rtlog.open(log).damage()] == damage
    return ours, counts, damage


def test_a_torn_tail_and_a_damaged_frame_are_skipped_and_counted(typed_log, cli, tmp_path):
    log = copy_log(typed_log, tmp_path / "log")
    seg = segments(log)[0]
    b = bytearray(seg.read_bytes())
    spans = frames(b)
    hit = spans[5]  # a data frame in the middle
    b[hit[0] + 50] ^= 0x55
    seg.write_bytes(bytes(b[:-30]))  # and the last write torn
    ours, counts, damage = check_like_the_tool(cli, log)
    assert hit[2] not in [r.lsn for r in ours]
    assert len(ours) == 17 - 1  # the torn last frame is the clean close, not a record
    assert counts[0] == 1 and counts[1] > 0 and counts[2:] == (0, 0)
    assert [d[1] for d in damage][0] == hit[0]
    s = rtlog.open(log).stats()
    assert s.damaged and (s.corrupt_regions, s.torn_bytes) == counts[:2]
    # Table too: the damaged record is missing, the rest is there.
    t = rtlog.open(log).table("imu")
    assert t.stats.corrupt_regions == 1 and len(t.damage) == 2

    # strict=True raises at the first damaged place, naming the file and the offset.
    with pytest.raises(rtlog.LogError) as e:
        list(rtlog.open(log, strict=True).records())
    assert e.value.offset == hit[0] and e.value.path == str(seg)
    assert f"{seg} at offset {hit[0]}" in str(e.value)
    assert isinstance(e.value, OSError)
    for call in (lambda l: l.table("imu"), lambda l: l.stats()):
        with pytest.raises(rtlog.LogError, match=f"at offset {hit[0]}"):
            call(rtlog.open(log, strict=True))


def test_a_truncated_multi_segment_log_reads_as_the_tool_reads_it(demo_log, cli, tmp_path):
    log = copy_log(demo_log, tmp_path / "log")
    segs = segments(log)
    b = segs[0].read_bytes()
    spans = frames(b)
    off = spans[len(spans) // 2][0]
    segs[0].write_bytes(b[: off + 20])  # cut inside a frame
    ours, counts, _ = check_like_the_tool(cli, log)
    assert counts[1] > 0 and len(ours) < len(list(rtlog.open(demo_log).records()))


def test_unreadable_paths_raise_log_error(tmp_path, cli):
    missing = tmp_path / "nope"
    with pytest.raises(rtlog.LogError, match="nope") as e:
        rtlog.open(missing)
    assert e.value.path == str(missing) and e.value.offset is None
    not_dir = tmp_path / "file"
    not_dir.write_text("hello")
    with pytest.raises(OSError, match="file"):
        rtlog.open(not_dir)
    for path in (missing, not_dir):
        assert run_cli(cli, "dump", path, check=False).returncode == 2


def test_a_bad_magic_only_segment_reads_as_an_empty_damaged_log(typed_log, cli, tmp_path):
    log = copy_log(typed_log, tmp_path / "log")
    seg = segments(log)[0]
    b = bytearray(seg.read_bytes())
    b[0:8] = b"NOTASEG!"
    seg.write_bytes(bytes(b))
    ours, counts, damage = check_like_the_tool(cli, log)
    assert ours == [] and counts == (0, 0, 1, 0)
    assert damage[0][:3] == (str(seg), 0, 0) and "bad segment header" in damage[0][3]
    # Its types are in the unreadable header: the log declares none (as the tool says).
    with pytest.raises(ValueError, match=r"no record type named 'imu'; its types: \[\]"):
        rtlog.open(log).table("imu")
    with pytest.raises(rtlog.LogError, match="offset 0.*bad segment header") as e:
        list(rtlog.open(log, strict=True).records())
    assert e.value.offset == 0


def test_a_newer_format_is_refused_with_a_message(typed_log, cli, tmp_path):
    log = copy_log(typed_log, tmp_path / "log")
    seg = segments(log)[0]
    b = bytearray(seg.read_bytes())
    b[8:10] = (2).to_bytes(2, "little")  # format_major 2, with a valid header CRC
    hlen = int.from_bytes(b[12:16], "little")
    b[hlen - 8 : hlen - 4] = zlib.crc32(b[: hlen - 8]).to_bytes(4, "little")
    seg.write_bytes(bytes(b))
    with pytest.raises(rtlog.LogError, match=f"{seg}: format version 2 is newer than this"):
        rtlog.open(log)
    assert export_jsonl(cli, log) is None  # the tool refuses it too (exit 2)


# ---- the hostile-file corpus ----------------------------------------------------------------

SEPARATOR = b"=RTLOG-FILE="


def unpack(data: bytes, into):
    """Writes the files one corpus input encodes (fuzz/src/checks/files.rs, `decode` and
    `write`): pieces split at SEPARATOR, each a selector byte and the contents; bits 0-2 the
    segment index - 1, bits 3-4 the name's form, bit 5 recompute the CRCs."""
    rest, n = data, 0
    while n < 8 and rest:
        at = rest.find(SEPARATOR)
        piece, rest = (rest[:at], rest[at + len(SEPARATOR) :]) if at >= 0 else (rest, b"")
        if not piece:
            continue
        n += 1
        selector, contents = piece[0], bytearray(piece[1:])
        if selector & 0x20:
            fix_crcs(contents)
        index, form = (selector & 7) + 1, (selector >> 3) & 3
        name = {2: f"seg-0{index:010}.rtlog", 3: f"seg-{index:010}.rtlog.broken"}.get(
            form, f"seg-{index:010}.rtlog"
        )
        (into / name).write_bytes(bytes(contents))


def meta(r):
    """What a record says besides its field values, as the JSON of dump names it."""
    return (r.lsn, r.epoch, r.time_ns, r.producer, r.producer_id, r.stream, r.type, r.seq,
            r.payload.hex(), r.type_name, r.expected_len, r.fields is not None)  # fmt: skip


def meta_json(j):
    return (j["lsn"], j["epoch"], j["time_ns"], j["producer"], j["producer_id"], j["stream"],
            j["type"], j["seq"], j["payload_hex"], j.get("type_name"), j.get("expected_len"),
            "fields" in j)  # fmt: skip


def test_the_hostile_corpus_reads_as_the_tool_reads_it(hostile_corpus, cli, tmp_path):
    """Every input of the reader fuzzer's corpus: the Python reader returns the records the
    tool exports (jsonl: every attribute but the field values; mcap, csv: as many), counts the same damage, and fails only where the tool fails,
    with LogError. Any other exception (a Rust panic would be pyo3's PanicException) fails."""
    inputs = sorted(hostile_corpus.iterdir())
    assert len(inputs) > 100
    totals = {"inputs": 0, "damaged": 0, "refused": 0, "records": 0}
    for i, path in enumerate(inputs):
        log = tmp_path / f"in-{i}"
        log.mkdir()
        unpack(path.read_bytes(), log)
        ctx = f"corpus input {path.name}"
        try:
            ours = read_python(log)
        except rtlog.LogError as e:
            ours = e
        theirs = export_jsonl(cli, log)
        totals["inputs"] += 1
        if isinstance(ours, rtlog.LogError):
            assert theirs is None, f"{ctx}: Python refused ({ours}), the tool exported"
            totals["refused"] += 1
            continue
        records, counts, damage = ours
        if theirs is None:
            # The tool refuses a directory with no segment file; the reader reads it as empty.
            assert not any(p.name.endswith(".rtlog") for p in log.iterdir()), ctx
            assert records == [] and counts == (0, 0, 0, 0), ctx
            continue
        their_records, their_counts = theirs
        assert [meta(r) for r in records] == [meta_json(j) for j in their_records], ctx
        assert counts == their_counts, ctx
        totals["damaged"] += any(counts)
        # strict=True: an exception at the first damaged place, or the same records.
        if damage:
            with pytest.raises(rtlog.LogError) as e:
                list(rtlog.open(log, strict=True).records())
            assert (e.value.path, e.value.offset) == damage[0][:2], ctx
        else:
            assert [r.lsn for r in rtlog.open(log, strict=True).records()] == [
                r.lsn for r in records
            ], ctx
        totals["records"] += len(records)
        # The MCAP and CSV exporters: one data message, one row per record, the same damage
        # said on stderr.
        out = tmp_path / f"in-{i}.mcap"
        assert damage_said(run_cli(cli, "export", log, "--format", "mcap", "-o", out)) == counts
        _, messages = mcap_messages(out)
        data = [x for x in messages if not x[1].topic.endswith(("/loss", "/state", "/log"))]
        assert len(data) == len(records), ctx
        out = tmp_path / f"in-{i}-csv"
        assert damage_said(run_cli(cli, "export", log, "--format", "csv", "-o", out)) == counts
        rows = 0
        for table in out.glob("*.csv"):
            if table.name == "messages.csv":  # the log messages: not records
                continue
            with open(table, newline="") as f:
                rows += len(list(csv.DictReader(f)))
        assert rows == len(records), ctx
    print(f"hostile corpus: {totals}")
    # The corpus exercises the damage paths, not only clean logs.
    assert totals["damaged"] > 50 and totals["records"] > 0
