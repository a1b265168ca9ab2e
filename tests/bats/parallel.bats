#!/usr/bin/env bats
# ibpack build and ibpack verify on several threads (builder/pack_pool.c, builder/check_pool.c):
# the same bytes for any thread count and either copy path, the error of the first failing
# package in manifest order, cancellation of work no longer needed, nothing left behind.

load helpers

# mixed_spec: six packages covering every blob kind (zstd text, stored random data, gzip, a
# single-file source, sizes that differ so that threads finish out of order).
mixed_spec() {
	new_spec
	spec_pkg text ubuntu-22.04 cx6
	spec_pkg random ubuntu-22.04 cx5 source=pkgs/random
	spec_pkg gz ubuntu-20.04 cx6 compression=gzip
	spec_pkg file ubuntu-20.04 cx5 source=pkgs/single.bin command='["./single.bin"]'
	spec_pkg big rhel-8.6 cx6 source=pkgs/big compression=none
	spec_pkg small rhel-8.6 cx5
	write_spec spec.json
	mkdir -p pkgs/random pkgs/big
	head -c 3000000 /dev/urandom >pkgs/random/blob.bin
	head -c 700000 /dev/urandom >pkgs/single.bin
	head -c 6000000 /dev/urandom >pkgs/big/a.bin
	head -c 10000 /dev/urandom >pkgs/big/b.bin
	key k
}

@test "parallel packing gives the same bytes for 1, 2 and 5 threads and on the portable copy path" {
	mixed_spec
	export SOURCE_DATE_EPOCH=1700000000
	for j in 1 2 5; do
		IBPACK_JOBS=$j "$IBPACK" build spec.json -k k.key -o "b$j.run" -q
	done
	IBPACK_JOBS=3 IBPACK_PACK_PORTABLE=1 "$IBPACK" build spec.json -k k.key -o bp.run -q
	cmp b1.run b2.run
	cmp b1.run b5.run
	cmp b1.run bp.run
	run "$IBPACK" verify b5.run
	assert_status 0
	"$IBPACK" extract b5.run -o x -q
	diff -r pkgs/big x/big
	cmp pkgs/random/blob.bin x/random/blob.bin
	cmp pkgs/single.bin x/file/single.bin
	diff -r pkgs/gz x/gz
	# Blobs tile the payload in manifest order whatever order the threads finished in.
	"$IBPACK" manifest b5.run -o m.json
	run cat m.json
	json_assert "$output" \
		"[p['id'] for p in d['packages']] == ['text', 'random', 'gz', 'file', 'big', 'small']" \
		"all(a['blob']['offset'] + a['blob']['length'] == b['blob']['offset'] for a, b in zip(d['packages'], d['packages'][1:]))" \
		"d['packages'][0]['blob']['offset'] == d['stub']['size']"
}

@test "a parallel build reports the first failing package in manifest order, not the first to fail" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6 compression=none
	spec_pkg b ubuntu-22.04 cx5 source=pkgs/b.bin sha256="$(printf '%064d' 0)"
	spec_pkg c ubuntu-20.04 cx6
	spec_pkg d ubuntu-20.04 cx5 source=pkgs/d.bin sha256="$(printf '%064d' 0)"
	write_spec spec.json
	# Both pins are wrong, which shows only once a file is read: b after 24 MB, d at once. So
	# with several threads d's error is always recorded first.
	head -c 24000000 /dev/urandom >pkgs/b.bin
	printf 'y\n' >pkgs/d.bin
	key k
	for j in 1 2 4; do
		IBPACK_JOBS=$j run "$IBPACK" build spec.json -k k.key -o b.run
		assert_status 3
		assert_output "package 'b'" "not the pinned one"
		assert_not_contains "$output" "package 'd'" "cancelled"
		[[ ! -e b.run ]]
	done
}

@test "errors found while planning (before packing) also name the first failing package" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6 compression=none
	spec_pkg b ubuntu-22.04 cx5 source=pkgs/b compression=none
	spec_pkg c ubuntu-20.04 cx6
	spec_pkg d ubuntu-20.04 cx5 source=pkgs/d
	write_spec spec.json
	mkdir -p pkgs/b pkgs/d
	head -c 4000000 /dev/urandom >pkgs/b/a.bin
	printf 'x\n' >pkgs/b/z-setuid && chmod 4755 pkgs/b/z-setuid
	printf 'y\n' >pkgs/d/file && ln -s file pkgs/d/link
	key k
	for j in 1 4; do
		IBPACK_JOBS=$j run "$IBPACK" build spec.json -k k.key -o b.run
		assert_status 3
		assert_output "package 'b'" "setuid"
		assert_not_contains "$output" "package 'd'"
		[[ ! -e b.run ]]
	done
}

@test "once a package fails, packages after it that are still running are cancelled" {
	new_spec
	spec_pkg bad ubuntu-22.04 cx6 source=pkgs/bad.bin sha256="$(printf '%064d' 0)"
	spec_pkg huge ubuntu-22.04 cx5 source=pkgs/huge compression=none
	write_spec spec.json
	mkdir -p pkgs/huge
	printf 'x\n' >pkgs/bad.bin # its wrong pin shows only once packing has begun
	truncate -s 2G pkgs/huge/sparse.bin # reads as zeros, costs no disk
	key k
	# Count what the huge package's thread read: far less than 2 GiB when it was cancelled.
	# (LeakSanitizer cannot run under ptrace: off for sanitizer builds.)
	IBPACK_JOBS=2 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		run strace -f -o trace -e trace=read -e signal=none "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'bad'" "not the pinned one"
	read_bytes=$(awk '/read\(/ && $NF ~ /^[0-9]+$/ {s += $NF} END {printf "%d", s}' trace)
	((read_bytes < 1073741824)) || { echo "read $read_bytes bytes: the huge package was not cancelled"; false; }
}

@test "a source that changes between planning and packing still gives a valid bundle" {
	new_spec
	spec_pkg grow ubuntu-22.04 cx6 source=pkgs/grow compression=none
	spec_pkg after ubuntu-22.04 cx5 source=pkgs/after compression=none
	write_spec spec.json
	mkdir -p pkgs/grow pkgs/after
	head -c 8000000 /dev/urandom >pkgs/after/data.bin
	printf 'start\n' >pkgs/grow/log
	key k
	# The log grows all the time, so its size when the blob layout is planned is never its size
	# when it is packed: the planned offset of 'after' is wrong and must not be used.
	(while :; do echo "0123456789 appended line" >>pkgs/grow/log; done) &
	appender=$!
	IBPACK_JOBS=2 run "$IBPACK" build spec.json -k k.key -o b.run
	kill "$appender"
	wait "$appender" 2>/dev/null || true
	assert_status 0
	run "$IBPACK" verify b.run
	assert_status 0
	"$IBPACK" extract b.run -o x -q --package after
	cmp pkgs/after/data.bin x/after/data.bin
}

@test "a failed parallel build leaves no temporary file on either temp file path" {
	mixed_spec
	printf 'x\n' >pkgs/big/z && chmod 2755 pkgs/big/z
	for portable in 0 1; do
		mkdir -p o
		IBPACK_JOBS=4 IBPACK_PACK_PORTABLE=$portable run "$IBPACK" build spec.json -k k.key -o o/b.run
		assert_status 3
		assert_output "package 'big'" "setgid"
		dir_empty o
	done
}

@test "IBPACK_JOBS must be a number of threads from 1 to 256" {
	mixed_spec
	for bad in 0 257 two -1 3x; do
		IBPACK_JOBS=$bad run "$IBPACK" build spec.json -k k.key -o b.run
		assert_status 1
		assert_output "IBPACK_JOBS='$bad'" "1 to 256"
		[[ ! -e b.run ]]
	done
	IBPACK_JOBS=256 run "$IBPACK" build spec.json -k k.key -o b.run -q
	assert_status 0
}

@test "a parallel verify reports every bad package and, first, the first bad region in bundle order" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_cx3 + 100))
	flip b.run $((PKG_OFF_nd_driver + PKG_LEN_nd_driver - 1))
	for j in 1 3; do
		IBPACK_JOBS=$j run --separate-stderr "$IBPACK" verify b.run --json
		assert_status 2
		json_assert "$output" \
			"[p['valid'] for p in d['packages']] == [True, False, True, False]" \
			"\"package 'ofed-cx3'\" in d['failure'] and 'chunk 0' in d['failure']"
	done
	# With progress this thread only draws and the others check: the same findings.
	for j in 1 3; do
		IBPACK_JOBS=$j run --separate-stderr "$IBPACK" verify b.run --progress
		assert_status 2
		assert_stderr "verifying" "100%" "package 'ofed-cx3'" "chunk 0"
	done
	# A bad stub comes first in the report whichever thread finished first.
	flip b.run 5000
	IBPACK_JOBS=3 run --separate-stderr "$IBPACK" verify b.run --json
	assert_status 2
	json_assert "$output" "d['failure'].startswith('stub:')" \
		"[p['valid'] for p in d['packages']] == [True, False, True, False]"
}

@test "stored blobs are written in place: their planned lengths hold for long names and odd sizes" {
	new_spec
	spec_pkg tree ubuntu-22.04 cx6 source=pkgs/tree compression=none
	spec_pkg last ubuntu-22.04 cx5 source=pkgs/last compression=none
	write_spec spec.json
	long=$(printf 'd%.0s' $(seq 120))
	mkdir -p "pkgs/tree/$long/$(printf 'e%.0s' $(seq 90))" pkgs/tree/empty pkgs/last
	for size in 0 1 511 512 513 1048575 1048576 1049088; do
		head -c "$size" /dev/urandom >"pkgs/tree/$long/f$size"
	done
	head -c 777 /dev/urandom >"pkgs/tree/$long/$(printf 'e%.0s' $(seq 90))/$(printf 'n%.0s' $(seq 99)).bin"
	printf 'x\n' >"pkgs/tree/$(printf 'p%.0s' $(seq 150))"
	head -c 3000 /dev/urandom >pkgs/last/data
	key k
	# A wrong plan would be caught and the payload packed again after trimming the bundle back
	# to the stub (an ftruncate): there must be none, and every blob is written at its place.
	IBPACK_JOBS=2 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		run strace -f -o trace -e trace=ftruncate,copy_file_range "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 0
	run grep -cE 'ftruncate|copy_file_range' trace
	[[ $output == 0 ]] || { grep -E 'ftruncate|copy_file_range' trace; false; }
	run "$IBPACK" verify b.run
	assert_status 0
	"$IBPACK" extract b.run -o x -q
	diff -r pkgs/tree x/tree
}
