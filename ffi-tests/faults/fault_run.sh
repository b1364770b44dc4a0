#!/usr/bin/env bash
# fault_run.sh - runs a program while its storage fails, and checks that it
# ends by itself, is not killed by a signal, exits with an allowed status and
# leaves logs that read back clean. Used by the `faults` tests of
# cmake/reliability-c.cmake.
#
#   fault_run.sh [options] MODE -- PROGRAM [ARGS...]
#
# MODE:
#   fiu             under `fiu-run -x`; PROGRAM is linked with fiu_counter.c,
#                   which injects and counts (RTLOG_FIU_PROBABILITY etc. are
#                   passed through from the environment)
#   fiu-random P    under `fiu-run -x -c 'enable_random name=posix/io/*,
#                   probability=P'` (libfiu's own random mode; uncounted)
#   fsize BYTES     with RLIMIT_FSIZE = BYTES (prlimit), SIGXFSZ at its
#                   default action, as a program that did not plan for it
#   fulldisk BYTES  with a tmpfs of BYTES mounted at @MNT@ (replaced in the
#                   arguments) in a private mount namespace: `unshare -m` as
#                   root, else `unshare -Urm`; exits 77 (skip) when neither
#                   can mount. @FILLER@ becomes a file, made before the
#                   program starts, that fills it but for 64 KiB.
# Options:
#   --timeout S         kill the program after S seconds: a hang (default 120)
#   --allow-exit LIST   exit statuses that pass (default "0"; a C test that
#                       sees injected faults may fail a check and exit 1)
#   --check-logs DIR    after each run, read every log under DIR with
#                       log_check, then remove DIR's subdirectories
#   --log-check PATH    the log_check executable
#   --report FILE       fiu_counter's report file: printed after the run,
#                       with the faults of all rounds added up
#   --rounds N          run N times (default 1); RTLOG_FAULT_ROUNDS, when set,
#                       overrides it: the long run of the README sets it
#   --once              one run, whatever RTLOG_FAULT_ROUNDS says (for a
#                       deterministic program)
#                       Round r of a command gets RTLOG_FIU_SEED = a hash of
#                       the command line + r, so a run can be repeated (up
#                       to the threads' timing) and each test fails other
#                       calls than the next.
set -uo pipefail

timeout_s=120
allow="0"
check_dir=""
log_check=""
report=""
rounds=1
once=0
while [[ $# -gt 0 && $1 == --* ]]; do
    case $1 in
        --timeout) timeout_s=$2; shift 2 ;;
        --allow-exit) allow=$2; shift 2 ;;
        --check-logs) check_dir=$2; shift 2 ;;
        --log-check) log_check=$2; shift 2 ;;
        --report) report=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --once) once=1; shift ;;
        *) echo "fault_run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [[ $once -eq 1 ]]; then
    rounds=1
elif [[ -n ${RTLOG_FAULT_ROUNDS:-} ]]; then
    rounds=$RTLOG_FAULT_ROUNDS
fi
mode=${1:?MODE}
shift
mode_arg=""
if [[ $mode == fiu-random || $mode == fsize || $mode == fulldisk ]]; then
    mode_arg=${1:?"$mode needs an argument"}
    shift
fi
[[ ${1:-} == -- ]] || { echo "fault_run.sh: expected -- before the program" >&2; exit 2; }
shift
[[ $# -gt 0 ]] || { echo "fault_run.sh: no program" >&2; exit 2; }

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 not found ($2)"; exit 77; }
}

[[ -n $report ]] && rm -f "$report"
export RTLOG_FIU_REPORT=${report:-${RTLOG_FIU_REPORT:-}}
case $mode in
    fiu)
        need fiu-run "Debian package fiu-utils"
        cmd=(fiu-run -x "$@")
        ;;
    fiu-random)
        need fiu-run "Debian package fiu-utils"
        cmd=(fiu-run -x -c "enable_random name=posix/io/*,probability=$mode_arg" "$@")
        ;;
    fsize)
        need prlimit "util-linux"
        cmd=(prlimit "--fsize=$mode_arg" "$@")
        ;;
    fulldisk)
        need unshare "util-linux"
        # The script that runs inside the namespace: mount, fill, run.
        inner='mnt=$(mktemp -d) && mount -t tmpfs -o "size=$0" rtlog-full "$mnt" || exit 77
               filler="$mnt/filler"
               avail=$(( $(stat -f -c "%a*%S" "$mnt") ))
               if [[ "$*" == *@FILLER@* ]] && (( avail > 65536 )); then
                   head -c $(( avail - 65536 )) /dev/zero > "$filler" 2>/dev/null
               fi
               args=()
               for a in "$@"; do a=${a//@MNT@/$mnt}; args+=("${a//@FILLER@/$filler}"); done
               df -h "$mnt" | tail -n 1
               "${args[@]}"'
        if [[ $(id -u) -eq 0 ]] && unshare -m true 2>/dev/null; then
            cmd=(unshare -m --propagation private bash -c "$inner" "$mode_arg" "$@")
        elif unshare -Urm true 2>/dev/null; then
            cmd=(unshare -Urm bash -c "$inner" "$mode_arg" "$@")
        else
            echo "SKIP: cannot make a private mount namespace (unshare -m / -Urm) to mount a small tmpfs"
            exit 77
        fi
        ;;
    *) echo "fault_run.sh: unknown mode $mode" >&2; exit 2 ;;
esac

echo "+ ${cmd[*]}"
seed_base=$(printf '%s\n' "$*" | cksum | cut -d ' ' -f 1)
for ((round = 1; round <= rounds; round++)); do
    [[ $rounds -gt 1 ]] && echo "---- round $round of $rounds"
    start=$(date +%s%N)
    RTLOG_FIU_SEED=$((seed_base * 1000 + round)) timeout -k 10 "$timeout_s" "${cmd[@]}"
    rc=$?
    secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')

    if [[ $mode == fulldisk && $rc -eq 77 ]]; then
        echo "SKIP: mounting a tmpfs failed in the namespace"
        exit 77
    fi
    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        echo "FAIL: the program did not end within ${timeout_s} s (a hang)"
        exit 1
    fi
    if [[ $rc -gt 128 ]]; then
        echo "FAIL: the program was killed by signal $((rc - 128)) ($(kill -l $((rc - 128)) 2>/dev/null))"
        exit 1
    fi
    ok=0
    for a in $allow; do [[ $rc -eq $a ]] && ok=1; done
    if [[ $ok -ne 1 ]]; then
        echo "FAIL: exit status $rc, allowed: $allow"
        exit 1
    fi
    echo "exit status $rc (allowed: $allow) after ${secs} s"

    if [[ -n $check_dir ]]; then
        "${log_check:?--log-check is needed with --check-logs}" "$check_dir" || { echo "FAIL: log_check"; exit 1; }
        # Checked: the next round checks only its own logs (kept on a failure).
        find "$check_dir" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
    fi
done

if [[ -n $report && -f $report ]]; then
    cat "$report"
    awk '/^fiu: [0-9]+ faults injected in [0-9]+ calls/ { f += $2; c += $6; n++ }
         END { printf "fault_run: %d faults injected in %d calls over %d runs\n", f, c, n }' "$report"
fi
echo "fault_run: passed"
