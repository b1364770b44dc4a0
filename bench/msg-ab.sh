#!/usr/bin/env bash
# Interleaved A/B of one logging call's latency (the message benchmark's paced case): runs the
# latency child of rtlog-bench once per variant per round, the variants' order alternating from
# round to round, and prints each run's mean, the share of calls at the lowest TSC step and its
# p99.9, then per variant the medians over the rounds and the median paired difference of the
# means to the first variant (a run's p99.9 rests on its slowest 0.1 %: 100 calls by default,
# 500 with the benchmark's SAMPLES=500000).
# A run is short (100 000 calls, under a second), so many rounds fit where the host's noise moves
# a whole benchmark run by several ns: comparing medians of paired runs is what resolves 1–3 ns.
#
# A variant is BINARY:PEER, so builds of two commits can be compared in one session (the bench
# binary links the library statically; copy target/release/rtlog-bench aside per build):
#
#   bash bench/msg-ab.sh ROUNDS BINARY:PEER...
#   bash bench/msg-ab.sh 20 /tmp/bench-a:rtlog-msg-c /tmp/bench-b:rtlog-msg-c /tmp/bench-a:quill
#
# Peers: rtlog-msg-c, rtlog-msg-cpp, quill (when the binary was built with QUILL_ROOT),
# spdlog-msg. TSC_HZ defaults to /proc/cpuinfo's "cpu MHz" (the child only uses it to print ns);
# SAMPLES (default 100000) and WARMUP (10000) are the calls per run (the benchmark's: 500000 and
# 50000). LOAD=burst times the back-to-back case instead of the paced one; a burst run also
# counts as "slow" when its mean is 1.5 times the fastest run of any variant or more: the regime where
# rtlog's consumer keeps up with the producer and every accepted call waits for its cache lines
# (docs/PERFORMANCE.md, "Bursts: the consumer on the producer's lines"). BENCH_DISPATCH_US sets
# rtlog's ticker period (the benchmark's: 50), which a shorter one makes that regime likelier.
# LOAD=batches times Quill's hot-path method (20 calls back to back, then a wait of 200-220 µs)
# and prints, under each run, the median of each of a batch's first six calls and of the rest.
# Before each round, when a C compiler is at hand, it prints how long a cache line takes to go
# from CPU 0 to CPU 1 and back (bench/line-round-trip.c): on a VM that moves between ~90 and
# ~450 ns as the host moves its virtual CPUs, and the tails move with it, so the p99.9 medians
# are also given apart for the rounds that started near (under 250 ns) and far.
set -euo pipefail
# shellcheck source=bench/ab-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/ab-lib.sh"

rounds=${1:?usage: msg-ab.sh ROUNDS BINARY:PEER...}
shift
(($# > 0)) || { echo "usage: msg-ab.sh ROUNDS BINARY:PEER..." >&2; exit 2; }
tsc_hz=${TSC_HZ:-$(awk -F: '/^cpu MHz/ { printf "%.0f", $2 * 1e6; exit }' /proc/cpuinfo)}
variants=("$@")
results=$(mktemp "${TMPDIR:-/tmp}/msg-ab.XXXXXX")
trips=$(mktemp "${TMPDIR:-/tmp}/msg-ab-trips.XXXXXX")
probe=$(mktemp "${TMPDIR:-/tmp}/line-round-trip.XXXXXX")
trap 'rm -f "$results" "$trips" "$probe"' EXIT
cc -O2 -pthread -DLINE_ROUND_TRIP_MAIN "$(dirname "${BASH_SOURCE[0]}")/line-round-trip.c" -o "$probe" 2>/dev/null || probe=

for ((r = 0; r < rounds; r++)); do
    ab_order "$r" "${variants[@]}"
    if [[ -n $probe ]] && trip=$("$probe"); then
        echo "round $((r + 1))  line round trip CPU 0 -> 1 -> 0: $trip ns"
        printf "%d\t%s\n" "$((r + 1))" "$trip" >>"$trips"
    fi
    for v in "${order[@]}"; do
        line=$("${v%%:*}" child kind=lat peer="${v##*:}" producers=1 size=0 load="${LOAD:-paced}" \
            samples="${SAMPLES:-100000}" warmup="${WARMUP:-10000}" period_ns=2000 tsc_hz="$tsc_hz" pcpu=0 ccpu=1 \
            2>/dev/null | grep '^RESULT') || { echo "$v: the child failed" >&2; exit 1; }
        # mean, the share of calls at the lowest step and p99.9 (the cdf is quantile:value pairs).
        tr ' ' '\n' <<<"$line" | awk -v v="$v" -v r="$((r + 1))" '
            /^mean=/ { mean = substr($0, 6) }
            /^cdf=/ { n = split(substr($0, 5), p, ";"); split(p[1], f, ":"); low = f[2]; share = 0
                      for (i = 1; i <= n; i++) { split(p[i], f, ":"); if (f[2] == low) share = f[1]
                                                 if (f[1] + 0 == 0.999) tail = f[2] } }
            END { printf "%d\t%s\t%.2f\t%.2f\t%.0f\t%.1f\n", r, v, mean, share, low, tail }' | tee -a "$results" |
            awk -F'\t' '{ printf "round %d  %-40s mean %6.2f ns  at the lowest step (%s ns) %.2f  p99.9 %s ns\n", $1, $2, $3, $5, $4, $6 }'
        # Batches: the median of each of a batch's first calls, then of the rest.
        tr ' ' '\n' <<<"$line" | awk -F= '$1 == "batch_p50" {
            n = split($2, p, ";"); s = p[1]; for (i = 2; i < n; i++) s = s " · " p[i]
            printf "         %-40s batch calls 1-%d, medians: %s ns; the rest: %s ns\n", "", n - 1, s, p[n] }'
    done
done

echo "over $rounds rounds (paired: the same round's run of the first variant, ${variants[0]}):"
awk -F'\t' -v first="${variants[0]}" -v burst="$([[ ${LOAD:-paced} == burst ]] && echo 1 || echo 0)" '
    function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    FILENAME == ARGV[1] { trip[$1] = $2; next }
    { mean[$2, $1] = $3; low[$2, $1] = $4; p999[$2, $1] = $6; if (!($2 in seen)) { seen[$2] = 1; order[++nv] = $2 }; rounds = $1 }
    END {
        fastest = -1
        for (k = 1; k <= nv; k++) for (r = 1; r <= rounds; r++)
            if (fastest < 0 || mean[order[k], r] < fastest) fastest = mean[order[k], r]
        for (k = 1; k <= nv; k++) {
            v = order[k]; delete m; delete s; delete d; delete t; below = 0
            for (r = 1; r <= rounds; r++) {
                m[r] = mean[v, r]; s[r] = low[v, r]; t[r] = p999[v, r]; d[r] = mean[v, r] - mean[first, r]
                if (d[r] < 0) below++
            }
            slow = 0; for (r = 1; r <= rounds; r++) if (m[r] >= 1.5 * fastest) slow++
            printf "  %-40s mean: median %6.2f ns; lowest step: median share %.2f", v, median(m, rounds), median(s, rounds)
            printf "; p99.9: median %.1f ns", median(t, rounds)
            if (burst) printf "; slow runs %d of %d", slow, rounds
            if (v != first) printf "; minus the first: median %+.2f ns, lower in %d of %d rounds", median(d, rounds), below, rounds
            printf "\n"
            nn = 0; nf = 0; delete near; delete far
            for (r = 1; r <= rounds; r++) if (r in trip) { if (trip[r] < 250) near[++nn] = t[r]; else far[++nf] = t[r] }
            if (nn > 0 && nf > 0)
                printf "  %-40s p99.9 median in %d near rounds %.1f ns, in %d far rounds %.1f ns\n", "", nn, median(near, nn), nf, median(far, nf)
        }
    }' "$trips" "$results"
