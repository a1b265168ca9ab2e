#!/usr/bin/env bash
# How the zstd level for compressed packages was chosen: compression ratio and single-thread
# compression/decompression speed per level (zstd's own benchmark, the same libzstd ibpack links)
# on three kinds of package content: generated text (logs, docs), the InfiniBand user space of
# Debian 12 (the shipped bundle's .debs unpacked: libraries, tools, man pages) and a tree of
# shared libraries (like an unpacked driver distribution). Vendor archives (.tgz, .exe, .rpm) are
# already compressed and are stored, not recompressed, so they do not enter the choice.
#   usage: zstd-levels.sh [WORKDIR]     (LEVELS="1 2 3 ..." to change the levels measured)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:-$REPO/build/zstd-levels}
LEVELS=${LEVELS:-"1 2 3 4 5 6 7 9 12 19"}
command -v zstd >/dev/null || { echo "zstd-levels: the zstd program is missing (apt-get install zstd)" >&2; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK/rdma"
cd "$WORK"

seq 1 $((64 * 1024 * 1024 / 48)) | awk '{printf "line %09d of a generated, compressible log file\n", $1}' >text.txt
inputs=(text.txt)
debs=("$REPO"/bundles/vendor/debian-rdma-core/*.deb)
if [[ -f ${debs[0]} ]] && command -v dpkg-deb >/dev/null; then
	for d in "${debs[@]}"; do dpkg-deb -x "$d" rdma; done
	tar -C rdma --sort=name --mtime=@0 --owner=0 --group=0 -cf rdma-userspace.tar .
	inputs+=(rdma-userspace.tar)
else
	echo "zstd-levels: no unpacked rdma-core sample (run 'make bundle' once to fetch the .debs)" >&2
fi
# Up to 128 MiB of the machine's shared libraries, none larger than 16 MiB, in name order.
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -type f -name '*.so*' -size -16M -print0 | sort -z |
	xargs -0 ls -l | awk '{t += $5; if (t <= 134217728) print $NF}' >libs.list
tar --sort=name --mtime=@0 --owner=0 --group=0 -cf libs.tar -T libs.list 2>/dev/null
inputs+=(libs.tar)

echo "zstd $(zstd -V | grep -oE 'v[0-9.]+'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %6s %10s %8s %12s %12s\n' input level "size MiB" ratio "comp MB/s" "decomp MB/s"
for f in "${inputs[@]}"; do
	for l in $LEVELS; do
		# zstd -b redraws its progress line with carriage returns; the last one with two speeds
		# is the result: "... : <in> -> <out> (x<ratio>), <comp> MB/s, <decomp> MB/s"
		zstd -b"$l" -i2 "$f" 2>&1 | tr '\r' '\n' | grep -E 'MB/s,.*MB/s' | tail -1 |
			awk -v f="$f" -v l="$l" '{
				for (i = 1; i <= NF; i++) {
					if ($i == "->") out = $(i + 1)
					if ($i ~ /^\(x/) { r = $i; gsub(/[(x),]/, "", r) }
					if ($i ~ /MB\/s/) s[++n] = $(i - 1)
				}
				printf "%-22s %6d %10.1f %8.2f %12.0f %12.0f\n", f, l, out / 1048576, r, s[1], s[2]
			}'
	done
done
