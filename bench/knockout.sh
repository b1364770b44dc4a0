#!/usr/bin/env bash
# Where a log message's time goes: builds rtlog-bench from HEAD once as it is and once per
# knock-out patch, and times the C macro of each, and Quill, in interleaved rounds
# (bench/msg-ab.sh, paced, 1 producer).
#
#   QUILL_ROOT=DIR bash bench/knockout.sh [ROUNDS]    # ROUNDS defaults to 10
#   bash bench/knockout.sh --check                    # only: every patch applies to the tree
#
# The knocked-out builds are diagnostics, never products: bench/knockout/*.patch are edits of
# src/rt/producer.rs and src/rt/ring.rs, applied to a scratch worktree of HEAD (uncommitted
# changes are not in it), built into a scratch target directory (a full release build, a few
# minutes, then one incremental build per patch). `--check` (a ctest, bench_knockout_patches)
# keeps them applicable as the source changes. What the rows mean:
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
#                   the ring's bookkeeping cost, against a slot that stays in the L1 cache.
# SAMPLES and WARMUP are passed on to msg-ab.sh (default 100 000 and 10 000 calls per run).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
knockouts=(no-clock return-at-once late-clock no-push no-copy fixed-slot)

if [[ ${1:-} == --check ]]; then
    for knockout in "${knockouts[@]}"; do
        git -C "$repo" apply --check "$here/knockout/$knockout.patch" ||
            { echo "bench/knockout/$knockout.patch no longer applies: remake it" >&2; exit 1; }
    done
    echo "all ${#knockouts[@]} knock-out patches apply"
    exit 0
fi
rounds=${1:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/rtlog-knockout.XXXXXX")
cleanup() {
    git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

git -C "$repo" worktree add --detach "$work/tree" HEAD >/dev/null
export CARGO_TARGET_DIR="$work/target"

# Builds the bench from the scratch worktree as it stands and keeps the binary as $work/NAME.
build() {
    echo "building $1" >&2
    (cd "$work/tree" && cargo build --release -q -p rtlog-bench)
    cp "$CARGO_TARGET_DIR/release/rtlog-bench" "$work/$1"
}

build as-is
for knockout in "${knockouts[@]}"; do
    git -C "$work/tree" apply "$here/knockout/$knockout.patch"
    build "$knockout"
    git -C "$work/tree" checkout -q -- .
done

variants=("$work/as-is:rtlog-msg-c")
for knockout in "${knockouts[@]}"; do
    variants+=("$work/$knockout:rtlog-msg-c")
done
if [[ -n ${QUILL_ROOT:-} ]]; then
    variants+=("$work/as-is:quill")
else
    echo "skipped Quill LOG_INFO: QUILL_ROOT is not set" >&2
fi
bash "$here/msg-ab.sh" "$rounds" "${variants[@]}"
