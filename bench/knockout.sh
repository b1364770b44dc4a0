#!/usr/bin/env bash
# Where a log message's time goes: builds rtlog-bench from HEAD four times (as it is; with the
# message path's TSC read knocked out; with the message call returning at once; with the TSC
# read late) and times the C macro of each, and Quill, in interleaved rounds (bench/msg-ab.sh,
# paced, 1 producer).
#
#   QUILL_ROOT=DIR bash bench/knockout.sh [ROUNDS]    # ROUNDS defaults to 10
#
# The knocked-out builds are diagnostics, never products: bench/knockout/*.patch are the
# edits of src/rt/producer.rs, applied to a scratch worktree of HEAD (uncommitted changes are
# not in it), built into a scratch target directory (a full release build, a few minutes).
# What the rows mean:
#   as-is           the message as the benchmark times it;
#   no-clock        the same without its timestamp (`rdtsc`): the clock's share;
#   return-at-once  the library returns before any work: the floor of the timed region (the
#                   benchmark's own TSC reads, the call site's packing and the call);
#   late-clock      the timestamp read in the push, after the ring's fullness check, instead
#                   of right after the threshold: what the read's place costs.
# SAMPLES and WARMUP are passed on to msg-ab.sh (default 100 000 and 10 000 calls per run).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
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
for knockout in no-clock return-at-once late-clock; do
    git -C "$work/tree" apply "$here/knockout/$knockout.patch"
    build "$knockout"
    git -C "$work/tree" checkout -q -- .
done

variants=("$work/as-is:rtlog-msg-c" "$work/no-clock:rtlog-msg-c" "$work/return-at-once:rtlog-msg-c"
    "$work/late-clock:rtlog-msg-c")
if [[ -n ${QUILL_ROOT:-} ]]; then
    variants+=("$work/as-is:quill")
else
    echo "skipped Quill LOG_INFO: QUILL_ROOT is not set" >&2
fi
bash "$here/msg-ab.sh" "$rounds" "${variants[@]}"
