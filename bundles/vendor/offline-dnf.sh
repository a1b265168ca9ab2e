#!/bin/sh
# Installs a driver package offline on AlmaLinux/Rocky (EL 8/9) from the repositories inside this
# package: kernel/ (kernel-devel-<kernel>, dkms, gcc, make and dependencies, made by prepare.sh
# dnf) and the vendor local-repo rpm (DOCA-Host's doca-host-*.rpm). The steps are those of
# Azure/azhpc-images components/install_doca.sh (RHEL-family branch) without a network: the
# local-repo rpm, `dnf install` with only local repositories enabled, a DKMS status check for the
# target kernel, the DOCA-shadowed distribution packages excluded from baseos, openibd enabled.
#
# usage: offline-dnf.sh [--repo-rpm FILE] --install "PKGS" [--dkms-check "MODULES"]
#                       [--exclude-from-baseos "PKGS"] [--enable SERVICE]
# Kernel: $IBPACK_KERNEL, else `uname -r`. Exit: 0 installed, 194 installed on this running
# kernel (reboot to load the modules), 1 failed.
set -eu

repo_rpm= install= check= exclude= enable=
while [ $# -gt 0 ]; do
	case $1 in
	--repo-rpm) repo_rpm=$2; shift 2 ;;
	--install) install=$2; shift 2 ;;
	--dkms-check) check=$2; shift 2 ;;
	--exclude-from-baseos) exclude=$2; shift 2 ;;
	--enable) enable=$2; shift 2 ;;
	*) echo "offline-dnf.sh: unknown option $1" >&2; exit 1 ;;
	esac
done
[ -n "$install" ] || { echo "offline-dnf.sh: --install is needed" >&2; exit 1; }
here=$(pwd)
me=offline-dnf.sh
# shellcheck source=bundles/vendor/offline-common.sh
. ./offline-common.sh
echo "offline-dnf.sh: installing '$install' for kernel $kernel from $here"

[ -d kernel/repodata ] || fail "this package has no kernel/ repository (bundles/vendor/prepare.sh dnf makes it)"
ls kernel/kernel-devel-"$kernel".rpm >/dev/null 2>&1 ||
	fail "this package carries no kernel-devel-$kernel: DKMS cannot build for kernel $kernel; add it with bundles/vendor/prepare.sh dnf --kernel $kernel"

need_proc

repos="--repofrompath=ibpack-kernel,file://$here/kernel --enablerepo=ibpack-kernel"
if [ -n "$repo_rpm" ]; then
	[ -f "$repo_rpm" ] || fail "no $repo_rpm in the package"
	rpm -Uvh --replacepkgs "$repo_rpm"
	# The local-repo rpm adds file: repositories; enable exactly those.
	for f in $(grep -l 'baseurl *= *file:' /etc/yum.repos.d/*.repo 2>/dev/null); do
		for id in $(sed -n 's/^\[\(.*\)\]$/\1/p' "$f"); do
			repos="$repos --enablerepo=$id"
		done
	done
fi
dnf clean all >/dev/null 2>&1 || true
# shellcheck disable=SC2086 # option and package lists
dnf -y --disablerepo='*' $repos --setopt=ibpack-kernel.gpgcheck=0 --setopt=exclude= install \
	"kernel-devel-$kernel" $install

for m in $check; do
	if ! dkms status -m "$m" -k "$kernel" | grep -q ': installed'; then
		for log in /var/lib/dkms/"$m"/*/build/make.log; do
			[ -f "$log" ] && tail -40 "$log" >&2
		done
		fail "DKMS module $m is not installed for kernel $kernel"
	fi
	echo "offline-dnf.sh: $(dkms status -m "$m" -k "$kernel")"
done
if [ -n "$exclude" ]; then
	# A distribution update of these would replace DOCA's builds (rdma-core conflicts, EL 9.8).
	dnf config-manager --save --setopt=baseos.excludepkgs="$(echo "$exclude" | tr ' ' ',')" ||
		fail "cannot exclude $exclude from baseos"
fi
[ -z "$enable" ] || enable_service "$enable"
finish
