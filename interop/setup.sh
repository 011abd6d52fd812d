#!/usr/bin/env bash
# Installs the third-party SMPP peers of the interop tests into repo-local, git-ignored places,
# at the exact versions the repo pins, and prints what it installed:
#   interop/node/node_modules    npm `smpp` (interop/node/package-lock.json, `npm ci`)
#   interop/python/.venv         PyPI `smpplib` (interop/python/requirements.txt, with hashes)
#   interop/openapi/.venv        PyPI `schemathesis` (interop/openapi/requirements.txt, with hashes)
#   interop/twilio/.venv         PyPI `twilio` (interop/twilio/requirements.txt, with hashes)
# Idempotent: an install is redone only when its lock file, the tool versions or the installed
# versions changed (INTEROP_FORCE=1 redoes all). Any failure exits non-zero, so CI fails rather
# than skipping a peer. Needs node >= 18 with npm, and python >= 3.8 with the venv module
# (Debian/Ubuntu: apt-get install python3-venv). PYTHON picks the interpreter (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
force="${INTEROP_FORCE:-}"

die() {
    echo "interop/setup.sh: $*" >&2
    exit 1
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH; $2"
}

# --- node: npm `smpp` -----------------------------------------------------------------------
need node "install Node.js >= 18 (with npm)"
need npm "install npm (it comes with Node.js)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 18 ] || die "node $(node --version) is too old; need >= 18"

node_dir="$here/node"
node_stamp="$node_dir/node_modules/.interop-stamp"
node_want="$( (cat "$node_dir/package-lock.json"; node --version; npm --version) | sha256sum | cut -d' ' -f1)"
if [ -n "$force" ] || [ ! -f "$node_stamp" ] || [ "$(cat "$node_stamp")" != "$node_want" ]; then
    echo "==> npm ci (interop/node)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    echo "$node_want" >"$node_stamp"
fi

# The lock file pins the version; check that node resolves exactly that one.
smpp_locked="$(cd "$node_dir" && node -p 'require("./package-lock.json").packages["node_modules/smpp"].version')"
smpp_installed="$(cd "$node_dir" && node -p 'require("smpp/package.json").version')" ||
    die "npm package smpp is not loadable from interop/node"
[ "$smpp_installed" = "$smpp_locked" ] ||
    die "npm smpp $smpp_installed installed but $smpp_locked locked; rerun with INTEROP_FORCE=1"

# --- python: PyPI `smpplib` -----------------------------------------------------------------
need "$python" "install Python >= 3.8 or set PYTHON"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' ||
    die "$("$python" --version 2>&1) is too old; need >= 3.8"

# venv DIR: a venv in DIR/.venv with exactly DIR/requirements.txt (hash-pinned), redone only
# when that file or the interpreter changed.
venv() {
    local dir="$1" venv="$1/.venv"
    local stamp="$venv/.interop-stamp" want
    want="$( (cat "$dir/requirements.txt"; "$python" --version 2>&1; readlink -f "$(command -v "$python")") | sha256sum | cut -d' ' -f1)"
    if [ -n "$force" ] || [ ! -x "$venv/bin/python" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "==> python venv + pip install (interop/$(basename "$dir"))"
        rm -rf "$venv"
        "$python" -m venv "$venv" ||
            die "cannot create a venv with $python (Debian/Ubuntu: apt-get install python3-venv)"
        # --require-hashes: every package, dependencies included, must be pinned with its hash
        # in requirements.txt, or the install fails.
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
            --require-hashes -r "$dir/requirements.txt"
        echo "$want" >"$stamp"
    fi
}

# pinned DIR PACKAGE MODULE: checks that DIR/.venv imports MODULE and has PACKAGE at the version
# DIR/requirements.txt pins; prints that version.
pinned() {
    local dir="$1" pkg="$2" module="$3" want got
    want="$(sed -n "s/^$pkg==\([^ ]*\).*/\1/p" "$dir/requirements.txt")"
    got="$("$dir/.venv/bin/python" -c "import importlib.metadata as m, $module; print(m.version('$pkg'))")" ||
        die "$pkg is not importable from $dir/.venv; rerun with INTEROP_FORCE=1"
    [ "$got" = "$want" ] || die "$pkg $got installed but $want pinned; rerun with INTEROP_FORCE=1"
    echo "$got"
}

py_dir="$here/python"
venv_python="$py_dir/.venv/bin/python"
venv "$py_dir"

smpplib_installed="$(pinned "$py_dir" smpplib smpplib.client)"

# --- python: PyPI `schemathesis` (the OpenAPI fuzzer of the router's API) ---------------------
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
    die "$("$python" --version 2>&1) is too old for schemathesis; need >= 3.9"
st_dir="$here/openapi"
venv "$st_dir"
st_installed="$(pinned "$st_dir" schemathesis schemathesis)"

# --- python: PyPI `twilio` (Twilio's SDK, against the router's Twilio-compatible API) --------
tw_dir="$here/twilio"
venv "$tw_dir"
tw_installed="$(pinned "$tw_dir" twilio twilio.rest)"

echo "interop peers ready:"
echo "  node $(node --version), npm smpp $smpp_installed   ($node_dir)"
echo "  $("$venv_python" --version 2>&1), PyPI smpplib $smpplib_installed   ($venv_python)"
echo "  PyPI schemathesis $st_installed   ($st_dir/.venv/bin/schemathesis)"
echo "  PyPI twilio $tw_installed   ($tw_dir/.venv/bin/python)"
