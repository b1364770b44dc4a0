#!/usr/bin/env bash
# Where a log message's time goes: builds rtlog-bench from HEAD once as it is and once per
# knock-out patch, and times the C macro of each, and Quill, in interleaved rounds
# (bench/msg-ab.sh, paced, 1 producer).
#
#   QUILL_ROOT=DIR bash bench/knockout.sh [ROUNDS]    # ROUNDS defaults to 10
#   bash bench/knockout.sh --check                    # only: every patch applies to the tree
#
# The knocked-out builds are diagnostics, never products: bench/knockout/*.patch are edits of
# src/rt/producer.rs and src/rt/ring.rs, built and timed by bench/patch-ab.sh. `--check` (a
# ctest, bench_knockout_patches) keeps them applicable to the source as it changes. The rows:
#   as-is           the message as the benchmark times it;
#   no-clock        without its timestamp (`rdtsc`): the clock's share;
#   return-at-once  the library returns before any work: the floor of the timed region (the
#                   benchmark's own TSC reads, the call site's packing and the call);
#   late-clock      the timestamp read in the push, after the ring's fullness check, instead
#                   of right after the threshold: what the read's place costs;
#   no-push         everything but the push into the ring (its inputs kept): the push's share;
#   no-copy         the push without the copy of the message's values (the call site's address
#                   is still copied): the copy's share;
#   fixed-slot      the push writes every record to slot 0 and publishes none (no fullness
#                   check, no advance, no head store): what writing a new slot each time and
#                   the ring's bookkeeping cost, against a slot that stays in the L1 cache;
#   no-prefetch     the push without its `prefetchw` of the next slot (src/rt/prefetch.rs):
#                   what the hint costs a paced call. What it buys shows in bursts:
#                   LOAD=burst BENCH_DISPATCH_US=5 bash bench/patch-ab.sh 10 \
#                       bench/knockout/no-prefetch.patch   (see bench/msg-ab.sh).
# SAMPLES and WARMUP are passed on to msg-ab.sh (default 100 000 and 10 000 calls per run).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
knockouts=(no-clock return-at-once late-clock no-push no-copy fixed-slot no-prefetch)
patches=()
for knockout in "${knockouts[@]}"; do
    patches+=("$here/knockout/$knockout.patch")
done

if [[ ${1:-} == --check ]]; then
    exec bash "$here/patch-ab.sh" --check "${patches[@]}"
fi
exec bash "$here/patch-ab.sh" "${1:-10}" "${patches[@]}"
