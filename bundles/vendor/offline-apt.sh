#!/bin/sh
# Installs a driver package offline on Debian/Ubuntu from the repositories inside this package:
# kernel/ (linux-headers-<kernel>, dkms, the compiler and their dependencies, with a Packages
# index, made by prepare.sh) and optionally a vendor local-repo package (DOCA-Host's doca-host_*.deb).
# The steps are those of Azure/azhpc-images components/install_doca.sh, without a network: the
# local-repo package, DOCA's own dkms pinned away, `apt-get install`, a DKMS status check for the
# target kernel, openibd enabled with a drop-in, and no driver restart on a live node.
#
# usage: offline-apt.sh [--repo-deb FILE] [--pin-away-dkms LABEL] --install "PKGS"
#                       [--dkms-check "MODULES"] [--build-depends "MODULE:DEPENDENT..."]
#                       [--enable SERVICE]
# The kernel is $IBPACK_KERNEL (set by the bundle: the running kernel, or the image's with
# --root), else `uname -r`. Exit: 0 installed (image install, or modules for another kernel),
# 194 installed on this running kernel: reboot to load the new modules, 1 failed.
set -eu

repo_deb= pin_label= install= check= build_depends= enable=
while [ $# -gt 0 ]; do
	case $1 in
	--repo-deb) repo_deb=$2; shift 2 ;;
	--pin-away-dkms) pin_label=$2; shift 2 ;;
	--install) install=$2; shift 2 ;;
	--dkms-check) check=$2; shift 2 ;;
	--build-depends) build_depends=$2; shift 2 ;;
	--enable) enable=$2; shift 2 ;;
	*) echo "offline-apt.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
[ -n "$install" ] || { echo "offline-apt.sh: --install is needed" >&2; exit 1; }

here=$(pwd)
me=offline-apt.sh
# shellcheck source=bundles/vendor/offline-common.sh
. ./offline-common.sh
export DEBIAN_FRONTEND=noninteractive
echo "offline-apt.sh: installing '$install' for kernel $kernel from $here"

# 1. The kernel's build inputs must be in the package: DKMS builds against exactly this kernel.
[ -f kernel/Packages ] || fail "this package has no kernel/ repository (bundles/vendor/prepare.sh makes it)"
grep -qx "Package: linux-headers-$kernel" kernel/Packages ||
	fail "this package carries no linux-headers-$kernel: DKMS cannot build for kernel $kernel; add it with bundles/vendor/prepare.sh --kernel $kernel, or install a kernel the package carries headers for"

need_proc

# 2. Only the package's own repositories: no network, no other source is read.
lists=$(mktemp -d /tmp/ibpack-apt.XXXXXX)
tmp_dirs=$lists
mkdir -p "$lists/sources.list.d" "$lists/lists/partial" "$lists/archives/partial"
echo "deb [trusted=yes] file:$here/kernel ./" >"$lists/sources.list.d/ibpack-kernel.list"
if [ -n "$repo_deb" ]; then
	[ -f "$repo_deb" ] || fail "no $repo_deb in the package"
	# The local-repo package installs a file: repository and its apt source; those sources
	# (and only those) are used.
	dpkg -i "$repo_deb"
	found=
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && grep -q 'file:/' "$f" || continue
		cp "$f" "$lists/sources.list.d/"
		found=1
	done
	[ -n "$found" ] || fail "$repo_deb installed no file: apt source under /etc/apt/sources.list.d"
fi
if [ -n "$pin_label" ]; then
	# The vendor repository carries its own dkms; the distribution's is the one to use.
	printf 'Package: dkms\nPin: release l=%s\nPin-Priority: -1\n' "$pin_label" >/etc/apt/preferences.d/ibpack-dkms-pin
fi
apt() {
	apt-get -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$lists/sources.list.d" \
		-o Dir::State::Lists="$lists/lists" -o Dir::Cache::Archives="$lists/archives" \
		-o Acquire::Languages=none -o APT::Get::List-Cleanup=0 "$@"
}
apt update -q
# shellcheck disable=SC2086 # package lists
apt install -y -q --no-install-recommends $install "linux-headers-$kernel"

# 3. DKMS ordering for future kernels: dependents build after the module they need.
for dep in $build_depends; do
	mod=${dep%%:*}
	for m in $(echo "${dep#*:}" | tr ',' ' '); do
		mkdir -p /etc/dkms
		echo "BUILD_DEPENDS=\"$mod\"" >"/etc/dkms/$m.conf"
	done
done

# 4. Every module built and installed for this kernel (azhpc-images' check_dkms_status).
if [ -n "$check" ] && command -v dkms >/dev/null; then
	dkms autoinstall -k "$kernel" || true
fi
for m in $check; do
	if ! dkms status -m "$m" -k "$kernel" | grep -q ': installed'; then
		dkms status -m "$m" >&2 || true
		for log in /var/lib/dkms/"$m"/*/build/make.log; do
			[ -f "$log" ] && tail -40 "$log" >&2
		done
		fail "DKMS module $m is not installed for kernel $kernel"
	fi
	echo "offline-apt.sh: $(dkms status -m "$m" -k "$kernel")"
done

# 5. The service starts on the next boot; no restart on a live node.
[ -z "$enable" ] || enable_service "$enable"
[ -n "$check" ] || { echo "$me: installed"; exit 0; }
finish
