#!/usr/bin/env bash
# A/B runs of the control loop's rtlog peer (issue 16's "find out where the cycles go"): runs the
# cycle child of rtlog-bench once per variant per round, the variants' order alternating from
# round to round, and prints each run's per-cycle p50, p99, p99.9, max and cycles over 20 µs.
# Nothing here changes the library: a variant is extra key=value words for the child, e.g. the
# diagnostic knobs of bench/src/cycle/child.rs (rtlog_mode=NONE, ticker_us=N, supervisor_us=N,
# sweep_bytes=N, per_call=1) or peer=quill-rec.
#
#   bash bench/cycle-ab.sh ROUNDS VARIANT...
#   bash bench/cycle-ab.sh 3 "supervisor_us=1000" "supervisor_us=10000000"
#
# CYCLES (default 5000) measured cycles per run; COND=io runs it under the io condition's load
# (stress-ng --hdd 2 --iomix 1 on CPU 1). Build first: cargo build --release -p rtlog-bench.
set -euo pipefail
# shellcheck source=bench/ab-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ab-lib.sh"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:?usage: cycle-ab.sh ROUNDS VARIANT...}
shift
(($# > 0)) || { echo "usage: cycle-ab.sh ROUNDS VARIANT..." >&2; exit 2; }
bin=target/release/rtlog-bench
data=$(mktemp -d "${TMPDIR:-/tmp}/cycle-ab.XXXXXX")
stress_pid=
cleanup() {
    if [[ -n $stress_pid ]]; then kill -INT -- "-$stress_pid" 2>/dev/null || true; wait "$stress_pid" 2>/dev/null || true; fi
    rm -rf "$data"
}
trap cleanup EXIT
if [[ ${COND:-quiet} == io ]]; then
    setsid taskset -c 1 stress-ng --hdd 2 --iomix 1 --temp-path "$data" >/dev/null 2>&1 &
    stress_pid=$!
    sleep 1.5
fi

# p50 p99 p99.9 max over20us of a comma-separated list of ns (nearest rank).
summary() {
    tr ',' '\n' | sort -n | awk '{v[NR]=$1; if ($1 > 20000) o++}
        function q(p) { i = int(p * NR + 0.999999); if (i < 1) i = 1; return v[i] / 1000 }
        END { printf "p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f µs  >20µs %d of %d\n",
              q(0.5), q(0.99), q(0.999), v[NR] / 1000, o, NR }'
}

variants=("$@")
for ((r = 0; r < rounds; r++)); do
    ab_order "$r" "${variants[@]}"
    for v in "${order[@]}"; do
        # shellcheck disable=SC2086 # a variant is several words on purpose
        # The variant's words first: the child takes the first value of a repeated key.
        line=$("$bin" child kind=cycle $v peer=rtlog cond="${COND:-quiet}" \
            cycles="${CYCLES:-5000}" warmup=500 period_ns=1000000 compute_ns=20000 \
            dir="$data/run" tsc_hz=1 pcpu=0 ccpu=1 2>/dev/null | grep '^RESULT')
        cost=$(tr ' ' '\n' <<<"$line" | sed -n 's/^cost=//p')
        printf 'round %d  %-28s %s\n' "$((r + 1))" "$v" "$(summary <<<"$cost")"
        # With per_call=1: each call's median and p99 by its position in the cycle (ns).
        tr ' ' '\n' <<<"$line" | sed -n 's/^call_\(p[0-9]*\)=/    per call \1 (ns): /p' | tr ',' ' '

    done
done
