#!/usr/bin/env bash
# make deb: builds the Debian packages ibpack and ibpack-stubs with dpkg-buildpackage -b -us -uc
# on a copy of the source tree (so the tree's own build/ is not touched), with debian/changelog
# written from VERSION, and runs lintian on the result when it is installed.
#
# The stubs' static dependencies are built (or found up to date) by deps/build.sh in this tree's
# build/deps first; the copy uses them through a symlink, so nothing is downloaded twice.
#
# usage: scripts/make-deb.sh OUTDIR      (make deb: OUTDIR is build/deb)
# Writes OUTDIR/ibpack_VERSION_ARCH.deb, OUTDIR/ibpack-stubs_VERSION_all.deb, the .buildinfo and
# .changes files, OUTDIR/build.log and OUTDIR/lintian.txt. Exits non-zero when the build fails
# or lintian reports an error.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:?usage: make-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(cat "$ROOT/VERSION")
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "make-deb: VERSION '$version' is not a Debian native version" >&2; exit 1; }

for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null || { echo "make-deb: $tool is missing: bash scripts/setup.sh deb" >&2; exit 1; }
done

bash "$ROOT/deps/build.sh" linux-x86_64
bash "$ROOT/deps/build.sh" windows-x86_64

stage=$out/src
src=$stage/ibpack-$version
rm -rf "$stage"
mkdir -p "$src/build"
# The tree without its outputs, VCS data or fetched vendor files.
tar -C "$ROOT" --exclude=./build --exclude=./.git --exclude=./bundles/vendor -cf - . | tar -C "$src" -xf -
ln -s "$ROOT/build/deps" "$src/build/deps"

# One changelog entry for VERSION, dated by SOURCE_DATE_EPOCH, else the last commit, else now.
# DEBFULLNAME and DEBEMAIL (as for dch) name the site that builds the packages: they become the
# changelog's signer and the packages' Maintainer.
when=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}
maint="${DEBFULLNAME:-ibpack maintainers} <${DEBEMAIL:-ibpack@ibpack.invalid}>"
sed -i "s|^Maintainer: .*|Maintainer: $maint|" "$src/debian/control"
cat >"$src/debian/changelog" <<EOF
ibpack ($version) unstable; urgency=medium

  * ibpack $version, packaged from the source tree by make deb.

 -- $maint  $(date -u -R -d "@$when")
EOF

# The package build starts clean: no variables from a calling make (make deb BUILD=...).
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS BUILD
echo "make-deb: dpkg-buildpackage -b -us -uc in $src (log: $out/build.log)"
if ! (cd "$src" && SOURCE_DATE_EPOCH=$when dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "make-deb: dpkg-buildpackage failed (full log: $out/build.log)" >&2
	exit 1
fi
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mv "$stage"/*.deb "$stage"/*.buildinfo "$stage"/*.changes "$out/"
rm -rf "$stage"
ls -1 "$out"/*.deb

if command -v lintian >/dev/null; then
	echo "make-deb: lintian (log: $out/lintian.txt)"
	rc=0
	lintian --fail-on error "$out"/ibpack_"$version"_*.changes >"$out/lintian.txt" 2>&1 || rc=$?
	cat "$out/lintian.txt"
	((rc == 0)) || { echo "make-deb: lintian reports errors" >&2; exit 1; }
else
	echo "make-deb: lintian is not installed; the packages were not checked"
fi
