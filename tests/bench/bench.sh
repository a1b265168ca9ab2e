#!/usr/bin/env bash
# make bench: ibpack against makeself and tar on the same data, same machine, same run.
# Prints the median of each timing, the ratios the performance targets are stated in, the stub's
# peak RSS and a scaling table. BENCH_QUICK=1 uses a tiny data set and one run (CI proves it works).
#   usage: bench.sh IBPACK_BUILD_DIR [WORKDIR]
set -euo pipefail

B=$(cd "$1" && pwd)
IBPACK=$B/bin/ibpack
WORK=${2:-$B/bench}
QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
	NPKG=3 PKG_MIB=4 BIG_MIB=8 RUNS=1
else
	NPKG=12 PKG_MIB=64 BIG_MIB=256 RUNS=${BENCH_RUNS:-5}
fi
command -v makeself >/dev/null || { echo "bench: makeself is missing (apt-get install makeself)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench: GNU time is missing (apt-get install time)" >&2; exit 1; }

rm -rf "$WORK" && mkdir -p "$WORK/data" "$WORK/out"
cd "$WORK"

# ---- reproducible data: AES-CTR keystream (incompressible) and generated text (compressible) ----
stream() { # $1 = seed, $2 = MiB
	head -c "$(($2 << 20))" /dev/zero |
		openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$1")" -iv 0 2>/dev/null
}
echo "bench: generating $NPKG x $PKG_MIB MiB incompressible packages + one $BIG_MIB MiB compressible package"
for i in $(seq -w 1 "$NPKG"); do
	mkdir -p "data/p$i"
	stream "$((10#$i))" "$PKG_MIB" >"data/p$i/payload.bin"
	printf '#!/bin/sh\nexit 0\n' >"data/p$i/install.sh"
	chmod +x "data/p$i/install.sh"
done
mkdir -p data/text
seq 1 $((BIG_MIB * 1024 * 1024 / 48)) | awk '{printf "line %09d of a generated, compressible log file\n", $1}' >data/text/log.txt
printf '#!/bin/sh\nexit 0\n' >data/text/install.sh && chmod +x data/text/install.sh

spec() { # $1 = number of incompressible packages, $2 = include text package (1/0)
	{
		echo '{ "name": "bench", "version": "1", "sequence": 1, "target": "linux-x86_64", "packages": ['
		local sep=""
		for i in $(seq -w 1 "$NPKG" | head -n "$1"); do
			printf '%s{ "id": "p%s", "name": "P", "version": "1", "source": "data/p%s", "match": { "os": ["debian-*"], "nic": ["cx6"] }, "install": { "command": ["./install.sh"] } }\n' "$sep" "$i" "$i"
			sep=","
		done
		if [[ $2 == 1 ]]; then
			printf '%s{ "id": "text", "name": "T", "version": "1", "source": "data/text", "match": { "os": ["ubuntu-*"], "nic": ["cx6"] }, "install": { "command": ["./install.sh"] } }\n' "$sep"
		fi
		echo '] }'
	}
}
spec "$NPKG" 1 >full.json
"$IBPACK" keygen -o key >/dev/null
mkdir -p ms-src && for d in data/p* data/text; do ln -s "$PWD/$d" "ms-src/${d#data/}"; done

# ---- timing helpers ----
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
timeit() { # runs "$@" RUNS times (after a warm-up), prints the median wall time in seconds
	local t=()
	"$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; exit 1; }
	for _ in $(seq "$RUNS"); do
		local s e
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		t+=("$(awk -v a="$s" -v b="$e" 'BEGIN {printf "%.6f", b - a}')")
	done
	printf '%s\n' "${t[@]}" | median
}
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 && a > 0) ? b / a : 0}'; }
row() { printf '%-52s %9.4f s %9.4f s %8sx  %s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$4"; }

build_ibpack() { "$IBPACK" build full.json -k key.key -o out/b.run -q; }
build_ms_nocomp() { rm -f out/ms.run; makeself --nocomp --sha256 --quiet --follow ms-src out/ms.run bench ./p01/install.sh; }
build_ms_gzip() { rm -f out/msgz.run; makeself --sha256 --quiet --follow ms-src out/msgz.run bench ./p01/install.sh; }

t_build=$(timeit build_ibpack)
t_ms_nocomp=$(timeit build_ms_nocomp)
t_ms_gzip=$(timeit build_ms_gzip)

one=$(cd data && ls -d p* | sed -n "$((NPKG / 2 + 1))p")
tar -C data -cf out/one.tar "$one"
x_ibpack() { rm -rf out/x && out/b.run --extract out/x --package "$one" --quiet; }
x_ms() { rm -rf out/xm && out/ms.run --noexec --nox11 --quiet --target out/xm >/dev/null; }
x_tar() { rm -rf out/xt && mkdir out/xt && tar -C out/xt -xf out/one.tar; }
t_x=$(timeit x_ibpack)
t_xms=$(timeit x_ms)
t_xtar=$(timeit x_tar)

l_ibpack() { out/b.run --list; }
d_ibpack() { IBPACK_SYSROOT=/nonexistent out/b.run --detect --os debian-12 --nic cx6; }
l_ms() { out/ms.run --list; }
t_list=$(timeit l_ibpack)
t_detect=$(timeit d_ibpack)
t_lms=$(timeit l_ms)

v_ibpack() { "$IBPACK" verify out/b.run -q; }
v_sha() { find data -type f -print0 | xargs -0 sha256sum; }
t_verify=$(timeit v_ibpack)
t_sha=$(timeit v_sha)

rss_x=$(rss out/b.run --extract out/rss --package "$one" --quiet); rm -rf out/rss
rss_v=$(rss out/b.run --verify --quiet)
rss_l=$(rss out/b.run --list)

size=$(du -m out/b.run | cut -f1)
echo
echo "ibpack $(cat "$B/../VERSION" 2>/dev/null || true) bench on $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "data: $NPKG x $PKG_MIB MiB incompressible + $BIG_MIB MiB text; bundle $size MiB; median of $RUNS runs (warm page cache)"
echo
printf '%-52s %11s %11s %9s  %s\n' "comparison (ratio = other / ibpack)" "ibpack" "other" "ratio" "target"
row "build vs makeself --nocomp --sha256" "$t_build" "$t_ms_nocomp" ">= 8x"
row "build vs makeself (gzip) --sha256" "$t_build" "$t_ms_gzip" "-"
row "extract one package vs makeself extraction" "$t_x" "$t_xms" ">= 30x"
row "extract one package vs tar -x of that package" "$t_x" "$t_xtar" ">= 0.67x (within 1.5x)"
row "--list vs makeself --list" "$t_list" "$t_lms" "ibpack < 20 ms"
row "--detect vs makeself --list" "$t_detect" "$t_lms" "ibpack < 20 ms"
row "ibpack verify vs sha256sum of the inputs" "$t_verify" "$t_sha" ">= 1x"
echo
echo "stub peak RSS: extract ${rss_x} KiB, verify ${rss_v} KiB, list ${rss_l} KiB (target < 32768 KiB)"
echo
echo "scaling (bundles of 1, 4 and $NPKG packages, one package installed):"
printf '%-10s %12s %16s\n' packages "list (s)" "install one (s)"
for n in 1 4 "$NPKG"; do
	((n <= NPKG)) || continue
	spec "$n" 0 >"s$n.json"
	"$IBPACK" build "s$n.json" -k key.key -o "out/s$n.run" -q
	tl=$(timeit out/s"$n".run --list)
	ti=$(timeit out/s"$n".run --package "$(cd data && ls -d p* | head -1)" --tmpdir "$WORK/out" --log-file "$WORK/out/log" --quiet)
	printf '%-10s %12.4f %16.4f\n' "$n" "$tl" "$ti"
done
