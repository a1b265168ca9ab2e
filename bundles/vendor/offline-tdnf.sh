#!/bin/sh
# Installs Azure Linux 3's own InfiniBand packages offline (mlnx-ofa_kernel and its modules,
# built by Azure Linux for one exact kernel, and the rdma-core user space) from the rpms/
# repository inside this package, as azhpc-images components/install_mofed.sh installs them
# from the Azure Linux repositories; then openibd is enabled (no restart).
#
# usage: offline-tdnf.sh --install "PKGS" [--enable SERVICE]
# Fill rpms/ on an Azure Linux 3 machine with the target kernel:
#   tdnf install -y --downloadonly --alldeps --downloaddir rpms/ PKGS && createrepo rpms/
# (UNCONFIRMED: tdnf's --downloadonly/--alldeps spelling; `dnf download --resolve` also works).
# Kernel: $IBPACK_KERNEL, else `uname -r`; the modules package must be built for it.
# Exit: 0 installed, 194 installed on this running kernel (reboot), 1 failed.
set -eu

install= enable=
while [ $# -gt 0 ]; do
	case $1 in
	--install) install=$2; shift 2 ;;
	--enable) enable=$2; shift 2 ;;
	*) echo "offline-tdnf.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
here=$(pwd)
me=offline-tdnf.sh
# shellcheck source=bundles/vendor/offline-common.sh
. ./offline-common.sh
[ -d rpms/repodata ] || fail "this package has no rpms/ repository"
# The modules rpm requires kernel = its exact build: a kernel update on the node breaks it.
ver=${kernel%.azl3}
ls rpms/mlnx-ofa_kernel-modules-*.rpm >/dev/null 2>&1 || fail "no mlnx-ofa_kernel-modules rpm in rpms/"
rpm -qp --requires rpms/mlnx-ofa_kernel-modules-*.rpm 2>/dev/null | grep -q "kernel.*$ver" ||
	fail "the mlnx-ofa_kernel-modules in this package are not built for kernel $kernel"
# shellcheck disable=SC2086 # package list
tdnf -y --disablerepo='*' --repofrompath=ibpack,"file://$here/rpms" --enablerepo=ibpack --nogpgcheck install $install
[ -z "$enable" ] || enable_service "$enable"
finish
