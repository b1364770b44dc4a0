"""Benchmark: a million typed 48-byte records from an rtlog log into a pandas DataFrame.

    python python/bench/bench_table.py [--records N] [--runs R] [--log DIR]

Writes the log first when DIR holds none (`cargo run --release --example write_bench_log`,
python/examples/write_bench_log.rs: type `joint`, layout
`u64 cycle; f64 position; f64 velocity; f64 torque; f32[4] current`, one producer), then
times `rtlog.open(DIR).table("joint").to_pandas()` R times and prints the best, with the two
steps apart. Needs the package installed (`pip install ./python`) and pandas. Not a test: it
asserts nothing about time, only that every record arrived with its values.
"""

import argparse
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import rtlog

ROOT = pathlib.Path(__file__).resolve().parents[2]


def write_log(log: pathlib.Path, n: int) -> None:
    cmd = ["cargo", "run", "--quiet", "--release", "--manifest-path",
           str(ROOT / "python" / "Cargo.toml"), "--example", "write_bench_log", "--",
           str(log), str(n)]  # fmt: skip
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    print(f"wrote {log} in {time.perf_counter() - t:.1f} s (cargo build included)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--log", type=pathlib.Path, help="log directory (default: a temporary one)")
    args = ap.parse_args()
    tmp = None
    if args.log is None:
        tmp = tempfile.TemporaryDirectory(prefix="rtlog-bench-")
        args.log = pathlib.Path(tmp.name) / "log"
    if not args.log.exists():
        write_log(args.log, args.records)

    best = (float("inf"), 0.0, 0.0)
    for _ in range(args.runs):
        t0 = time.perf_counter()
        table = rtlog.open(args.log).table("joint")
        t1 = time.perf_counter()
        df = table.to_pandas()
        t2 = time.perf_counter()
        best = min(best, (t2 - t0, t1 - t0, t2 - t1))
        # Every record, with the values write_bench_log.rs wrote.
        assert len(df) == args.records == table.stats.records
        assert np.array_equal(df["cycle"].to_numpy(), np.arange(args.records, dtype=np.uint64))
        assert df["position"].iloc[-1] == (args.records - 1) / 1000.0
        del table, df

    total, table_s, pandas_s = best
    size = sum(p.stat().st_size for p in args.log.iterdir())
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {sys.modules['pandas'].__version__}, rtlog {rtlog.__version__}")
    print(f"log: {args.records} records of 48 bytes, {size / 1e6:.0f} MB on disk")
    print(f"best of {args.runs}: open + table + to_pandas {total:.3f} s "
          f"(table {table_s:.3f} s, to_pandas {pandas_s:.3f} s), "
          f"{args.records / total / 1e6:.2f} M records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
