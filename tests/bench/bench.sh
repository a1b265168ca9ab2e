#!/usr/bin/env bash
# make bench: ibpack against makeself and tar on the same data, on the same machine, in one run.
# Every comparison runs the two commands alternately RUNS times (after a warm-up: warm page
# cache) and prints both medians and the median of the per-run ratios, with the target the
# issue states. Then the bytes one install reads from storage and N concurrent installs from one
# bundle file (the shared-storage fan-out of a cluster rollout), the stub's peak RSS over every
# bundle size, and a scaling table (1, 4, 12 packages, a many-package bundle, and a sparse
# synthetic bundle of 20 packages and 1,000,000 chunk hashes).
# BENCH_QUICK=1: tiny data and one run, only to prove the bench works (CI); no timing is judged.
# BENCH_SCALE=1: also a 10 GiB bundle (20 packages of 512 MiB; 3 x 8 MiB with BENCH_QUICK) built,
#   verified, listed and extracted against cat, sha256sum and tar (needs about 25 GiB of disk).
#   usage: bench.sh IBPACK_BUILD_DIR [WORKDIR]      (BENCH_RUNS=N overrides the run count)
set -euo pipefail

B=$(cd "$1" && pwd)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
IBPACK=$B/bin/ibpack
WORK=${2:-$B/bench}
QUICK=${BENCH_QUICK:-0}
SCALE=${BENCH_SCALE:-0}
if [[ $QUICK == 1 ]]; then
	NPKG=4 PKG_MIB=4 BIG_MIB=8 RUNS=${BENCH_RUNS:-1} MANY=20 MANY_KIB=256 SYN_CHUNKS=1000 FAN=4
	SCALE_PKGS=3 SCALE_MIB=8
else
	# MANY x MANY_KIB at 64 KiB chunks gives the manifest of 20 packages x 350 MB at 1 MiB chunks.
	NPKG=12 PKG_MIB=64 BIG_MIB=256 RUNS=${BENCH_RUNS:-5} MANY=20 MANY_KIB=22528
	# 19 synthetic packages x 52,632 chunks of 64 KiB (+ the real one): 1,000,008 chunk hashes.
	SYN_CHUNKS=52632 FAN=8 SCALE_PKGS=20 SCALE_MIB=512
fi
# Millisecond commands get more runs: their medians are cheap and noisier.
FAST_RUNS=$((RUNS < 11 ? 11 : RUNS))
for tool in makeself openssl tar sha256sum python3; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (bash scripts/setup.sh bench)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: GNU time is missing (apt-get install time)" >&2; exit 1; }
((BASH_VERSINFO[0] >= 5)) || { echo "bench: needs bash 5 (EPOCHREALTIME)" >&2; exit 1; }

rm -rf "$WORK" && mkdir -p "$WORK/data" "$WORK/out" "$WORK/tmp" "$WORK/root/etc"
cd "$WORK"
export SOURCE_DATE_EPOCH=1700000000 # the same bytes in every run
# The install record and lock of the bench's installs, not this machine's /var/lib/ibpack.
export IBPACK_STATE_DIR=$WORK/state
# Installs read /etc and keep their state below this root, not on the machine running the bench.
printf 'ID=debian\nVERSION_ID="12"\n' >root/etc/os-release

# ---- reproducible data: AES-CTR keystream (incompressible) and generated text (compressible) ----
stream() { # $1 = seed, $2 = KiB
	head -c "$(($2 << 10))" /dev/zero |
		openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$1")" -iv 0 2>/dev/null
}
installer() { printf '#!/bin/sh\nexit 0\n' >"$1/install.sh" && chmod +x "$1/install.sh"; }
echo "bench: generating $NPKG x $PKG_MIB MiB incompressible packages, one $BIG_MIB MiB text package" \
	"and one $MANY_KIB KiB package for a $MANY-package bundle"
for i in $(seq -w 1 "$NPKG"); do
	mkdir -p "data/p$i"
	stream "$((10#$i))" "$((PKG_MIB << 10))" >"data/p$i/payload.bin"
	installer "data/p$i"
done
mkdir -p data/text data/many
seq 1 $((BIG_MIB * 1024 * 1024 / 48)) | awk '{printf "line %09d of a generated, compressible log file\n", $1}' >data/text/log.txt
installer data/text
stream 99 "$MANY_KIB" >data/many/payload.bin
installer data/many
mkdir -p data/real
stream 98 1024 >data/real/payload.bin
installer data/real

pkg_json() { # $1 = id, $2 = source, $3 = os pattern
	printf '{ "id": "%s", "name": "P", "version": "1", "source": "%s", "match": { "os": ["%s"], "nic": ["cx6"] }, "install": { "command": ["./install.sh"] } }' "$1" "$2" "$3"
}
spec() { # $1 = number of incompressible packages, $2 = include the text package (1/0)
	local sep="" i
	echo '{ "name": "bench", "version": "1", "sequence": 1, "target": "linux-x86_64", "packages": ['
	for i in $(seq -w 1 "$NPKG" | head -n "$1"); do
		printf '%s%s\n' "$sep" "$(pkg_json "p$i" "data/p$i" 'debian-*')"
		sep=,
	done
	[[ $2 == 1 ]] && printf '%s%s\n' "$sep" "$(pkg_json text data/text 'ubuntu-*')"
	echo '] }'
}
many_spec() { # MANY packages sharing one source, 64 KiB chunks: a large manifest
	local sep="" i
	echo '{ "name": "many", "version": "1", "sequence": 1, "target": "linux-x86_64", "chunk_size": 65536, "packages": ['
	for i in $(seq -w 1 "$MANY"); do
		printf '%s%s\n' "$sep" "$(pkg_json "m$i" data/many 'debian-*')"
		sep=,
	done
	echo '] }'
}
synth_spec() { # one small real package at 64 KiB chunks: the seed of the synthetic bundle
	echo '{ "name": "synth", "version": "1", "sequence": 1, "target": "linux-x86_64", "chunk_size": 65536, "packages": ['
	pkg_json real data/real 'debian-*'
	echo '] }'
}
spec "$NPKG" 1 >full.json
spec "$NPKG" 0 >inc.json # the incompressible packages only: the build-at-copy-speed rows
"$IBPACK" keygen -o key >/dev/null
mkdir -p ms-src && for d in data/p* data/text; do ln -s "$PWD/$d" "ms-src/${d#data/}"; done
one=$(cd data && ls -d p* | sed -n "$((NPKG / 2 + 1))p") # the package installed/extracted
first=$(cd data && ls -d p* | head -1)
tar -C data -cf out/one.tar "$one"

# ---- timing ----
elapsed() { awk -v s="${1/,/.}" -v e="${2/,/.}" 'BEGIN {printf "%.6f", e - s}'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
quiet() { "$@" >/dev/null 2>&1; }
# measure N PREP A B: runs PREP;A and PREP;B alternately N times after one warm-up of each;
# prints "median(A) median(B) median(B/A)". PREP (untimed) is "true" or a cleanup function.
measure() {
	local n=$1 prep=$2 a=$3 b=$4 ta=() tb=() tr=() s e x y
	$prep && quiet $a || { echo "bench: failed: $a" >&2; exit 1; }
	$prep && quiet $b || { echo "bench: failed: $b" >&2; exit 1; }
	for _ in $(seq "$n"); do
		# EPOCHREALTIME, not $(date): no fork inside the timed interval.
		$prep; s=$EPOCHREALTIME; quiet $a; e=$EPOCHREALTIME; x=$(elapsed "$s" "$e")
		$prep; s=$EPOCHREALTIME; quiet $b; e=$EPOCHREALTIME; y=$(elapsed "$s" "$e")
		ta+=("$x") tb+=("$y") tr+=("$(awk -v x="$x" -v y="$y" 'BEGIN {printf "%.6f", (x > 0 ? y / x : 0)}')")
	done
	echo "$(printf '%s\n' "${ta[@]}" | median) $(printf '%s\n' "${tb[@]}" | median) $(printf '%s\n' "${tr[@]}" | median)"
}
# time1 N CMD...: median wall time of CMD over N runs (after a warm-up).
time1() {
	local n=$1 t=() s e
	shift
	quiet "$@" || { echo "bench: failed: $*" >&2; exit 1; }
	for _ in $(seq "$n"); do
		s=$EPOCHREALTIME; quiet "$@"; e=$EPOCHREALTIME; t+=("$(elapsed "$s" "$e")")
	done
	printf '%s\n' "${t[@]}" | median
}
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; } # peak RSS in KiB

# ---- the commands compared ----
# Before each timed run (untimed): the files the command reads are read once, so every run
# starts from a warm page cache even where the host takes page cache back between runs (it
# does on the VM docs/PERFORMANCE.md was measured on); outputs are removed and synced, so
# neither side pays for freeing the previous run's file or for earlier dirty pages.
warm() { cat "$@" >/dev/null; }
inputs=(data/p*/* data/text/*)
clean_builds() { rm -f out/b.run out/ms.run out/msgz.run; sync; warm "${inputs[@]}"; }
# Cold: the inputs are dropped from the page cache (this file's pages only, as dd's nocache
# does: posix_fadvise DONTNEED), so they come from the disk.
cold_builds() {
	rm -f out/b.run out/ms.run; sync
	local f
	for f in "${inputs[@]}"; do dd if="$f" iflag=nocache count=0 status=none; done
}
build_ibpack() { "$IBPACK" build full.json -k key.key -o out/b.run -q; }
build_ms_nocomp() { makeself --nocomp --sha256 --quiet --follow ms-src out/ms.run bench "./$first/install.sh"; }
build_ms_gzip() { makeself --quiet --follow ms-src out/msgz.run bench "./$first/install.sh"; }
clean_x() { rm -rf out/x out/xm out/xt; warm out/b.run out/ms.run out/one.tar; }
warm_bundles() { warm out/b.run out/ms.run; }
warm_verify() { warm out/b.run "${inputs[@]}"; }
x_ibpack() { out/b.run --extract out/x --package "$one" --quiet; }
x_ms() { out/ms.run --noexec --nox11 --quiet --target out/xm; }
x_tar() { mkdir out/xt && tar -C out/xt -xf out/one.tar; }
x_serial() { IBPACK_READAHEAD=0 out/b.run --extract out/x --package "$one" --quiet; }
# Build at copy speed: ibpack build of the incompressible packages against cat of the same
# files into one file, and against cat followed by `sync --data` of that file (ibpack build fsyncs
# its output before the rename: the same durability).
inc_inputs=(data/p*/*)
clean_cat() { rm -f out/inc.run out/cat.bin; sync; warm "${inc_inputs[@]}"; }
build_inc() { "$IBPACK" build inc.json -k key.key -o out/inc.run -q; }
cat_inputs() { cat "${inc_inputs[@]}" >out/cat.bin; } # the copy floor: the same bytes into one file
cat_sync() { cat "${inc_inputs[@]}" >out/cat.bin && sync --data out/cat.bin; }
stub_install() { # BUNDLE PACKAGE: the full install path (detection, verify, extract, run, record)
	# --reinstall: a repeated install would otherwise be already_installed, which runs nothing.
	"$1" --package "$2" --sysroot "$WORK/root" --tmpdir "$WORK/tmp" --log-file "$WORK/out/log" --quiet --reinstall
}
i_ibpack() { stub_install out/b.run "$one"; }
i_ms() { out/ms.run --nox11 --quiet; } # makeself: extract everything to a temp dir, run, delete
l_ibpack() { out/b.run --list; }
d_ibpack() { out/b.run --detect --sysroot "$WORK/root" --nic cx6; }
l_ms() { out/ms.run --list; }
v_ibpack() { "$IBPACK" verify out/b.run --trust key.pub -q; }
v_sha_in() { find data -type f ! -path 'data/many/*' -print0 | sort -z | xargs -0 sha256sum; }
v_sha_bundle() { sha256sum out/b.run; }

echo "bench: timing (median of $RUNS runs, $FAST_RUNS for commands under a second)"
# (Command substitutions, so that a failing command stops the bench under set -e.)
res=$(measure "$RUNS" clean_builds build_ibpack build_ms_nocomp)
read -r t_build t_ms_nocomp r_nocomp <<<"$res"
# (No target on this row, and makeself's gzip build is the slowest command here: 3 runs do.)
res=$(measure "$(((RUNS + 1) / 2))" clean_builds build_ibpack build_ms_gzip)
read -r _ t_ms_gzip r_gzip <<<"$res"
res=$(measure "$RUNS" cold_builds build_ibpack build_ms_nocomp)
read -r t_cbuild t_cms r_cold <<<"$res"
res=$(measure "$RUNS" clean_cat build_inc cat_inputs)
read -r t_bcat t_cat r_cat <<<"$res"
res=$(measure "$RUNS" clean_cat build_inc cat_sync)
read -r t_bcs t_cs r_cs <<<"$res"
rm -f out/cat.bin out/inc.run
# The hashing floor of a build: every stored byte goes through three SHA-256 streams (its file's
# hash for the signed file list, its chunk's hash, its blob's hash), at OpenSSL's one-core speed,
# over every core at once; nothing else counted.
sha_bps=$(openssl speed -evp sha256 -bytes 1048576 -seconds 1 2>/dev/null | awk '/^sha256/ {sub(/k$/, "", $2); printf "%.0f", $2 * 1000}')
inc_bytes=$(cat "${inc_inputs[@]}" | wc -c)
clean_builds && build_ibpack && build_ms_nocomp # leave both bundles for what follows
res=$(measure "$RUNS" clean_x x_ibpack x_ms)
read -r t_x t_xms r_xms <<<"$res"
res=$(measure "$FAST_RUNS" clean_x x_ibpack x_tar)
read -r _ t_xtar r_xtar <<<"$res"
res=$(measure "$FAST_RUNS" clean_x x_serial x_tar)
read -r t_xser _ r_xser <<<"$res"
# Install against tar -x: detect, verify the stub hash, extract, run a no-op installer, record.
clean_it() { rm -rf out/xt; warm out/b.run out/one.tar; }
res=$(measure "$FAST_RUNS" clean_it i_ibpack x_tar)
read -r t_itar _ r_itar <<<"$res"
res=$(measure "$RUNS" warm_bundles i_ibpack i_ms)
read -r t_i t_ims r_ims <<<"$res"
res=$(measure "$RUNS" warm_bundles l_ibpack l_ms)
read -r _ t_lms _ <<<"$res"
t_list=$(time1 "$FAST_RUNS" l_ibpack)
t_detect=$(time1 "$FAST_RUNS" d_ibpack)
r_list=$(awk -v a="$t_list" -v b="$t_lms" 'BEGIN {printf "%.6f", (a > 0 ? b / a : 0)}')
r_detect=$(awk -v a="$t_detect" -v b="$t_lms" 'BEGIN {printf "%.6f", (a > 0 ? b / a : 0)}')
res=$(measure "$RUNS" warm_verify v_ibpack v_sha_in)
read -r t_verify t_sha r_sha <<<"$res"
res=$(measure "$RUNS" warm_verify v_ibpack v_sha_bundle)
read -r _ t_shab r_shab <<<"$res"

# ---- shared-storage fan-out: what a node reads from the bundle file ----
# Bytes read from storage (read_bytes of /proc/PID/io, children included) with the bundle's pages
# evicted first, as on a node that never read it. N installs of different packages at once from
# one file is a cluster rollout from NFS/Lustre; on this one machine they share a page cache, so
# the total is what the storage served to all of them together.
evict() { local f; for f in "$@"; do dd if="$f" iflag=nocache count=0 status=none; done; }
# io_bytes CMD...: runs CMD (a function too) in a subshell; prints that subshell's read_bytes,
# which include those of every child it has waited for.
io_bytes() { ("$@" >/dev/null 2>&1; awk '/^read_bytes/ {print $2}' "/proc/$BASHPID/io"); }
mapfile -t fan_pkgs < <(cd data && ls -d p* | head -n "$FAN")
for i in "${fan_pkgs[@]}"; do mkdir -p "fan/$i/etc" && cp root/etc/os-release "fan/$i/etc/"; done
fan_ibpack() { # FAN installs of different packages at once, each its own machine (state, lock)
	local i pids=() rc=0
	for i in "${fan_pkgs[@]}"; do
		IBPACK_STATE_DIR=$WORK/fan/$i/state out/b.run --package "$i" --sysroot "$WORK/fan/$i" \
			--tmpdir "$WORK/tmp" --log-file "$WORK/fan/log" --quiet --reinstall &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	return $rc
}
fan_ms() { # the same with makeself: each run extracts everything, then runs its script
	local i pids=() rc=0
	for i in $(seq "$FAN"); do
		out/ms.run --nox11 --quiet &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	return $rc
}
evict_bundles() { sync; evict out/b.run out/ms.run; }
evict_bundles && io_one=$(io_bytes i_ibpack)
evict_bundles && io_one_ms=$(io_bytes i_ms)
evict_bundles && io_fan=$(io_bytes fan_ibpack)
evict_bundles && io_fan_ms=$(io_bytes fan_ms)
res=$(measure "$RUNS" evict_bundles fan_ibpack fan_ms)
read -r t_fan t_fan_ms r_fan <<<"$res"
one_pkg=$(($(stat -c %s "data/$one/payload.bin") >> 20))

# ---- BENCH_SCALE=1: a 10 GiB bundle of SCALE_PKGS x SCALE_MIB MiB packages ----
scale_run() {
	local i sep=""
	echo "bench: BENCH_SCALE=1: generating $SCALE_PKGS x $SCALE_MIB MiB packages" >&2
	mkdir -p data/scale
	{
		echo '{ "name": "scale", "version": "1", "sequence": 1, "target": "linux-x86_64", "packages": ['
		for i in $(seq -f %02g 1 "$SCALE_PKGS"); do
			mkdir -p "data/scale/g$i"
			stream "$((200 + 10#$i))" "$((SCALE_MIB << 10))" >"data/scale/g$i/payload.bin"
			installer "data/scale/g$i"
			printf '%s%s\n' "$sep" "$(pkg_json "g$i" "data/scale/g$i" 'debian-*')"
			sep=,
		done
		echo '] }'
	} >scale.json
	tar -C data/scale -cf out/g01.tar g01
	ginputs=(data/scale/g*/*)
	clean_g() { rm -f out/s10g.run out/gcat.bin; sync; warm "${ginputs[@]}"; }
	build_g() { "$IBPACK" build scale.json -k key.key -o out/s10g.run -q; }
	cat_g() { cat "${ginputs[@]}" >out/gcat.bin; }
	cat_gs() { cat "${ginputs[@]}" >out/gcat.bin && sync --data out/gcat.bin; }
	warm_gv() { warm out/s10g.run; }
	verify_g() { "$IBPACK" verify out/s10g.run --trust key.pub -q; }
	sha_g() { sha256sum out/s10g.run; }
	clean_gx() { rm -rf out/gx out/gt; warm out/s10g.run out/g01.tar; }
	x_g() { out/s10g.run --extract out/gx --package g01 --quiet; }
	tar_g() { mkdir out/gt && tar -C out/gt -xf out/g01.tar; }
	res=$(measure "$RUNS" clean_g build_g cat_g)
	read -r t_gb t_gc r_gb <<<"$res"
	res=$(measure "$RUNS" clean_g build_g cat_gs)
	read -r t_gbs t_gcs r_gbs <<<"$res"
	clean_g && build_g
	rm -f out/gcat.bin
	res=$(measure "$RUNS" warm_gv verify_g sha_g)
	read -r t_gv t_gs r_gv <<<"$res"
	res=$(measure "$FAST_RUNS" clean_gx x_g tar_g)
	read -r t_gx t_gt r_gx <<<"$res"
	rm -rf out/gx out/gt
	scale_bundles+=(s10g)
}

# ---- scaling and peak RSS: bundles of 1, 4, NPKG packages, the full one, the many one, the
# synthetic one (and the 10 GiB one) ----
for n in 1 4 "$NPKG"; do
	((n <= NPKG)) && spec "$n" 0 >"s$n.json" && "$IBPACK" build "s$n.json" -k key.key -o "out/s$n.run" -q
done
many_spec >many.json
"$IBPACK" build many.json -k key.key -o out/many.run -q
cp out/b.run out/full.run
# 20 packages, 1,000,008 chunk hashes, ~65 GB: a sparse file (the synthetic blobs are holes).
synth_spec >synth.json
"$IBPACK" build synth.json -k key.key -o out/seed.run -q
python3 "$REPO/tests/bench/synth_bundle.py" out/seed.run out/synth.run key 20 "$SYN_CHUNKS" >/dev/null
scale_bundles=(s1 s4 "s$NPKG" full many synth)
scaling=()
rss_max=0
[[ $SCALE == 1 ]] && scale_run
for name in $(printf '%s\n' "${scale_bundles[@]}" | uniq); do
	bundle=out/$name.run
	[[ -f $bundle ]] || continue
	"$IBPACK" manifest "$bundle" -o out/m.json >/dev/null
	read -r npk nch mlen < <(python3 -c 'import json, os, sys
m = json.load(open(sys.argv[1]))
cs = m["chunk_size"]
print(len(m["packages"]), sum((p["blob"]["length"] + cs - 1) // cs for p in m["packages"]), os.path.getsize(sys.argv[1]))' out/m.json)
	pkg=$first
	[[ $name == many ]] && pkg=m01
	[[ $name == synth ]] && pkg=real
	[[ $name == s10g ]] && pkg=g01
	tl=$(time1 "$FAST_RUNS" "$bundle" --list)
	td=$(time1 "$FAST_RUNS" "$bundle" --detect --sysroot "$WORK/root" --nic cx6)
	ti=$(time1 "$RUNS" stub_install "$bundle" "$pkg")
	rl=$(rss "$bundle" --list)
	rd=$(rss "$bundle" --detect --sysroot "$WORK/root" --nic cx6)
	ri=$(rss "$bundle" --package "$pkg" --sysroot "$WORK/root" --tmpdir "$WORK/tmp" --log-file "$WORK/out/log" --quiet --reinstall)
	rm -rf out/rx
	rx=$(rss "$bundle" --extract out/rx --package "$pkg" --quiet)
	rm -rf out/rx
	rv=0 # (--verify of the synthetic bundle would hash 65 GB of holes; the 10 GiB one is timed above)
	[[ $name == synth || $name == s10g ]] || rv=$(rss "$bundle" --verify --quiet)
	for r in "$rl" "$rd" "$ri" "$rx" "$rv"; do ((r > rss_max)) && rss_max=$r; done
	scaling+=("$(awk -v n="$name" -v p="$npk" -v c="$nch" -v m="$mlen" -v tl="$tl" -v td="$td" -v ti="$ti" \
		-v rl="$rl" -v rd="$rd" -v ri="$ri" -v rx="$rx" -v rv="$rv" -v g="$(stat -c %s "$bundle")" 'BEGIN {
		printf "%-6s %5d %8.2f %8d %9d %9.1f %9.1f %10.1f   %6.1f %6.1f %7.1f %7.1f %6.1f", n, p, g / 1073741824,
			c, m / 1024, tl * 1000, td * 1000, ti * 1000, rl / 1024, rd / 1024, ri / 1024, rx / 1024, rv / 1024 }')")
done

# ---- report ----
verdict() { # RATIO MIN: "met" when RATIO >= MIN
	awk -v r="$1" -v m="$2" -v q="$QUICK" 'BEGIN {print q == 1 ? "(quick run: not judged)" : (r >= m ? "met" : "NOT MET")}'
}
below() { # SECONDS LIMIT
	awk -v t="$1" -v m="$2" -v q="$QUICK" 'BEGIN {print q == 1 ? "(quick run: not judged)" : (t < m ? "met" : "NOT MET")}'
}
row() { # LABEL IBPACK OTHER RATIO TARGET VERDICT
	printf '%-50s %9.4f s %9.4f s %8.2fx  %-24s %s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}
size=$(($(stat -c %s out/b.run) >> 20))
echo
echo "ibpack $(cat "$REPO/VERSION" 2>/dev/null || echo '?') bench: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tools: $(makeself --version 2>/dev/null | head -1), $(tar --version | head -1), $(openssl version | cut -d' ' -f1-2), $(sha256sum --version | head -1)"
echo "data: $NPKG x $PKG_MIB MiB incompressible + $BIG_MIB MiB text; bundle $size MiB; extracted/installed package: $one"
echo "method: warm page cache (inputs read before each run; cold: evicted), commands alternated, median of $RUNS runs ($FAST_RUNS for --list/--detect/tar -x; $(((RUNS + 1) / 2)) for gzip); ratio = median of other/ibpack per run"
echo
printf '%-50s %11s %11s %9s  %-24s %s\n' "comparison" "ibpack" "other" "ratio" "target" "verdict"
row "build vs makeself --nocomp --sha256" "$t_build" "$t_ms_nocomp" "$r_nocomp" ">= 8x" "$(verdict "$r_nocomp" 8)"
row "build vs makeself (gzip)" "$t_build" "$t_ms_gzip" "$r_gzip" "-" "-"
row "build (incompressible) vs cat into one file" "$t_bcat" "$t_cat" "$r_cat" ">= 0.87x (within 1.15x)" "$(verdict "$r_cat" 0.8696)"
row "build (incompressible) vs cat + sync --data" "$t_bcat" "$t_cs" "$r_cs" "-" "-"
row "build, cold inputs, vs makeself --nocomp --sha256" "$t_cbuild" "$t_cms" "$r_cold" "-" "-"
row "extract one package vs makeself extraction" "$t_x" "$t_xms" "$r_xms" ">= 30x" "$(verdict "$r_xms" 30)"
row "extract one package vs tar -x of that package" "$t_x" "$t_xtar" "$r_xtar" ">= 1x (no slower)" "$(verdict "$r_xtar" 1)"
row "extract, read-ahead off, vs tar -x" "$t_xser" "$t_xtar" "$r_xser" "-" "-"
row "install one package vs tar -x of that package" "$t_itar" "$t_xtar" "$r_itar" ">= 0.83x (within 1.2x)" "$(verdict "$r_itar" 0.8333)"
row "install one package vs makeself run" "$t_i" "$t_ims" "$r_ims" ">= 30x" "$(verdict "$r_ims" 30)"
row "--list vs makeself --list" "$t_list" "$t_lms" "$r_list" "ibpack < 20 ms" "$(below "$t_list" 0.020)"
row "--detect vs makeself --list" "$t_detect" "$t_lms" "$r_detect" "ibpack < 20 ms" "$(below "$t_detect" 0.020)"
row "verify vs sha256sum of the inputs" "$t_verify" "$t_sha" "$r_sha" ">= 1x" "$(verdict "$r_sha" 1)"
row "verify vs sha256sum of the bundle (same bytes)" "$t_verify" "$t_shab" "$r_shab" ">= 1x" "$(verdict "$r_shab" 1)"
row "$FAN concurrent installs (cold) vs $FAN makeself runs" "$t_fan" "$t_fan_ms" "$r_fan" "-" "-"
if [[ $SCALE == 1 ]]; then
	row "scale bundle: build vs cat of the inputs" "$t_gb" "$t_gc" "$r_gb" ">= 0.87x (within 1.15x)" "$(verdict "$r_gb" 0.8696)"
	row "scale bundle: build vs cat + sync --data" "$t_gbs" "$t_gcs" "$r_gbs" "-" "-"
	row "scale bundle: verify vs sha256sum of the bundle" "$t_gv" "$t_gs" "$r_gv" ">= 1x" "$(verdict "$r_gv" 1)"
	row "scale bundle: extract one package vs tar -x" "$t_gx" "$t_gt" "$r_gx" ">= 1x (no slower)" "$(verdict "$r_gx" 1)"
fi
echo
awk -v b="$inc_bytes" -v s="$sha_bps" -v n="$(nproc)" -v c="$t_cat" 'BEGIN {
	if (s > 0) printf "build hashing floor (incompressible packages): 3 SHA-256 streams x %.0f MiB at %.2f GB/s per core on %d cores = %.3f s; 1.15 x cat = %.3f s\n", b / 1048576, s / 1e9, n, 3 * b / (s * n), 1.15 * c }'
echo
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "storage reads (cold cache, read_bytes): one install of $one ($one_pkg MiB package, $size MiB bundle):" \
	"ibpack $(mib "$io_one"), makeself $(mib "$io_one_ms");" \
	"$FAN concurrent installs of different packages: ibpack $(mib "$io_fan"), makeself $(mib "$io_fan_ms")"
echo
echo "stub peak RSS, largest over every bundle below and --list/--detect/install/--extract/--verify:" \
	"$((rss_max / 1024)) MiB (target < 32 MiB): $(awk -v r="$rss_max" -v q="$QUICK" 'BEGIN {print q == 1 ? "(quick run: not judged)" : (r < 32768 ? "met" : "NOT MET")}')"
echo
echo "scaling: times in ms (median), peak RSS in MiB; install = --package (detect, verify, extract, run);" \
	"synth: sparse, 19 synthetic packages + 1 real one installed (verify not run: 0)"
printf '%-6s %5s %8s %8s %9s %9s %9s %10s   %6s %6s %7s %7s %6s\n' bundle pkgs GiB chunks "manif KiB" "list ms" \
	"detect ms" "install ms" "RSS:ls" detect install extract verify
printf '%s\n' "${scaling[@]}"
