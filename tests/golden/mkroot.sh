#!/usr/bin/env bash
# Creates, once, the cached minimal Debian 12 root that tests/bats/golden.bats installs into:
# `debootstrap --variant=minbase bookworm` from the mirror of the system's apt sources, stored as
# CACHE/debootstrap-bookworm-minbase.tar plus a stamp written last (so a half-made cache is never
# used). Each test extracts a fresh copy. Takes a few minutes the first time.
#
# usage: mkroot.sh CACHE_DIR [PKG,PKG]   prints the tarball's path; PKG,PKG are added with
#                                        debootstrap --include (tests/bats/fleet.bats: python3)
# exit:  0 ready, 77 the mirror cannot be reached or debootstrap is missing (the test skips),
#        anything else a real failure. IBPACK_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

cache=${1:?usage: mkroot.sh CACHE_DIR [PKG,PKG]}
include=${2:-}
suite=bookworm
tarball=$cache/debootstrap-$suite-minbase${include:+-${include//,/-}}.tar
stamp=$tarball.stamp

# mirror: the first http(s) URI of the system's apt sources that carries $suite (deb822 .sources
# files or one-line sources.list entries), else deb.debian.org.
mirror() {
	local f uri
	if [[ -n ${IBPACK_DEBIAN_MIRROR:-} ]]; then
		echo "$IBPACK_DEBIAN_MIRROR"
		return
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] || continue
		# One stanza per paragraph: URIs and Suites lines of the same stanza.
		uri=$(awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
			{ u = ""; ok = 0
			  for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u = a[1] }
				if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == s) ok = 1 }
			  }
			  if (ok && u ~ /^https?:/) { print u; exit } }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		# deb [options] URI SUITE COMPONENTS...
		uri=$(awk -v s="$suite" '$1 == "deb" { i = 2
			if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s && $i ~ /^https?:/) { print $i; exit } }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	echo http://deb.debian.org/debian
}

if [[ -f $stamp && -f $tarball ]]; then
	echo "$tarball"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (bash scripts/setup.sh test)" >&2; exit 77; }
[[ $(id -u) -eq 0 ]] || { echo "debootstrap needs root" >&2; exit 77; }
mkdir -p "$cache"
exec 9>"$cache/.debootstrap.lock"
flock 9 # another test run may be creating it right now
if [[ -f $stamp && -f $tarball ]]; then
	echo "$tarball"
	exit 0
fi
url=$(mirror)
if ! curl -fsS -m 30 -o /dev/null "$url/dists/$suite/Release" 2>/dev/null &&
	! wget -q -T 30 -O /dev/null "$url/dists/$suite/Release" 2>/dev/null; then
	echo "cannot reach the Debian mirror $url (dists/$suite/Release): no cached root can be made" >&2
	exit 77
fi
work=$(mktemp -d "$cache/root.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "debootstrap --variant=minbase $suite from $url (a few minutes, once)" >&2
if ! debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$work/root" "$url" >"$cache/debootstrap.log" 2>&1; then
	tail -20 "$cache/debootstrap.log" >&2
	if grep -qiE 'Failed getting release file|Couldn.t download|Temporary failure in name resolution|unable to resolve' "$cache/debootstrap.log"; then
		exit 77
	fi
	exit 1
fi
# No apt lists or archives: the root must behave like an image that has never been online.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
tar --numeric-owner -C "$work/root" -cpf "$work/root.tar" .
mv -f "$work/root.tar" "$tarball"
printf 'suite=%s variant=minbase include=%s mirror=%s created=%s\n' "$suite" "$include" "$url" "$(date -u +%FT%TZ)" >"$stamp"
echo "$tarball"
