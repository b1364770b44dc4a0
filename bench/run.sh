#!/usr/bin/env bash
# Builds and runs rtlog's benchmarks against their peers; writes the report to
# target/bench-report/ (report.md, latency-cdf.svg, latency-cdf-burst.svg, latency.csv).
#
#   bash bench/run.sh                 # the full run (a few minutes)
#   bash bench/run.sh --quick         # smoke test: everything, small
#   bash bench/run.sh --only latency  # sections: latency,messages,burst,cycle,crc,file,stall,recovery
#   bash bench/run.sh --only cycle    # the control loop of issue 16 (about 4 minutes; --quick: 20 s)
#   QUILL_ROOT=/path/to/quill bash bench/run.sh --only messages
#
# Installs the optional peers with apt-get only when they are missing (Debian: libspdlog-dev,
# libdlt-dev, dlt-daemon; stress-ng, the control loop's I/O load; and the C++ compiler and
# pkg-config the shims need). Set
# RTLOG_BENCH_NO_INSTALL=1 to never install: missing peers are then skipped with a line saying
# so. Quill (a peer of every latency, burst, message and control-loop scenario) is not packaged
# for Debian: QUILL_ROOT names a copy of its source (the directory holding include/quill/);
# without it Quill is skipped with a line saying so. Extra arguments go to the rtlog-bench binary (see bench/src/main.rs).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)

# ---- optional peers ---------------------------------------------------------
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
for pkg in libspdlog-dev libdlt-dev dlt-daemon stress-ng; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
    if [[ "${RTLOG_BENCH_NO_INSTALL:-0}" == 1 ]]; then
        echo "not installing (RTLOG_BENCH_NO_INSTALL=1): ${missing[*]}; missing peers will be skipped"
    elif ! command -v apt-get >/dev/null 2>&1; then
        echo "no apt-get: cannot install ${missing[*]}; missing peers will be skipped"
    else
        echo "installing: ${missing[*]}"
        sudo=()
        if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
        if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; }; then
            echo "apt-get failed: missing peers will be skipped"
        fi
    fi
fi

# ---- build and run ------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
    export PATH="${HOME:-/root}/.cargo/bin:${PATH}"
fi
if [[ -z "${QUILL_ROOT:-}" ]]; then
    echo "QUILL_ROOT is not set: every scenario runs without Quill"
fi
cargo build --release -p rtlog-bench
target_dir=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target_dir=${target_dir:-target}

RTLOG_BENCH_COMMAND="bash bench/run.sh${*:+ $*}" "${target_dir}/release/rtlog-bench" "$@"
echo "bench/run.sh: $(($(date +%s) - start)) s in all, build included"
