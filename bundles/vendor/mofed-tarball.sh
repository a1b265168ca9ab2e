#!/bin/sh
# Installs a standalone MLNX_OFED tarball (24.10 LTS for ConnectX-4, 4.9 LTS for ConnectX-3,
# ConnectX-3 Pro and Connect-IB) offline: the kernel's headers/devel, gcc and make from this
# package's kernel/ repository first (offline-apt.sh or offline-dnf.sh), then mlnxofedinstall
# rebuilds the modules for that kernel (--add-kernel-support), with the flags azhpc-images used,
# no firmware update and no openibd restart.
#
# usage: mofed-tarball.sh MLNX_OFED_LINUX-<version>-<distro>-x86_64.tgz
# Kernel: $IBPACK_KERNEL, else `uname -r`. Exit: 0 installed, 194 installed on this running
# kernel (reboot to load the modules), else mlnxofedinstall's code or 1.
set -eu

tgz=$1
me=mofed-tarball.sh
# shellcheck source=bundles/vendor/offline-common.sh
. ./offline-common.sh
[ -f "$tgz" ] || fail "no $tgz in the package"
if command -v apt-get >/dev/null; then
	IBPACK_KERNEL=$kernel IBPACK_ROOT=${IBPACK_ROOT:-image} sh ./offline-apt.sh --install "gcc make dpkg-dev"
	sources=/lib/modules/$kernel/build
else
	IBPACK_KERNEL=$kernel IBPACK_ROOT=${IBPACK_ROOT:-image} sh ./offline-dnf.sh --install "gcc make rpm-build createrepo_c"
	sources=/usr/src/kernels/$kernel
fi
d=${tgz%.tgz}
tar xzf "$tgz"
cd "$d"
repo=
if ./mlnxofedinstall --help 2>&1 | grep -q -- --skip-repo; then
	repo=--skip-repo
fi
# shellcheck disable=SC2086 # optional flag
./mlnxofedinstall --add-kernel-support --kernel "$kernel" --kernel-sources "$sources" $repo \
	--without-fw-update --force --skip-unsupported-devices-check
finish
