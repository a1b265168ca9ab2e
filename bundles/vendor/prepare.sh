#!/usr/bin/env bash
# Completes the package directories of a spec on a connected machine, after the vendor files are
# downloaded (ibpack fetch-list SPEC --format urls):
#   prepare.sh scripts SPEC              copies the install scripts each package's command names
#                                        (./offline-apt.sh, ...) and offline-common.sh, which they
#                                        source, from bundles/vendor/ into its source directory
#   prepare.sh apt DIR --kernel K... [--with "PKGS"]
#                                        fetches linux-headers-K, dkms, gcc, make (and PKGS) with
#                                        every dependency into DIR/kernel/ and indexes it
#                                        (Packages): the offline repository offline-apt.sh uses.
#                                        Run it on the distribution release the package is for.
#   prepare.sh dnf DIR --kernel K...     the same for EL (kernel-devel-K, dkms from EPEL, gcc,
#                                        make; dnf download --resolve and createrepo_c)
# A fetched set is kept: run again to add kernels; delete DIR/kernel to start over.
# Exit: 0 done, 1 usage, anything else the package tool failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,/^# Exit/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 1; }
(($# >= 2)) || usage
what=$1 dir=$2
shift 2

if [[ $what == scripts ]]; then
	python3 - "$dir" "$here" <<'PY'
import json, os, shutil, sys
spec, vendor = sys.argv[1:]
base = os.path.dirname(os.path.abspath(spec))
for p in json.load(open(spec))["packages"]:
    src = os.path.join(base, p["source"])
    for a in p["install"]["command"]:
        if a.startswith("./") and a.endswith(".sh") and os.path.isfile(os.path.join(vendor, a[2:])):
            os.makedirs(src, exist_ok=True)
            # every install script sources offline-common.sh; mofed-tarball.sh runs the others
            extra = ["offline-apt.sh", "offline-dnf.sh"] if a == "./mofed-tarball.sh" else []
            for f in [a[2:], "offline-common.sh"] + extra:
                shutil.copy2(os.path.join(vendor, f), os.path.join(src, f))
            print("%s: %s" % (p["id"], os.path.join(p["source"], a[2:])))
PY
	exit 0
fi

kernels=() with=""
while (($#)); do
	case $1 in
	--kernel) kernels+=("$2"); shift 2 ;;
	--with) with=$2; shift 2 ;;
	*) usage ;;
	esac
done
((${#kernels[@]})) || usage
repo=$dir/kernel
mkdir -p "$repo"

case $what in
apt)
	want=(dkms gcc make)
	for k in "${kernels[@]}"; do want+=("linux-headers-$k"); done
	# shellcheck disable=SC2206 # a package list
	want+=($with)
	# Every package the set can need, whatever the image already has (apt in the image then
	# installs only what is missing): apt's own resolution against an empty system, so
	# alternatives resolve as an install would (gcc, not every C compiler) and nothing is left out.
	empty=$(mktemp)
	mapfile -t all < <(apt-get -s -o Dir::State::status="$empty" -o APT::Install-Recommends=0 \
		install "${want[@]}" | awk '/^Inst /{ print $2 }')
	rm -f "$empty"
	((${#all[@]})) || { echo "prepare.sh: apt resolved nothing for ${want[*]}" >&2; exit 2; }
	missing=()
	for p in "${all[@]}"; do
		compgen -G "$repo/${p}_*.deb" >/dev/null || missing+=("$p")
	done
	if ((${#missing[@]})); then
		echo "prepare.sh: fetching ${#missing[@]} packages into $repo"
		(cd "$repo" && apt-get download "${missing[@]}")
	fi
	(cd "$repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null)
	cp "$here/offline-apt.sh" "$here/offline-common.sh" "$dir/"
	;;
dnf)
	want=(dkms gcc make elfutils-libelf-devel)
	for k in "${kernels[@]}"; do want+=("kernel-devel-$k" "kernel-headers" "kernel-modules-extra-$k"); done
	# shellcheck disable=SC2206 # a package list
	want+=($with)
	dnf download --resolve --alldeps --destdir "$repo" "${want[@]}"
	createrepo_c "$repo"
	cp "$here/offline-dnf.sh" "$here/offline-common.sh" "$dir/"
	;;
*) usage ;;
esac
echo "prepare.sh: $repo ready for kernel(s) ${kernels[*]}"
