#!/usr/bin/env bash
# One-command entry points for a fresh Debian/Ubuntu machine: installs the missing packages for
# the job (scripts/setup.sh), then runs make.  usage: scripts/make.sh bundle|test|all [MAKEVARS...]
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-all}
shift || true
case $target in
test | test-asan | test-valgrind) bash scripts/setup.sh test ;;
deb) bash scripts/setup.sh deb ;;
*) bash scripts/setup.sh build ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
exec make -j"$jobs" "$target" "$@"
