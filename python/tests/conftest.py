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


def dump_json(cli: str, log, *filters) -> list:
    """`rtlog dump --json` of the log: the Rust reader's records, one dict each."""
    out = run_cli(cli, "dump", log, "--json", *filters).stdout
    return [json.loads(line) for line in out.splitlines()]


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
