#!/usr/bin/env bash
# deps/build.sh TARGET  --  build the stubs' static dependencies from Debian source packages.
#
#   TARGET: linux-x86_64 (host gcc) | windows-x86_64 (x86_64-w64-mingw32-gcc)
#
# Downloads the pinned upstream .orig tarballs and Debian .debian.tar.xz parts (deps/pins)
# through a private deb-src apt setup under build/deps/apt/ (the system's /etc/apt is only read,
# never changed), checks their sha256, applies each Debian patch series (debian/patches/series)
# to its upstream source, builds zlib, zstd, OpenSSL's libcrypto, libarchive and cJSON as static libraries under
# build/deps/work/TARGET/ and installs headers + .a files into build/deps/TARGET/{include,lib}.
# build/deps/TARGET/.stamp holds the sha256 of deps/pins + this script: when it matches, nothing
# is done. Per-library build output goes to build/deps/logs/TARGET-NAME.log.
# build/deps/TARGET/applied-patches.tsv lists every applied patch (NAME<TAB>PATCH, series order);
# build/deps/TARGET/versions.tsv lists NAME<TAB>DEBIAN-VERSION<TAB>PATCH-COUNT.
set -euo pipefail

usage() { echo "usage: $0 linux-x86_64|windows-x86_64" >&2; }
TARGET=${1:-}
case $TARGET in
  linux-x86_64 | windows-x86_64) ;;
  *) usage; exit 2 ;;
esac

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$SCRIPT_DIR")
PINS=$SCRIPT_DIR/pins
DEPS=$ROOT/build/deps
APT_DIR=$DEPS/apt
SRC_DIR=$DEPS/src
LOGS=$DEPS/logs
WORK=$DEPS/work/$TARGET
PREFIX=$DEPS/$TARGET
STAMP=$PREFIX/.stamp
JOBS=$(nproc 2>/dev/null || echo 2)
LIBS_EXPECTED=(libz.a libzstd.a libcrypto.a libarchive.a libcjson.a)

say() { printf '%s\n' "$*"; }
die() { printf '[deps] ERROR: %s\n' "$*" >&2; exit 1; }

# A parent make (or the user's shell) must not leak flags, toolchains or jobserver settings
# into the library builds: everything below sets what it needs explicitly.
unset CC CXX CPP AR RANLIB LD NM STRIP CFLAGS CXXFLAGS CPPFLAGS LDFLAGS LIBS \
  MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS CONFIG_SITE CROSS_COMPILE || true
export LC_ALL=C

[[ -f $PINS ]] || die "missing $PINS"
want_stamp=$(cat "$PINS" "$SCRIPT_DIR/build.sh" | sha256sum | cut -d' ' -f1)

stamp_ok() {
  [[ -f $STAMP && "$(cat "$STAMP")" == "$want_stamp" ]] || return 1
  local l
  for l in "${LIBS_EXPECTED[@]}"; do [[ -f $PREFIX/lib/$l ]] || return 1; done
}

if stamp_ok; then
  touch "$STAMP" # keep make's view (stamp newer than pins/build.sh) in line with ours
  say "[deps] $TARGET is up to date ($PREFIX)"
  exit 0
fi

T_START=$SECONDS

# ---------------------------------------------------------------------------- pins
NAMES=() SRCPKGS=() VERSIONS=() ORIGS=() SHAS=() DEBS=() DEBSHAS=()
while read -r name srcpkg version orig sha deb debsha extra; do
  [[ -z ${name:-} || $name == \#* ]] && continue
  [[ -n ${debsha:-} && -z ${extra:-} ]] || die "deps/pins: bad line for '$name' (want 7 columns)"
  [[ $sha =~ ^[0-9a-f]{64}$ ]] || die "deps/pins: bad sha256 for '$name'"
  [[ $deb == - && $debsha == - || $debsha =~ ^[0-9a-f]{64}$ ]] ||
    die "deps/pins: bad Debian tarball sha256 for '$name'"
  NAMES+=("$name") SRCPKGS+=("$srcpkg") VERSIONS+=("$version") ORIGS+=("$orig") SHAS+=("$sha")
  DEBS+=("$deb") DEBSHAS+=("$debsha")
done <"$PINS"
for n in zlib zstd openssl libarchive cjson; do
  [[ " ${NAMES[*]} " == *" $n "* ]] || die "deps/pins: no line for $n"
done
NLIBS=${#NAMES[@]}

# upstream version for messages: 1:1.2.13.dfsg-1 -> 1.2.13, 1.5.4+dfsg2-5 -> 1.5.4
upstream_version() {
  local v=${1#*:}
  v=${v%-*}
  printf '%s' "${v%%[.+~]dfsg*}"
}

# ---------------------------------------------------------------------------- tools
ensure_tools() {
  local -a want=(gcc:gcc make:make perl:perl tar:tar xz:xz-utils bzip2:bzip2 gzip:gzip patch:patch
    sha256sum:coreutils flock:util-linux ar:binutils dpkg-source:dpkg-dev apt-get:apt)
  if [[ $TARGET == windows-x86_64 ]]; then
    want+=(x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 x86_64-w64-mingw32-ar:binutils-mingw-w64-x86-64)
  fi
  local -a missing=()
  local w
  for w in "${want[@]}"; do
    command -v "${w%%:*}" >/dev/null 2>&1 || missing+=("${w#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "missing build tools (${missing[*]}); install them: apt-get install ${missing[*]}"
  say "[deps] installing build tools: ${missing[*]}"
  local -a inst=(apt-get -y -q -o DPkg::Lock::Timeout=600 install --no-install-recommends)
  DEBIAN_FRONTEND=noninteractive "${inst[@]}" "${missing[@]}" >"$LOGS/tools-install.log" 2>&1 ||
    { apt-get -q -o DPkg::Lock::Timeout=600 update >>"$LOGS/tools-install.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive "${inst[@]}" "${missing[@]}" >>"$LOGS/tools-install.log" 2>&1; } ||
    { tail -n 20 "$LOGS/tools-install.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

# ---------------------------------------------------------------------------- private apt
APT_OPTS=(-q
  -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
  -o "Dir::Etc::sourcelist=$APT_DIR/sources.list"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o "APT::Get::Only-Source=true")
[[ $(id -u) == 0 ]] && APT_OPTS+=(-o "APT::Sandbox::User=root")
APT_UPDATED=0
FETCH_LOG=$LOGS/fetch.log

# Copy the system's Debian sources (deb822 *.sources and one-line *.list) with deb-src added.
setup_private_apt() {
  mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
  local f
  local tmp822=$APT_DIR/sources.list.d/debian.sources.tmp tmplist=$APT_DIR/sources.list.tmp
  : >"$tmp822"
  : >"$tmplist"
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk 'BEGIN { RS = ""; ORS = "" }
         /(^|\n)URIs:[^\n]*debian/ && !/(^|\n)Enabled:[ \t]*[Nn]o/ {
           n = split($0, L, "\n")
           for (i = 1; i <= n; i++) { if (L[i] ~ /^Types:/) L[i] = "Types: deb deb-src"; print L[i] "\n" }
           print "\n" }' "$f" >>"$tmp822"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    sed -nE '/^[[:space:]]*deb[[:space:]].*debian/{p;s/^([[:space:]]*)deb([[:space:]])/\1deb-src\2/p}' "$f" >>"$tmplist"
  done
  awk '!seen[$0]++' "$tmplist" >"$APT_DIR/sources.list"
  mv "$tmp822" "$APT_DIR/sources.list.d/debian.sources"
  rm -f "$tmplist"
  grep -q 'deb-src' "$APT_DIR/sources.list" "$APT_DIR/sources.list.d/debian.sources" ||
    die "no Debian apt sources found in /etc/apt to derive deb-src entries from"
}

apt_update() {
  say "[deps] updating the private deb-src index ($APT_DIR)"
  apt-get "${APT_OPTS[@]}" update >>"$FETCH_LOG" 2>&1 ||
    { tail -n 20 "$FETCH_LOG" >&2; die "apt-get update (private deb-src setup) failed"; }
  APT_UPDATED=1
}

# apt-get source fails as a whole when e.g. the .dsc 404s (seen for openssl from the security
# suite) but still leaves the .orig tarball: success is judged by the tarball alone.
apt_source() {
  (cd "$SRC_DIR" && apt-get "${APT_OPTS[@]}" source --download-only "$1") >>"$FETCH_LOG" 2>&1 || true
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_one NAME SRCPKG VERSION FILE SHA256: FILE is the .orig tarball or the .debian.tar.xz
fetch_one() {
  local name=$1 srcpkg=$2 version=$3 orig=$4 sha=$5 f=$SRC_DIR/$4 got
  if [[ -f $f ]]; then
    [[ $(sha_of "$f") == "$sha" ]] && return 0
    say "[deps] $orig present but its sha256 differs from deps/pins: downloading it again"
    mv -f "$f" "$f.bad-sha256"
  fi
  say "[deps] downloading $orig ($srcpkg $version)"
  ((APT_UPDATED)) || [[ -n $(find "$APT_DIR/lists" -maxdepth 1 -name '*_Sources*' -print -quit) ]] || apt_update
  apt_source "$srcpkg=$version"
  if [[ ! -f $f ]] && ((!APT_UPDATED)); then
    apt_update
    apt_source "$srcpkg=$version"
  fi
  if [[ ! -f $f ]]; then
    say "[deps] WARNING: $srcpkg $version is not served any more; trying the current $srcpkg (same tarball name and sha256 required)"
    apt_source "$srcpkg"
  fi
  [[ -f $f ]] || {
    tail -n 15 "$FETCH_LOG" >&2
    die "could not download $orig for $name; if Debian moved on, update deps/pins (see deps/README.md)"
  }
  got=$(sha_of "$f")
  if [[ $got != "$sha" ]]; then
    mv -f "$f" "$f.bad-sha256"
    die "SHA256 MISMATCH for $orig: deps/pins says $sha, download is $got (kept as $f.bad-sha256)"
  fi
}

fetch_all() {
  mkdir -p "$SRC_DIR"
  local i need=0
  for ((i = 0; i < NLIBS; i++)); do
    [[ -f $SRC_DIR/${ORIGS[i]} && $(sha_of "$SRC_DIR/${ORIGS[i]}") == "${SHAS[i]}" ]] || need=1
    [[ ${DEBS[i]} == - ]] ||
      [[ -f $SRC_DIR/${DEBS[i]} && $(sha_of "$SRC_DIR/${DEBS[i]}") == "${DEBSHAS[i]}" ]] || need=1
  done
  ((need)) || return 0
  # both targets may be built at once (make -j): one downloader at a time
  exec 9>"$DEPS/.fetch.lock"
  flock 9
  setup_private_apt
  for ((i = 0; i < NLIBS; i++)); do
    fetch_one "${NAMES[i]}" "${SRCPKGS[i]}" "${VERSIONS[i]}" "${ORIGS[i]}" "${SHAS[i]}"
    [[ ${DEBS[i]} == - ]] ||
      fetch_one "${NAMES[i]}" "${SRCPKGS[i]}" "${VERSIONS[i]}" "${DEBS[i]}" "${DEBSHAS[i]}"
  done
  flock -u 9
  exec 9>&-
}

# ---------------------------------------------------------------------------- toolchain
CFLAGS_A=(-O2 -ffunction-sections -fdata-sections)
CFLAGS_T="${CFLAGS_A[*]}"
if [[ $TARGET == linux-x86_64 ]]; then
  T_CC=gcc T_AR=ar T_RANLIB=ranlib HOST_TRIPLET=
  OSSL_TARGET=(linux-x86_64)
  T_CPPFLAGS=
else
  HOST_TRIPLET=x86_64-w64-mingw32
  T_CC=$HOST_TRIPLET-gcc T_AR=$HOST_TRIPLET-ar T_RANLIB=$HOST_TRIPLET-ranlib
  OSSL_TARGET=(mingw64 "--cross-compile-prefix=$HOST_TRIPLET-")
  # static libarchive/cJSON: no dllexport/dllimport decorations (consumers need the same)
  T_CPPFLAGS="-DLIBARCHIVE_STATIC -DCJSON_HIDE_SYMBOLS"
fi

# OpenSSL 3.0 Configure options (each checked against 3.0.22's Configure; 3.0 has no
# no-docs/no-apps). no-sock keeps getaddrinfo & co. (which need glibc's NSS at run time) out.
OSSL_OPTS=(no-shared no-tests no-legacy no-engine no-module no-dso no-autoload-config no-async
  no-ui-console no-comp no-ssl3 no-srp no-idea no-sock no-weak-ssl-ciphers
  no-rc5 no-md2 no-mdc2 no-whirlpool no-seed no-camellia no-aria no-sm2 no-sm3 no-sm4)

SRC='' BLD=''
# apply_debian_patches NAME INDEX: unpack the pinned .debian.tar.xz into $SRC and apply
# debian/patches/series in order (quilt format: "file [-pN]", # comments); a patch that does not
# apply exactly fails the build. Each applied patch is recorded in applied-patches.tsv.
apply_debian_patches() {
  local name=$1 i=$2 pf opt lvl n=0
  if [[ ${DEBS[i]} == - ]]; then
    printf '%s\t%s\t0\n' "$name" "${VERSIONS[i]}" >>"$PREFIX/versions.tsv"
    return 0
  fi
  tar -xf "$SRC_DIR/${DEBS[i]}" -C "$SRC"
  if [[ -f $SRC/debian/patches/series ]]; then
    while read -r pf opt _; do
      [[ -z ${pf:-} || $pf == \#* ]] && continue
      lvl=-p1
      [[ ${opt:-} =~ ^-p[0-9]$ ]] && lvl=$opt
      echo "applying debian/patches/$pf"
      patch "$lvl" -s -N --no-backup-if-mismatch -d "$SRC" -i "$SRC/debian/patches/$pf" ||
        die "$name: debian/patches/$pf does not apply to ${ORIGS[i]}"
      printf '%s\t%s\n' "$name" "$pf" >>"$PREFIX/applied-patches.tsv"
      n=$((n + 1))
    done <"$SRC/debian/patches/series"
  fi
  # Debian regenerates autotools output (dh_autoreconf); the series' build-file changes only
  # touch test lists and pkg-config metadata (configure.ac, Makefile.am). Keep the release's
  # generated files by dating the autotools inputs back, so make does not try to regenerate them
  # with this machine's (different) autotools.
  find "$SRC" \( -name configure.ac -o -name Makefile.am -o -name '*.m4' ! -name aclocal.m4 \) \
    -type f -exec touch -d 2000-01-01 {} +
  printf '%s\t%s\t%d\n' "$name" "${VERSIONS[i]}" "$n" >>"$PREFIX/versions.tsv"
}

# extract NAME: fresh copy of the pinned tarball under $WORK/src/NAME with the Debian patch
# series applied, sets SRC and BLD
extract() {
  local i
  for ((i = 0; i < NLIBS; i++)); do [[ ${NAMES[i]} == "$1" ]] && break; done
  rm -rf "$WORK/src/$1" "$WORK/build/$1"
  mkdir -p "$WORK/src/$1" "$WORK/build/$1"
  tar -xf "$SRC_DIR/${ORIGS[i]}" -C "$WORK/src/$1"
  local -a top=("$WORK/src/$1"/*/)
  ((${#top[@]} == 1)) || die "${ORIGS[i]}: expected one top-level directory"
  SRC=${top[0]%/}
  BLD=$WORK/build/$1
  apply_debian_patches "$1" "$i"
}

install_licenses() {
  local f
  mkdir -p "$PREFIX/share/licenses/$1"
  for f in "$SRC"/LICENSE* "$SRC"/COPYING*; do
    [[ -f $f ]] && cp "$f" "$PREFIX/share/licenses/$1/"
  done
  return 0
}

build_zlib() {
  extract zlib
  cd "$BLD"
  env CC="$T_CC" AR="$T_AR" RANLIB="$T_RANLIB" CFLAGS="$CFLAGS_T" ${HOST_TRIPLET:+CHOST=$HOST_TRIPLET} \
    "$SRC/configure" --static --prefix="$PREFIX"
  make -j"$JOBS" libz.a
  cp libz.a "$PREFIX/lib/"
  cp "$SRC/zlib.h" zconf.h "$PREFIX/include/"
  install_licenses zlib
}

build_zstd() {
  extract zstd
  # zstd's lib Makefile builds in-tree (in the fresh per-target copy); static = single-threaded
  env CC="$T_CC" AR="$T_AR" CFLAGS="$CFLAGS_T" ZSTD_LEGACY_SUPPORT=0 \
    make -C "$SRC/lib" -j"$JOBS" libzstd.a
  cp "$SRC/lib/libzstd.a" "$PREFIX/lib/"
  cp "$SRC/lib/zstd.h" "$SRC/lib/zstd_errors.h" "$SRC/lib/zdict.h" "$PREFIX/include/"
  install_licenses zstd
}

build_openssl() {
  extract openssl
  cd "$BLD"
  perl "$SRC/Configure" "${OSSL_TARGET[@]}" "${OSSL_OPTS[@]}" \
    --prefix="$PREFIX" --libdir=lib "${CFLAGS_A[@]}"
  perl configdata.pm -o
  make -j"$JOBS" build_generated
  make -j"$JOBS" libcrypto.a
  if [[ $TARGET == linux-x86_64 ]]; then # asm must be in (SHA-NI, AES-NI, ...)
    nm libcrypto.a >libcrypto.nm 2>/dev/null
    grep -q ' T OPENSSL_ia32_cpuid$' libcrypto.nm || die "libcrypto.a built without asm"
    grep -q 'sha256_block_data_order_shaext' libcrypto.nm || die "libcrypto.a lacks SHA-NI code"
  fi
  mkdir -p "$PREFIX/include/openssl"
  cp "$SRC"/include/openssl/*.h "$PREFIX/include/openssl/"
  cp "$BLD"/include/openssl/*.h "$PREFIX/include/openssl/" # generated: opensslv.h, configuration.h, ...
  cp libcrypto.a "$PREFIX/lib/"
  install_licenses openssl
}

build_libarchive() {
  extract libarchive
  cd "$BLD"
  env CC="$T_CC" AR="$T_AR" RANLIB="$T_RANLIB" CFLAGS="$CFLAGS_T" \
    CPPFLAGS="-I$PREFIX/include $T_CPPFLAGS" LDFLAGS="-L$PREFIX/lib" \
    "$SRC/configure" ${HOST_TRIPLET:+--host=$HOST_TRIPLET} --prefix="$PREFIX" \
    --disable-shared --enable-static --disable-bsdtar --disable-bsdcat --disable-bsdcpio \
    --without-xml2 --without-expat --without-openssl --without-nettle --without-mbedtls \
    --without-lzma --without-bz2lib --without-lz4 --without-libb2 --without-iconv --without-cng \
    --disable-acl --disable-xattr --with-zlib --with-zstd
  # 3.6.2 has no --disable-bsdunzip (bsdunzip came later)
  local m
  for m in HAVE_ZLIB_H HAVE_LIBZ HAVE_ZSTD_H HAVE_LIBZSTD; do
    grep -q "^#define $m 1" config.h || die "libarchive config.h: $m not set (zlib/zstd not found in $PREFIX)"
  done
  m=$(grep -oE '^#define HAVE_LIB[A-Z0-9_]+ 1' config.h | awk '$2 !~ /^HAVE_LIBZ(STD(_COMPRESSOR)?)?$/ {print $2}' | tr '\n' ' ' || true)
  [[ -z $m ]] || die "libarchive picked up unwanted libraries: $m"
  echo "libarchive config.h: HAVE_ZLIB_H HAVE_LIBZ HAVE_ZSTD_H HAVE_LIBZSTD set, no other HAVE_LIB*"
  make -j"$JOBS" libarchive.la
  cp .libs/libarchive.a "$PREFIX/lib/"
  cp "$SRC/libarchive/archive.h" "$SRC/libarchive/archive_entry.h" "$PREFIX/include/"
  install_licenses libarchive
}

build_cjson() {
  extract cjson
  cd "$BLD"
  # shellcheck disable=SC2086 # flag lists are meant to split
  "$T_CC" $CFLAGS_T $T_CPPFLAGS -std=c89 -Wall -c "$SRC/cJSON.c" -o cJSON.o
  "$T_AR" rcs libcjson.a cJSON.o
  mkdir -p "$PREFIX/include/cjson"
  cp "$SRC/cJSON.h" "$PREFIX/include/cjson/"
  cp libcjson.a "$PREFIX/lib/"
  install_licenses cjson
}

# ---------------------------------------------------------------------------- main
mkdir -p "$LOGS"
ensure_tools
fetch_all

rm -rf "$PREFIX" "$WORK"
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$WORK"
: >"$PREFIX/applied-patches.tsv"
: >"$PREFIX/versions.tsv"

for ((i = 0; i < NLIBS; i++)); do
  name=${NAMES[i]}
  declare -F "build_$name" >/dev/null || die "deps/pins names '$name', which build.sh cannot build"
  log=$LOGS/$TARGET-$name.log
  say "[deps $((i + 1))/$NLIBS] building $name $(upstream_version "${VERSIONS[i]}") for $TARGET ..."
  t0=$SECONDS
  set +e
  (
    set -e
    echo "== $name ${VERSIONS[i]} (${ORIGS[i]}) for $TARGET, $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
    "build_$name"
  ) >"$log" 2>&1
  rc=$?
  set -e
  if ((rc != 0)); then
    printf '[deps] %s failed for %s (exit %d); last lines of %s:\n' "$name" "$TARGET" "$rc" "$log" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  say "[deps $((i + 1))/$NLIBS] $name done in $((SECONDS - t0)) s"
done

cp "$PINS" "$PREFIX/pins.txt"
printf '%s\n' "$want_stamp" >"$STAMP"
say "[deps] $TARGET done in $((SECONDS - T_START)) s -> $PREFIX"
