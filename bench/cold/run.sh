#!/usr/bin/env bash
# Counts the cache lines rtlog_publish misses with cold caches, as in a control loop that
# wakes, computes over more memory than the caches hold, then logs 8 records of 64 B
# (docs/PERFORMANCE.md, "Cost per control cycle"). valgrind's cachegrind simulates the
# caches: D1 = 32 KiB, LL = 2 MiB (this machine's L2 per core), so a line missed in both
# comes from L3 or memory on the real machine. Deterministic: the same build gives the
# same counts. Needs the library built (cmake --preset default && cmake --build build).
#
#   bash bench/cold/run.sh [BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
build=${1:-build}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -g -Iinclude bench/cold/cold_publish.c -L"$build/lib" -lrtlog -Wl,-rpath,"$PWD/$build/lib" \
    -o "$work/cold_publish"
valgrind --tool=cachegrind --cache-sim=yes --LL=2097152,16,64 \
    --cachegrind-out-file="$work/cg.out" "$work/cold_publish" "$work/log" >/dev/null 2>"$work/vg.log"
# Sum the Ir, D1 read misses and D1 write misses of every line inlined into rtlog_publish
# (its memcpy of the payload is glibc's, counted apart).
cg_annotate --threshold=0 --auto=no --show=Ir,D1mr,D1mw "$work/cg.out" |
    grep -E ':rtlog_publish( |$)' | sed -E 's/\( *[0-9.]+%\)//g' |
    awk '{a=$1; b=$2; c=$3; gsub(",", "", a); gsub(",", "", b); gsub(",", "", c);
          ir += a; r += b; w += c}
         END {printf "rtlog_publish, per control cycle of 8 publishes (2000 cycles):\n";
              printf "  instructions %.1f, D1 read misses %.2f, D1 write misses %.2f\n",
                     ir / 2000, r / 2000, w / 2000}'
