#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages ibpack needs: "build" for make and the bundles, "test" for
# the test suite too; "bench" and "fuzz" for make bench and make fuzz. Installs only what is missing; a no-op on a prepared machine.
set -euo pipefail

what=${1:-build}
build_pkgs=(build-essential pkg-config dpkg-dev ca-certificates file
	libarchive-dev zlib1g-dev libssl-dev libcjson-dev libzstd-dev openssl)
test_pkgs=(bats libcmocka-dev python3 osslsigncode gcc-mingw-w64-x86-64 wine64 makeself
	debootstrap systemd iproute2 util-linux)

bench_pkgs=(makeself time)
fuzz_pkgs=(clang)

case $what in
build) pkgs=("${build_pkgs[@]}") ;;
test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
bench) pkgs=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
fuzz) pkgs=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
*) echo "usage: $0 build|test|bench|fuzz" >&2; exit 1 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	exit 0
fi
echo "ibpack setup: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
