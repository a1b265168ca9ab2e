#!/usr/bin/env bash
# Fetches the .deb files listed in LIST with apt-get download into DEST and adds INSTALLER, so
# DEST is a package source for a bundle spec. usage: fetch-debs.sh LIST INSTALLER DEST
set -euo pipefail

list=$1 installer=$2 dest=$3
mapfile -t pkgs < <(grep -vE '^\s*(#|$)' "$list")
mkdir -p "$dest"
have=$(find "$dest" -maxdepth 1 -name '*.deb' | wc -l)
if ((have < ${#pkgs[@]})); then
	echo "fetching ${#pkgs[@]} Debian packages into $dest"
	# apt-get needs fresh lists on a new machine; retry once after an update.
	if ! (cd "$dest" && apt-get download "${pkgs[@]}" >/dev/null 2>&1); then
		apt-get -o DPkg::Lock::Timeout=900 update -qq
		(cd "$dest" && apt-get download "${pkgs[@]}")
	fi
fi
install -m 0755 "$installer" "$dest/install.sh"
ls "$dest" | sed 's/^/  /'
