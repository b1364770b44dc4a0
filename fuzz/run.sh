#!/usr/bin/env bash
# Runs each cargo-fuzz target for SECONDS (default 60), one after the other, and prints
# libFuzzer's final figures. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). Usage, from anywhere:
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]        (targets: reader config; default both)
#   MERGE=1 bash fuzz/run.sh ...                  then rewrite fuzz/corpus/<target> as a
#                                                 minimised merge: the named inputs (seed-*,
#                                                 crash-*, limit-*) plus the fewest inputs
#                                                 that keep all the coverage found
#
#   SANITIZER=none bash fuzz/run.sh ...           build without AddressSanitizer (cargo fuzz's
#                                                 default): 5-8x the executions per second, for
#                                                 the depth runs; the unsafe code keeps its ASan
#                                                 runs (the default) and Miri
#
# Each target starts from the committed corpus and the seeds of checks/seeds.rs (real logs),
# fuzzes into a scratch copy (so the committed corpus only changes with MERGE=1), and keeps a
# crash in fuzz/artifacts/<target>/. A crash makes the script fail.
set -euo pipefail

secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(reader config)
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
cd "$fuzz_dir/.."

# The checks create and remove small log directories on every input: keep that in memory.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/rtlog-fuzz-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

cargo run --quiet --manifest-path fuzz/Cargo.toml --example make_seeds -- "$work/seeds"
mkdir -p fuzz/target/logs
for t in "${targets[@]}"; do
    mkdir -p "$work/corpus/$t"
    cp fuzz/corpus/"$t"/* "$work/corpus/$t/"
    dict=()
    [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
    log=fuzz/target/logs/$t.log
    echo "== $t: ${secs}s (log: $log)"
    # -timeout: an input taking 10 s is a hang; -rss_limit_mb / -malloc_limit_mb: memory that
    # a hostile file or configuration could make the library take without bound.
    cargo +nightly fuzz run -s "${SANITIZER:-address}" "$t" "$work/corpus/$t" "$work/seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 \
        -print_final_stats=1 "${dict[@]}" >"$log" 2>&1 || {
        grep -E -A8 'panicked at|ERROR: |Test unit written' "$log" | grep -v '^ *#' | head -n 40
        echo "== $t: FAILED (input kept in fuzz/artifacts/$t/)"
        exit 1
    }
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::' "$log"
    echo "corpus: $(ls "$work/corpus/$t" | wc -l) inputs"
    if [ "${MERGE:-0}" = 1 ]; then
        # libFuzzer's merge keeps what the first directory holds (the named inputs) and adds,
        # smallest first, only inputs with coverage those lack.
        merged=$work/merged/$t
        mkdir -p "$merged"
        find fuzz/corpus/"$t" -maxdepth 1 -type f \( -name 'seed-*' -o -name 'crash-*' \
            -o -name 'limit-*' \) -exec cp {} "$merged/" \;
        cargo +nightly fuzz run -s "${SANITIZER:-address}" "$t" "$merged" "$work/corpus/$t" -- -merge=1 \
            -rss_limit_mb=1024 -malloc_limit_mb=256 >>"$log" 2>&1
        rm -f fuzz/corpus/"$t"/*
        cp "$merged"/* fuzz/corpus/"$t"/
        echo "merged: fuzz/corpus/$t holds $(ls fuzz/corpus/"$t" | wc -l) inputs," \
            "$(du -sh fuzz/corpus/"$t" | cut -f1)"
    fi
done
