#!/bin/sh
# The Python package's test (ctest label `python`, cmake/python.cmake):
#
#   sh python/tests/ctest.sh VENV SOURCE_DIR PYTHON3
#
# creates the virtual environment VENV if it does not exist, installs the test's packages from
# PyPI into it (maturin, numpy, pandas, polars, pytest, mcap), builds and installs ./python
# (`pip install`, as a user does), then runs the pytest suite python/tests/. The fixtures'
# programs come in environment variables (see python/tests/conftest.py). Exits 77 (skipped)
# when PYTHON3 cannot make a virtual environment (Debian: the python3-venv package).
set -eu
venv=$1
src=$2
python3=$3

if ! "$python3" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "SKIP python: $python3 cannot create a virtual environment (apt-get install python3-venv)"
    exit 77
fi
[ -x "$venv/bin/python" ] || "$python3" -m venv "$venv"
# maturin's build hook runs `maturin` and `cargo` from PATH.
PATH="$venv/bin:$PATH"
export PATH
pip install --quiet --disable-pip-version-check maturin numpy pandas polars pytest mcap
# --no-build-isolation: build with the maturin just installed rather than fetching it again
# into a throwaway environment; --force-reinstall: the sources changed, the version did not.
pip install --quiet --disable-pip-version-check --no-build-isolation --force-reinstall \
    --no-deps "$src/python"
cd "$src/python/tests"
exec python -m pytest -q -p no:cacheprovider .
