#!/usr/bin/env bats
# Bundles at real size: verified read-ahead (a helper thread hashes the next chunks while the
# current one is unpacked), bundles above 4 GiB on Linux, and the refusal of Windows bundles
# that Authenticode could not sign.

load helpers

WSTUB=$IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe

# random_pkg DIR MIB: a package of incompressible data (stored) with a no-op installer.
random_pkg() {
	mkdir -p "$1"
	head -c "$(($2 << 20))" /dev/urandom >"$1/data.bin"
	printf '#!/bin/sh\necho "installer ran in $(pwd)"\nexit 0\n' >"$1/install.sh"
	chmod 755 "$1/install.sh"
}

# blob_field BUNDLE ID FIELD: the package's blob offset or length, from the exported manifest.
blob_field() {
	"$IBPACK" manifest "$1" -o "$WORK/.m.json" >/dev/null &&
		py -c 'import json, sys
m = json.load(open(sys.argv[1]))
print([p for p in m["packages"] if p["id"] == sys.argv[2]][0]["blob"][sys.argv[3]])' "$WORK/.m.json" "$2" "$3"
}

@test "read-ahead: extraction gives the same files with and without the helper thread" {
	new_spec
	random_pkg pkgs/rnd 5
	spec_pkg rnd debian-12 cx6 source=pkgs/rnd compression=none command='["./install.sh"]'
	spec_pkg small debian-12 cx5 compression=zstd
	write_spec spec.json
	build_bundle
	./b.run --extract x1 --package rnd --quiet
	IBPACK_READAHEAD=0 ./b.run --extract x0 --package rnd --quiet
	cmp pkgs/rnd/data.bin x1/rnd/data.bin
	cmp pkgs/rnd/data.bin x0/rnd/data.bin
	"$IBPACK" extract b.run -o y --package small -q
	diff -r pkgs/small y/small
}

@test "read-ahead: a damaged chunk in the middle stops extraction at that chunk, nothing left" {
	new_spec
	random_pkg pkgs/rnd 6
	spec_pkg rnd debian-12 cx6 source=pkgs/rnd compression=none command='["./install.sh"]'
	write_spec spec.json
	build_bundle
	off=$(blob_field b.run rnd offset)
	# chunk 3 of 7 (1 MiB chunks): the helper has read chunks 0-2 ahead by then
	flip b.run $((off + 3 * 1048576 + 100))
	for ra in 1 0; do
		run --separate-stderr env IBPACK_READAHEAD=$ra ./b.run --extract "x$ra" --package rnd
		assert_status 2
		assert_stderr "package 'rnd': chunk 3" "does not match the signed manifest"
		[[ ! -e x$ra/rnd ]]
	done
	run --separate-stderr "$IBPACK" verify b.run
	assert_status 2
	assert_stderr "package 'rnd'" "chunk 3"
}

@test "read-ahead: a damaged first or last chunk is refused too" {
	new_spec
	random_pkg pkgs/rnd 3
	spec_pkg rnd debian-12 cx6 source=pkgs/rnd compression=none command='["./install.sh"]'
	write_spec spec.json
	build_bundle
	cp b.run good.run
	off=$(blob_field b.run rnd offset)
	len=$(blob_field b.run rnd length)
	flip b.run $((off + 10))
	run --separate-stderr ./b.run --extract x --package rnd
	assert_status 2
	assert_stderr "chunk 0"
	cp good.run b.run
	flip b.run $((off + len - 1))
	run --separate-stderr ./b.run --extract x --package rnd
	assert_status 2
	assert_stderr "chunk 3"
	[[ ! -e x/rnd ]]
}

@test "chunk tables: the manifest has no chunk list, whatever the blob size" {
	new_spec
	random_pkg pkgs/rnd 6
	spec_pkg rnd debian-12 cx6 source=pkgs/rnd compression=none command='["./install.sh"]'
	spec_pkg small debian-12 cx5
	write_spec spec.json
	build_bundle
	# the same packages at 64 KiB chunks: 16 times the chunk hashes, the same manifest size
	sed 's/"packages"/"chunk_size": 65536, "packages"/' spec.json >small-chunks.json
	build_bundle small-chunks.json c.run
	"$IBPACK" manifest b.run -o m.json
	"$IBPACK" manifest c.run -o mc.json
	a=$(stat -c %s m.json) b=$(stat -c %s mc.json)
	((a - b < 16 && b - a < 16)) # (only the digits of numbers differ)
	py - m.json mc.json <<'PY'
import json, sys
for f, cs in ((sys.argv[1], 1 << 20), (sys.argv[2], 1 << 16)):
    m = json.load(open(f))
    end = max(p["blob"]["offset"] + p["blob"]["length"] for p in m["packages"])
    for p in m["packages"]:
        b = p["blob"]
        assert "chunks" not in b, b
        assert b["chunk_table"]["offset"] == end, (b, end)  # tables follow the blobs, in order
        end += 32 * ((b["length"] + cs - 1) // cs)
PY
	"$IBPACK" verify c.run -q
	./c.run --extract x --package rnd --quiet
	cmp pkgs/rnd/data.bin x/rnd/data.bin
}

@test "chunk tables: a damaged table stops its package only, and --list never reads it" {
	new_spec
	random_pkg pkgs/rnd 3
	spec_pkg rnd debian-12 cx6 source=pkgs/rnd compression=none command='["./install.sh"]'
	spec_pkg small debian-12 cx5
	write_spec spec.json
	build_bundle
	"$IBPACK" manifest b.run -o m.json
	toff=$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["packages"][0]["blob"]["chunk_table"]["offset"])' m.json)
	flip b.run $((toff + 40))
	run --separate-stderr ./b.run --list
	assert_status 0
	./b.run --extract y --package small --quiet
	diff -r pkgs/small y/small
	run --separate-stderr ./b.run --extract x --package rnd
	assert_status 2
	assert_stderr "package 'rnd': its chunk table" "does not match the signed manifest"
	[[ ! -e x/rnd ]]
	run --separate-stderr "$IBPACK" verify b.run
	assert_status 2
	assert_stderr "chunk table"
}

@test "a bundle above 4 GiB builds, verifies, lists, extracts and installs on Linux" {
	e2e_only
	free=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
	((free > 7 * 1024 * 1024)) || skip "needs 7 GiB free in $WORK for a 4.1 GiB bundle ($((free >> 20)) GiB free)"
	new_spec
	# A sparse file, stored: the build reads zeros from no disk and compresses nothing.
	mkdir -p pkgs/huge
	truncate -s 4200M pkgs/huge/zeros.img
	printf '#!/bin/sh\nexit 0\n' >pkgs/huge/install.sh
	chmod 755 pkgs/huge/install.sh
	spec_pkg huge debian-12 cx6 source=pkgs/huge compression=none command='["./install.sh"]'
	spec_pkg after debian-12 cx5
	write_spec spec.json
	build_bundle
	size=$(stat -c %s b.run)
	((size > 4200 * 1048576))
	# The second package starts beyond 4 GiB: every offset on its path is 64-bit.
	off=$(blob_field b.run after offset)
	((off > 4294967296))
	run --separate-stderr "$IBPACK" verify b.run
	assert_status 0
	run --separate-stderr ./b.run --list
	assert_status 0
	assert_output "huge" "after"
	./b.run --extract x --package after --quiet
	diff -r pkgs/after x/after
	sysroot root cx6-vf --os debian 12
	run --separate-stderr stub ./b.run --sysroot root --os debian-12 --package after --json
	assert_status 0
	json_assert "$output" "d['selection']['package'] == 'after'"
	assert_contains "$(cat "$OUT/after.args")" "--from"
	rm -f b.run pkgs/huge/zeros.img
}

@test "a Windows bundle that would reach 4 GiB is refused at build time, before packing" {
	[[ -f $WSTUB ]] || skip "the Windows stub is not built (make stub-windows)"
	new_spec
	mkdir -p pkgs/huge
	truncate -s 4100M pkgs/huge/zeros.img
	spec_pkg huge windows-* cx6 source=pkgs/huge compression=none command='["setup.exe"]'
	write_spec spec.json
	sed -i 's/"linux-x86_64"/"windows-x86_64"/' spec.json
	key k
	SECONDS=0
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o w.exe --stub "$WSTUB"
	assert_status 3
	assert_stderr "Windows bundle must end below 4 GiB" "Authenticode" "32-bit"
	# Refused from the plan (a stored blob's length is known before packing): nothing was read.
	((SECONDS < 20))
	[[ ! -e w.exe ]]
	[[ -z $(find . -maxdepth 1 -name 'w.exe.tmp.*') ]]
}
