#!/usr/bin/env bash
# The ABI baseline of librtlog.so (libabigail's abidw XML) and the check against it.
#
#   abi/abi.sh check  <librtlog.so.X.Y.Z> [<dump.abi>]   compare the library with its baseline
#   abi/abi.sh update <librtlog.so.X.Y.Z>                write the baseline from the library
#
# The baseline of a library whose SONAME is librtlog.so.N is abi/librtlog.so.N.abi: a
# deliberate ABI break bumps N (the major version in Cargo.toml) and writes the new baseline
# in the same commit (see docs/API.md, "Versioning and ABI stability"). `check` fails on an
# incompatible change (a function removed or changed, a struct member inserted, removed or
# retyped; abidiff's exit bits 1, 2 and 8, or bit 4 with anything but additions) and passes,
# printing the report, when functions were only added or struct_size structs only grew at the
# end (abi/rtlog.abignore). It exits 77 (ctest SKIP_RETURN_CODE) when abidw or abidiff is
# missing: they come with Debian's abigail-tools, which .ci/run installs.
#
# The library must carry full DWARF type information ([profile.release] debug = "full" in
# Cargo.toml): without it abidiff would see symbols but no struct layouts, and fails here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suppr="$here/rtlog.abignore"
mode=${1:-}
lib=${2:-}
if [[ $mode != check && $mode != update ]] || [[ -z $lib ]]; then
    echo "usage: $0 check|update <librtlog.so.X.Y.Z> [<dump.abi>]" >&2
    exit 2
fi
if ! command -v abidw >/dev/null 2>&1 || ! command -v abidiff >/dev/null 2>&1; then
    echo "SKIP: abidw/abidiff not found (Debian package abigail-tools; .ci/run installs it)"
    exit 77
fi
[[ -f $lib ]] || { echo "error: $lib not found" >&2; exit 2; }

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ -n $soname ]] || { echo "error: $lib has no SONAME" >&2; exit 2; }
baseline="$here/$soname.abi"

# The ABI description: no source locations, corpus or compilation-directory paths, type ids
# from hashes, and the cargo registry's absolute path cut from translation-unit names, so that
# two builds of the same sources give the same file (the rest of each path is relative or the
# toolchain's own /rustc/<commit>/).
dump() {
    abidw --no-show-locs --no-corpus-path --no-comp-dir-path --type-id-style hash \
        --suppressions "$suppr" "$1" |
        sed -E "s#(<abi-instr [^>]*path=')[^']*/registry/src/[^/']+/#\1#"
}

if [[ $mode == update ]]; then
    dump "$lib" >"$baseline.tmp"
    mv "$baseline.tmp" "$baseline"
    echo "wrote $baseline from $lib"
    exit 0
fi

[[ -f $baseline ]] || {
    echo "FAIL: no baseline $baseline for $lib (SONAME $soname): a new major version needs" \
        "\`abi/abi.sh update $lib\` (see docs/API.md, Versioning and ABI stability)"
    exit 1
}
if [[ -n ${3:-} ]]; then
    dump "$lib" >"$3" # for inspection, and for `diff` against the baseline
fi
set +e
report=$(abidiff --fail-no-debug-info --suppressions "$suppr" "$baseline" "$lib" 2>&1)
rc=$?
set -e
echo "abidiff $baseline $lib: exit status $rc"
[[ -n $report ]] && echo "$report"
if ((rc & 3)); then
    echo "FAIL: abidiff could not compare (error bits $((rc & 3)); no debug info in $lib?)"
    exit 1
fi
if ((rc & 8)); then
    echo "FAIL: incompatible ABI change against $baseline"
    exit 1
fi
if ((rc & 4)); then
    if grep -Eq '(^|, )[1-9][0-9]* (Removed|Changed)' <<<"$report"; then
        echo "FAIL: ABI change against $baseline beyond additions (see the report above)." \
            "A deliberate break bumps the major version and runs abi/abi.sh update."
        exit 1
    fi
    echo "ok: compatible additions only (refresh the baseline with \`abi/abi.sh update\` when" \
        "tagging the release that adds them)"
    exit 0
fi
echo "ok: no ABI change"
