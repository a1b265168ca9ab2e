#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages ibpack needs: "build" for make and the bundles, "test" for
# the test suite too; "bench" and "fuzz" for make bench and make fuzz; "deb" for make deb. Installs only what is missing; a no-op on a prepared machine.
set -euo pipefail

what=${1:-build}
build_pkgs=(build-essential pkg-config dpkg-dev patch ca-certificates file
	libarchive-dev zlib1g-dev libssl-dev libcjson-dev libzstd-dev openssl)
test_pkgs=(bats libcmocka-dev clang-format python3 osslsigncode gcc-mingw-w64-x86-64 wine64 makeself
	debootstrap systemd iproute2 util-linux)
# signing workflows (tests/bats/signing.bats): an HSM through PKCS#11, signing via OpenSSL's engine
test_pkgs+=(softhsm2 libengine-pkcs11-openssl)

bench_pkgs=(makeself time)
# tests/bench/bench.sh reads manifests with python3; tests/bench/zstd-levels.sh runs zstd -b
bench_pkgs+=(python3 zstd)
fuzz_pkgs=(clang)
# make test-valgrind, the hardening tests (strace, zstd for the decompression bomb)
test_pkgs+=(valgrind strace zstd)
# tests/bats/golden.bats debootstraps a Debian 12 root (also on Ubuntu hosts: the keyring)
test_pkgs+=(debian-archive-keyring)
# tests/bats/extension.bats judges the handler with the Azure Linux agent's own Python
# code; the agent itself must never run here (its service is masked before the install, below)
test_pkgs+=(waagent python3-distro)
# tests/bats/matrix-view.bats renders `ibpack matrix --format html` with headless Chromium
test_pkgs+=(chromium)
# tests/bats/sbom.bats validates bills of materials with the CycloneDX JavaScript library, which
# npm installs into build/cyclonedx (Debian packages npm apart from nodejs; NodeSource bundles it)
test_pkgs+=(nodejs)
# fleet rollouts: tests/bats/fleet.bats drives the Ansible collection (community.general.chroot),
# tests/bats/rerun.bats validates --json against docs/result.schema.json, tests/bats/report.bats
# renders the HTML report in headless Chromium and collects results with pdsh and clush
test_pkgs+=(ansible python3-jsonschema chromium pdsh clustershell)
# Windows installers as they really run (tests/bats/windows-installers.bats): wixl builds a real
# MSI at test time for Wine's msiexec
test_pkgs+=(wixl)

# make deb: the Debian packaging tools (the package build itself also needs the build packages)
deb_pkgs=(debhelper lintian)
# man pages and shell completion (tests/bats/docs.bats lints the pages and drives both completions),
# and the .deb end-to-end test (tests/bats/deb.bats) builds the packages
test_pkgs+=(mandoc groff-base man-db bash-completion zsh "${deb_pkgs[@]}")

case $what in
build) pkgs=("${build_pkgs[@]}") ;;
test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
bench) pkgs=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
deb) pkgs=("${build_pkgs[@]}" "${deb_pkgs[@]}" gcc-mingw-w64-x86-64) ;;
fuzz) pkgs=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
*) echo "usage: $0 build|test|bench|fuzz|deb" >&2; exit 1 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The CycloneDX validator from the npm registry (versions pinned by tests/sbom/package-lock.json).
cyclonedx() {
	[[ $what == test ]] || return 0
	command -v npm >/dev/null || $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends npm >/dev/null
	bash "$(dirname "$0")/../tests/sbom/setup.sh" "${IBPACK_BUILD:-$(dirname "$0")/../build}/cyclonedx" ||
		echo "ibpack setup: the CycloneDX validator could not be installed (npm registry?); sbom.bats will skip validation" >&2
}
if [[ $(id -u) -ne 0 ]]; then
	SUDO=sudo
else
	SUDO=
fi
if ((${#missing[@]} == 0)); then
	cyclonedx
	exit 0
fi
echo "ibpack setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [[ " ${missing[*]} " == *" waagent "* ]]; then
	# The package would start the agent, which reconfigures a VM; only its code is wanted.
	$SUDO systemctl mask walinuxagent.service >/dev/null 2>&1 || true
fi
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
cyclonedx
