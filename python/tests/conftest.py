"""Fixtures of the Python package's tests: logs written by the project's C programs, and the
`rtlog` tool (the Rust reader's view of the same logs, to compare with).

ctest (label `python`, cmake/python.cmake) passes the programs' paths in environment variables
and sets RTLOG_PYTEST_REQUIRE=1, so that a missing one fails instead of skipping:

- RTLOG_CLI: the `rtlog` tool;
- RTLOG_TYPED_WRITER: ffi-tests/c/test_typed, which writes <dir>/typed-log (three C struct
  types, an untyped record and a typed record of the wrong length);
- RTLOG_DEMO_PROGRAM: examples-c/control_loop.cpp (four producers of typed records);
- RTLOG_HOSTILE_CORPUS: fuzz/corpus/reader, the reader fuzzer's corpus of hostile files.
"""

import json
import math
import os
import pathlib
import shutil
import subprocess

import pytest


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        if os.environ.get("RTLOG_PYTEST_REQUIRE") == "1":
            pytest.fail(f"{name} is not set (ctest sets it; see cmake/python.cmake)")
        pytest.skip(f"{name} is not set: run these tests with ctest -L python")
    return value


@pytest.fixture(scope="session")
def cli() -> str:
    return _env("RTLOG_CLI")


@pytest.fixture(scope="session")
def typed_log(tmp_path_factory) -> pathlib.Path:
    """The typed test log of ffi-tests/c/test_typed.c (written by the C API)."""
    writer = _env("RTLOG_TYPED_WRITER")
    base = tmp_path_factory.mktemp("typed")
    subprocess.run([writer, str(base)], check=True, cwd=base, capture_output=True)
    log = base / "typed-log"
    assert log.is_dir(), f"{writer} wrote no {log}"
    return log


@pytest.fixture(scope="session")
def demo_log(tmp_path_factory) -> pathlib.Path:
    """One second of the C++ demo: four producers of joint_state records (and its latency
    records), written through the C API."""
    program = _env("RTLOG_DEMO_PROGRAM")
    base = tmp_path_factory.mktemp("demo")
    log = base / "log"
    subprocess.run([program, "1", str(log)], check=True, cwd=base, capture_output=True)
    return log


@pytest.fixture(scope="session")
def hostile_corpus() -> pathlib.Path:
    return pathlib.Path(_env("RTLOG_HOSTILE_CORPUS"))


def run_cli(cli: str, *args, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rtlog {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}")
    return p


def dump_json(cli: str, log, *filters, messages: bool = False) -> list:
    """`rtlog dump --json` of the log: the Rust reader's data records, one dict each (with
    ``messages=True``, its log messages instead: ``Log.records()`` and ``Log.messages()`` are
    two calls, while dump prints both in one stream)."""
    out = run_cli(cli, "dump", log, "--json", *filters).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    return [r for r in rows if (r.get("kind") == "message") == messages]


def copy_log(src: pathlib.Path, dst: pathlib.Path) -> pathlib.Path:
    shutil.copytree(src, dst)
    return dst


def segments(log: pathlib.Path) -> list:
    return sorted(p for p in log.iterdir() if p.name.startswith("seg-") and p.suffix == ".rtlog")


def same_value(ours, theirs, scalar: str) -> bool:
    """Whether a Python value equals the value `rtlog dump --json` printed: JSON's null is
    NaN or an infinity (JSON has neither), and an f32 is printed in its shortest f32 form."""
    if isinstance(theirs, list):
        return len(ours) == len(theirs) and all(
            same_value(a, b, scalar) for a, b in zip(ours, theirs)
        )
    if theirs is None:
        return isinstance(ours, float) and not math.isfinite(ours)
    if scalar == "f32":
        import numpy as np

        return np.float32(ours) == np.float32(theirs)
    if scalar == "f64":  # -1.0 is printed -1, which JSON reads as an int
        return isinstance(ours, float) and ours == float(theirs)
    return type(ours) is type(theirs) and ours == theirs


def fix_crcs(b: bytearray) -> None:
    """Recomputes a segment's header CRC and every frame's CRC under its salt (docs/FORMAT.md),
    walking the frames by their length fields; stops where one does not fit. The Python twin of
    fuzz/src/checks/files.rs `fix_crcs`, so that edited segments stay valid."""
    import zlib

    if len(b) < 16 or b[:8] != b"RTLOGSEG":
        return
    hlen = int.from_bytes(b[12:16], "little")
    if not (88 <= hlen <= 1 << 20) or hlen % 8 or len(b) < hlen:
        return
    b[hlen - 8 : hlen - 4] = zlib.crc32(b[: hlen - 8]).to_bytes(4, "little")
    salt = bytes(b[32:40])
    off = hlen
    while off + 48 <= len(b):
        n = int.from_bytes(b[off + 4 : off + 8], "little")
        size = 48 + (n + 7) // 8 * 8
        if n > 1 << 20 or off + size > len(b):
            return
        crc = zlib.crc32(bytes(b[off + 4 : off + 48 + n]), zlib.crc32(salt))
        b[off : off + 4] = crc.to_bytes(4, "little")
        off += size


def frames(b: bytes):
    """(offset, payload_len, lsn) of each frame of a valid segment, in order."""
    hlen = int.from_bytes(b[12:16], "little")
    off, out = hlen, []
    while off + 48 <= len(b):
        n = int.from_bytes(b[off + 4 : off + 8], "little")
        out.append((off, n, int.from_bytes(b[off + 8 : off + 16], "little")))
        off += 48 + (n + 7) // 8 * 8
    return out
