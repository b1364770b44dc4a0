#!/usr/bin/env bash
# Times edits of the library against the source they edit: builds rtlog-bench from REV (default
# HEAD) as it is and once per patch, then times the C message macro of each build, and Quill, in
# interleaved rounds (bench/msg-ab.sh: paced, 1 producer, the benchmark's message).
#
#   QUILL_ROOT=DIR bash bench/patch-ab.sh [--base REV] ROUNDS PATCH...
#   bash bench/patch-ab.sh --check [--base REV] PATCH...   # only: every patch applies to REV
#
# A patch is a diff against REV's tree (`git diff` output); its build is named after its file
# (without .patch). Diagnostics and experiments, never products: each is applied to a scratch
# worktree of REV (uncommitted changes are not in it) and built into a scratch target
# directory (a full release build, a few minutes, then one incremental build per patch). A
# patch kept to document a result names the REV it was made against (bench/experiments/), so
# the result can be rerun after the source has moved on. With --check the tree checked is the
# working tree when REV is not given, REV's otherwise.
# SAMPLES and WARMUP are passed on to msg-ab.sh (default 100 000 and 10 000 calls per run).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
usage="usage: patch-ab.sh [--check] [--base REV] ROUNDS PATCH... (no ROUNDS with --check)"
check=false
base=
while [[ ${1:-} == --* ]]; do
    case $1 in
        --check) check=true; shift ;;
        --base) base=${2:?$usage}; shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done

# Checks every patch against the working tree, or against REV's tree in a scratch worktree.
if $check; then
    (($# > 0)) || { echo "$usage" >&2; exit 2; }
    tree=$repo
    if [[ -n $base ]]; then
        tree=$(mktemp -d "${TMPDIR:-/tmp}/rtlog-patch-check.XXXXXX")
        trap 'git -C "$repo" worktree remove --force "$tree" >/dev/null 2>&1; rm -rf "$tree"' EXIT
        git -C "$repo" worktree add --detach "$tree" "$base" >/dev/null 2>&1
    fi
    for patch in "$@"; do
        git -C "$tree" apply --check "$(realpath "$patch")" ||
            { echo "$patch no longer applies${base:+ to $base}: remake it" >&2; exit 1; }
    done
    echo "all $# patches apply${base:+ to $base}"
    exit 0
fi

rounds=${1:?$usage}
shift
(($# > 0)) || { echo "$usage" >&2; exit 2; }
patches=()
for patch in "$@"; do
    patches+=("$(realpath "$patch")")
done
work=$(mktemp -d "${TMPDIR:-/tmp}/rtlog-patch-ab.XXXXXX")
cleanup() {
    git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

git -C "$repo" worktree add --detach "$work/tree" "${base:-HEAD}" >/dev/null
export CARGO_TARGET_DIR="$work/target"

# Builds the bench from the scratch worktree as it stands and keeps the binary as $work/NAME.
build() {
    echo "building $1" >&2
    (cd "$work/tree" && cargo build --release -q -p rtlog-bench)
    cp "$CARGO_TARGET_DIR/release/rtlog-bench" "$work/$1"
}

build as-is
variants=("$work/as-is:rtlog-msg-c")
for patch in "${patches[@]}"; do
    name=$(basename "$patch" .patch)
    git -C "$work/tree" apply "$patch"
    build "$name"
    git -C "$work/tree" checkout -q -- .
    variants+=("$work/$name:rtlog-msg-c")
done
if [[ -n ${QUILL_ROOT:-} ]]; then
    variants+=("$work/as-is:quill")
else
    echo "skipped Quill LOG_INFO: QUILL_ROOT is not set" >&2
fi
bash "$here/msg-ab.sh" "$rounds" "${variants[@]}"
