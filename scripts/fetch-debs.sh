#!/usr/bin/env bash
# Fetches the .deb files listed in LIST with apt-get download into DEST and adds INSTALLER, so
# DEST is a package source for a bundle spec: exactly one .deb per listed package, nothing else
# (a .deb no longer listed, or a second version of one, is removed). Files already there are kept,
# so a bundle is rebuilt from the same packages; delete DEST to take the newest ones.
# It then checks that every exact-version dependency (`pkg (= v)`) of a fetched package names a
# listed package at that version: dpkg could not install the set into an image whose copy of such
# a package is older. usage: fetch-debs.sh LIST INSTALLER DEST
# Exit codes: 0 ready, 2 the list is inconsistent (see the message), else apt-get failed.
set -euo pipefail

list=$1 installer=$2 dest=$3
mapfile -t pkgs < <(grep -vE '^[[:space:]]*(#|$)' "$list" | awk '{ print $1 }')
mkdir -p "$dest"

declare -A want=() have=() count=()
for p in "${pkgs[@]}"; do want[$p]=1; done
for deb in "$dest"/*.deb; do
	[[ -e $deb ]] || continue
	if ! name=$(dpkg-deb -f "$deb" Package 2>/dev/null) || [[ -z ${want[$name]:-} ]]; then
		echo "removing $(basename "$deb") (not in $list, or unreadable)"
		rm -f "$deb"
		continue
	fi
	count[$name]=$((${count[$name]:-0} + 1))
	have[$name]="${have[$name]:-} $deb"
done
missing=()
for p in "${pkgs[@]}"; do
	if [[ ${count[$p]:-0} -gt 1 ]]; then
		echo "removing the ${count[$p]} versions of $p (fetched again)"
		# shellcheck disable=SC2086 # the list of files
		rm -f ${have[$p]}
		count[$p]=0
	fi
	[[ ${count[$p]:-0} -eq 1 ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "fetching ${#missing[@]} Debian packages into $dest"
	# apt-get needs fresh lists on a new machine; retry once after an update.
	if ! (cd "$dest" && apt-get download "${missing[@]}" >/dev/null 2>&1); then
		apt-get -o DPkg::Lock::Timeout=900 update -qq
		(cd "$dest" && apt-get download "${missing[@]}")
	fi
fi

declare -A version=()
for deb in "$dest"/*.deb; do
	version[$(dpkg-deb -f "$deb" Package)]=$(dpkg-deb -f "$deb" Version)
done
bad=0
for deb in "$dest"/*.deb; do
	self=$(dpkg-deb -f "$deb" Package)
	# "Depends: a (= 1), b | c (>= 2)" -> one "name version" line per exact dependency
	while read -r dep ver; do
		[[ -n $dep ]] || continue
		if [[ -z ${version[$dep]:-} ]]; then
			echo "ERROR: $self needs $dep (= $ver), which $list does not list: add it" >&2
			bad=1
		elif [[ ${version[$dep]} != "$ver" ]]; then
			echo "ERROR: $self needs $dep (= $ver), but $dest has $dep ${version[$dep]}: delete $dest and fetch again" >&2
			bad=1
		fi
	done < <(dpkg-deb -f "$deb" Depends Pre-Depends | sed -E 's/^[A-Za-z-]+: //' | tr ',|' '\n' |
		sed -nE 's/^[[:space:]]*([a-z0-9.+-]+)(:[a-z0-9]+)?[[:space:]]*\(=[[:space:]]*([^)[:space:]]+)[[:space:]]*\).*/\1 \3/p')
done
((bad == 0)) || exit 2
install -m 0755 "$installer" "$dest/install.sh"
find "$dest" -maxdepth 1 -type f -printf '  %f\n' | sort
