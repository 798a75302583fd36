# Shared by scripts/demo and scripts/test (sourced, not run): system packages,
# the virtualenv in .venv, the locked dependencies and the package itself.
# Safe to run again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
# WeasyPrint needs Pango and HarfBuzz; it segfaults without any font.
RUNTIME_APT="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
TEST_APT="chromium dovecot-imapd"
# Exact versions with their hashes, made from pyproject.toml by scripts/upgrade-deps:
# the app's dependencies, and those plus the test extras (same versions).
RUNTIME_LOCK="$ROOT/requirements.lock"
TEST_LOCK="$ROOT/requirements-test.lock"

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Casemgr needs Python 3.11 or newer (apt-get install python3)." >&2
  return 1
}

missing_apt() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$pkg"
  done
}

# ensure_apt REQUIRED|OPTIONAL PKG... : install as root, otherwise name them exactly.
ensure_apt() {
  local mode="$1"; shift
  local missing; missing="$(missing_apt "$@")"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: $missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  elif [ "$mode" = REQUIRED ]; then
    echo "Missing system packages. Install them, then run this again:" >&2
    echo "  sudo apt-get install -y $missing" >&2
    exit 1
  else
    echo "Note: optional system packages missing (tests needing them will skip): sudo apt-get install -y $missing" >&2
  fi
}

setup_casemgr() {  # setup_casemgr [test]
  local python; python="$(pick_python)"
  local apt="$RUNTIME_APT"
  "$python" -c 'import ensurepip, venv' 2>/dev/null || apt="$apt python3-venv"
  ensure_apt REQUIRED $apt
  [ "${1:-}" = test ] && ensure_apt OPTIONAL $TEST_APT
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtualenv in .venv"
    "$python" -m venv "$VENV"
  fi
  local lock="$RUNTIME_LOCK" stamp="$VENV/.installed"
  if [ "${1:-}" = test ]; then lock="$TEST_LOCK"; stamp="$VENV/.installed[test]"; fi
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
    echo "Installing Casemgr and its dependencies ($(basename "$lock")) into .venv"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip
    # Only what the lock names, each file checked against its hash.
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$lock"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT"
    local broken
    if ! broken="$("$VENV/bin/python" -m pip check --disable-pip-version-check 2>&1)"; then
      echo "$broken" >&2
      echo "If casemgr is named above, the locks no longer satisfy pyproject.toml: run" >&2
      echo "scripts/upgrade-deps. Otherwise .venv holds leftovers: remove it and run again." >&2
      exit 1
    fi
    touch "$stamp"
  fi
}
