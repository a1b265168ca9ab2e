#!/usr/bin/env bats
# ibpack keygen and ibpack build.

load helpers

# ---- keygen ---------------------------------------------------------------------------------------

@test "keygen writes NAME.key (0600) and NAME.pub and prints the SPKI SHA-256 key id" {
	run "$IBPACK" keygen -o signer
	assert_status 0
	[[ -f signer.key && -f signer.pub ]]
	[[ $(file_mode signer.key) == 600 ]]
	grep -q -- '-----BEGIN PUBLIC KEY-----' signer.pub
	! grep -q PRIVATE signer.pub
	openssl pkey -in signer.key -noout
	id=$(key_id signer)
	assert_output "$id" "signer.key" "signer.pub"
}

@test "keygen refuses to overwrite an existing key and leaves it unchanged" {
	"$IBPACK" keygen -o signer >/dev/null
	before=$(sha256sum signer.key signer.pub)
	run "$IBPACK" keygen -o signer
	[[ $status -ne 0 ]]
	assert_output "signer.key"
	[[ $(sha256sum signer.key signer.pub) == "$before" ]]
	[[ $(file_mode signer.key) == 600 ]]
}

@test "keygen refuses when only NAME.pub exists" {
	echo "not a key" >signer.pub
	run "$IBPACK" keygen -o signer
	[[ $status -ne 0 ]]
	[[ ! -e signer.key ]]
	[[ $(cat signer.pub) == "not a key" ]]
}

@test "keygen --json prints the key id and file names" {
	run --separate-stderr "$IBPACK" keygen -o signer --json
	assert_status 0
	id=$(key_id signer)
	json_assert "$output" "d['key_id'] == '$id'" "d['algorithm'] == 'ed25519'" \
		"d['private_key'] == 'signer.key'" "d['public_key'] == 'signer.pub'"
}

@test "keygen without -o is a usage error (exit 1)" {
	run "$IBPACK" keygen
	assert_status 1
	assert_output "-o NAME"
}

# ---- build: success -----------------------------------------------------------------------------

@test "build prints a summary with every package and the signing key id" {
	std_spec
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 0
	assert_output "built b.run" "testbundle 1.2.3" "sequence 7" "linux-x86_64" "4 packages" \
		ofed-ubuntu ofed-cx3 ofed-rhel nd-driver "$(key_id k)"
	[[ -x b.run ]]
	[[ $(head -c 4 b.run | od -An -c | tr -d ' ') == '177ELF' ]]
}

@test "build --json summary lists packages, sizes and signers" {
	std_spec
	key k
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o b.run --json
	assert_status 0
	size=$(stat -c %s b.run)
	json_assert "$output" "d['bundle'] == 'b.run'" "d['name'] == 'testbundle'" "d['version'] == '1.2.3'" \
		"d['sequence'] == 7" "d['target'] == 'linux-x86_64'" "d['size'] == $size" \
		"[p['id'] for p in d['packages']] == ['ofed-ubuntu', 'ofed-cx3', 'ofed-rhel', 'nd-driver']" \
		"all(p['file_count'] == 4 and len(p['sha256']) == 64 and p['length'] > 0 for p in d['packages'])" \
		"d['signed_by'] == ['$(key_id k)']"
}

@test "build embeds the signing key in the stub: the bundle verifies without -p" {
	std_bundle
	run "$IBPACK" verify b.run
	assert_status 0
	assert_output "valid" "4 packages"
}

@test "build refuses a --target that differs from the spec's target" {
	std_spec
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run --target windows-x86_64
	assert_status 3
	assert_output "spec.json" "target is linux-x86_64" "windows-x86_64"
	[[ ! -e b.run ]]
}

@test "build with an unknown --target value is a usage error" {
	std_spec
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run --target sparc-solaris
	assert_status 1
	assert_output "sparc-solaris"
}

@test "build without -k is a usage error" {
	std_spec
	run "$IBPACK" build spec.json -o b.run
	assert_status 1
	assert_output "-k KEY is required"
	[[ ! -e b.run ]]
}

@test "build with a missing key file fails naming it" {
	std_spec
	run "$IBPACK" build spec.json -k nosuch.key -o b.run
	assert_status 3
	assert_output "nosuch.key"
	[[ ! -e b.run ]]
}

@test "build with a public key (not a private key) as -k fails" {
	std_spec
	key k
	run "$IBPACK" build spec.json -k k.pub -o b.run
	assert_status 3
	assert_output "k.pub"
	[[ ! -e b.run ]]
}

@test "build with a garbage key file fails" {
	std_spec
	echo "garbage" >bad.key
	run "$IBPACK" build spec.json -k bad.key -o b.run
	assert_status 3
	assert_output "bad.key"
	[[ ! -e b.run ]]
}

# ---- build: spec errors name the file and the JSON path -------------------------------------------

# spec_error JQ-LIKE-PYTHON PATH MESSAGE: edits spec.json with a Python statement on d, then expects
# build to fail with exit 3 naming spec.json, PATH and MESSAGE.
spec_error() {
	std_spec
	key k
	py - "$1" <<'PY'
import json, sys
d = json.load(open("spec.json"))
exec(sys.argv[1])
json.dump(d, open("spec.json", "w"))
PY
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "spec.json" "$2" "$3"
	[[ ! -e b.run ]]
	[[ -z $(find . -maxdepth 1 -name 'b.run.tmp*') ]]
}

@test "spec error: missing field names its JSON path" {
	spec_error "del d['packages'][1]['install']['command']" "packages[1].install" 'missing "command"'
}

@test "spec error: missing top-level name" {
	spec_error "del d['name']" "name" "missing"
}

@test "spec error: wrong type names its JSON path" {
	spec_error "d['packages'][2]['priority'] = 'high'" "packages[2].priority" "integer"
}

@test "spec error: wrong type inside match" {
	spec_error "d['packages'][0]['match']['nic'] = 'cx6'" "packages[0].match.nic" "array"
}

@test "spec error: bad package id" {
	spec_error "d['packages'][3]['id'] = 'Bad/ID'" "packages[3].id" "[a-z0-9._-]"
}

@test "spec error: duplicate package id" {
	spec_error "d['packages'][2]['id'] = 'ofed-ubuntu'" "packages[2].id" "duplicate"
}

@test "spec error: unknown target" {
	spec_error "d['target'] = 'linux-arm64'" "target" "linux-x86_64"
}

@test "spec error: timeout of zero" {
	spec_error "d['packages'][0]['install']['timeout'] = 0" "packages[0].install.timeout" "at least 1"
}

@test "spec error: timeout that is not an integer" {
	spec_error "d['packages'][0]['install']['timeout'] = 1.5" "packages[0].install.timeout" "integer"
}

@test "spec error: timeout beyond a week" {
	spec_error "d['packages'][0]['install']['timeout'] = 10**9" "packages[0].install.timeout" "604800"
}

@test "spec error: invalid JSON names the file and the position" {
	std_spec
	key k
	printf '{ "name": "x", ' >spec.json
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "spec.json" "not valid JSON"
}

@test "spec error: missing spec file" {
	key k
	run "$IBPACK" build nosuch.json -k k.key -o b.run
	assert_status 3
	assert_output "nosuch.json"
}

# ---- build: sources ---------------------------------------------------------------------------------

@test "build fails when a package source is missing, naming package and path" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6
	spec_pkg gone ubuntu-22.04 cx5 source=pkgs/does-not-exist
	write_spec spec.json
	build_bundle spec.json ok.run || true
	rm -f ok.run
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'gone'" "does-not-exist"
	[[ ! -e b.run ]]
	[[ -z $(ls -A . | grep '\.tmp') ]]
}

@test "build accepts a single-file source with a matching sha256 pin" {
	mkdir -p files
	printf '#!/bin/sh\necho single\n' >files/setup.sh
	chmod 755 files/setup.sh
	sum=$(sha256sum files/setup.sh | cut -c1-64)
	new_spec
	spec_pkg one ubuntu-22.04 cx6 source=files/setup.sh sha256="$sum" command='["./setup.sh"]'
	write_spec spec.json
	build_bundle
	"$IBPACK" extract b.run -o x -q
	cmp files/setup.sh x/one/setup.sh
	[[ $(file_mode x/one/setup.sh) == 755 ]]
}

@test "build refuses a single-file source whose sha256 does not match the pin" {
	mkdir -p files
	echo "vendor tarball" >files/ofed.tgz
	new_spec
	spec_pkg one ubuntu-22.04 cx6 source=files/ofed.tgz sha256="$(printf '%064d' 0)"
	write_spec spec.json
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'one'" "ofed.tgz" "$(sha256sum files/ofed.tgz | cut -c1-64)" "pinned"
	[[ ! -e b.run ]]
	[[ -z $(ls -A . | grep '\.tmp') ]]
}

@test "build with --stub pointing at a file that is not a stub fails (exit 3)" {
	std_spec
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run --stub /bin/true
	assert_status 3
	assert_output "/bin/true" "not an ibpack stub"
	[[ ! -e b.run ]]
}

@test "build finds the stub through \$IBPACK_STUB_DIR or next to ibpack, and --stub works" {
	std_spec
	key k
	mkdir stubs
	cp "$STUB" stubs/stub-linux-x86_64
	IBPACK_STUB_DIR=$WORK/stubs run "$IBPACK" build spec.json -k k.key -o a.run -q
	assert_status 0
	run "$IBPACK" build spec.json -k k.key -o c.run -q --stub "$WORK/stubs/stub-linux-x86_64"
	assert_status 0
	SOURCE_DATE_EPOCH=1 "$IBPACK" build spec.json -k k.key -o d.run -q
	SOURCE_DATE_EPOCH=1 "$IBPACK" build spec.json -k k.key -o e.run -q --stub stubs/stub-linux-x86_64
	cmp d.run e.run
}

@test "build refuses a symlink inside a source" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6
	write_spec spec.json
	ln -s /etc/passwd pkgs/a/doc/passwd
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'a'" "doc/passwd" "symlink"
	[[ ! -e b.run ]]
}

@test "build refuses a symlink as the source itself" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6 source=pkgs/link
	write_spec spec.json
	make_pkg pkgs/real a
	ln -s real pkgs/link
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'a'" "symlink"
	[[ ! -e b.run ]]
}

@test "build refuses a device node inside a source" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6
	write_spec spec.json
	mknod pkgs/a/null c 1 3 2>/dev/null || mkfifo pkgs/a/null
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'a'" "'null'" "device, FIFO or socket"
	[[ ! -e b.run ]]
}

@test "build refuses a FIFO inside a source" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6
	write_spec spec.json
	mkfifo pkgs/a/doc/pipe
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'a'" "doc/pipe" "device, FIFO or socket"
}

@test "build refuses a setuid file inside a source" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6
	write_spec spec.json
	chmod 4755 pkgs/a/install.sh
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'a'" "install.sh" "setuid"
	[[ ! -e b.run ]]
}

@test "build refuses an empty source directory" {
	new_spec
	spec_pkg a ubuntu-22.04 cx6 source=pkgs/empty
	write_spec spec.json
	mkdir -p pkgs/empty
	key k
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_output "package 'a'" "empty directory"
	[[ ! -e b.run ]]
}

@test "a failed build leaves no temporary file and keeps the previous bundle intact" {
	std_bundle
	before=$(sha256sum <b.run)
	chmod 4755 pkgs/ofed-rhel/install.sh
	run "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	[[ $(sha256sum <b.run) == "$before" ]]
	run ls -A .
	assert_not_contains "$output" ".tmp"
	run "$IBPACK" verify b.run
	assert_status 0
}

@test "build into a missing directory fails cleanly" {
	std_spec
	key k
	run "$IBPACK" build spec.json -k k.key -o nodir/b.run
	assert_status 3
	assert_output "nodir/b.run"
	[[ ! -e nodir ]]
}

# ---- build: compression ------------------------------------------------------------------------------

@test "auto compression picks zstd for text and none for random data" {
	new_spec
	spec_pkg text ubuntu-22.04 cx6
	spec_pkg random ubuntu-22.04 cx5 source=pkgs/random
	write_spec spec.json
	mkdir -p pkgs/random
	head -c 1048576 /dev/urandom >pkgs/random/blob.bin
	key k
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o b.run --json
	assert_status 0
	json_assert "$output" \
		"[p['compression'] for p in d['packages']] == ['zstd', 'none']" \
		"d['packages'][0]['length'] * 2 < d['packages'][0]['unpacked_size']" \
		"d['packages'][1]['length'] >= 1048576"
	run --separate-stderr "$IBPACK" list b.run --json
	json_assert "$output" "[p['compression'] for p in d['packages']] == ['zstd', 'none']"
	"$IBPACK" extract b.run -o x -q
	cmp pkgs/random/blob.bin x/random/blob.bin
	cmp pkgs/text/README x/text/README
}

@test "explicit gzip compression works end to end (build, verify, extract, install)" {
	new_spec
	spec_pkg gz ubuntu-22.04 cx6 compression=gzip
	write_spec spec.json
	build_bundle
	run --separate-stderr "$IBPACK" list b.run --json
	json_assert "$output" "d['packages'][0]['compression'] == 'gzip'"
	# the blob really is a gzip stream
	eval "$(regions b.run)"
	[[ $(od -An -tx1 -j "$PKG_OFF_gz" -N2 b.run | tr -d ' ') == 1f8b ]]
	run "$IBPACK" verify b.run
	assert_status 0
	"$IBPACK" extract b.run -o x -q
	diff -r pkgs/gz x/gz
	sysroot root cx6-vf
	run stub ./b.run --sysroot root
	assert_status 0
	[[ -f $OUT/gz.args ]]
}

@test "explicit compression none stores the tar stream as is" {
	new_spec
	spec_pkg plain ubuntu-22.04 cx6 compression=none
	write_spec spec.json
	build_bundle
	eval "$(regions b.run)"
	# ustar magic at offset 257 of the first header
	[[ $(dd if=b.run bs=1 skip=$((PKG_OFF_plain + 257)) count=5 status=none) == ustar ]]
	"$IBPACK" extract b.run -o x -q
	diff -r pkgs/plain x/plain
}

@test "a blob of exactly one chunk (1 MiB) and one just over it round-trip" {
	new_spec
	spec_pkg exact ubuntu-22.04 cx6 compression=none source=pkgs/exact command='["./f"]'
	spec_pkg over ubuntu-22.04 cx5 compression=none source=pkgs/over command='["./f"]'
	write_spec spec.json
	mkdir -p pkgs/exact pkgs/over
	# tar: 512-byte header + data + 1024-byte end marker = 1048576
	head -c 1047040 /dev/urandom >pkgs/exact/f
	head -c 1047552 /dev/urandom >pkgs/over/f
	build_bundle
	"$IBPACK" manifest b.run -o m.json
	run cat m.json
	# one chunk hash (32 bytes in the chunk tables) for the first, two for the second
	json_assert "$output" "[p['blob']['length'] for p in d['packages']] == [1048576, 1049088]" \
		"[p['blob']['chunk_table']['offset'] - d['packages'][1]['blob']['offset'] - 1049088 for p in d['packages']] == [0, 32]"
	eval "$(regions b.run)"
	[[ $MANIFEST_OFF == $((PKG_OFF_over + PKG_LEN_over + 32 + 64)) ]]
	run "$IBPACK" verify b.run
	assert_status 0
	"$IBPACK" extract b.run -o x -q
	cmp pkgs/exact/f x/exact/f
	cmp pkgs/over/f x/over/f
}

@test "packages with empty files and empty directories round-trip" {
	new_spec
	spec_pkg e ubuntu-22.04 cx6 source=pkgs/e command='["./empty"]'
	spec_pkg one ubuntu-22.04 cx5 source=pkgs/single command='["./single"]'
	write_spec spec.json
	mkdir -p pkgs/e/sub/deeper
	: >pkgs/e/empty
	: >pkgs/single
	build_bundle
	run "$IBPACK" verify b.run
	assert_status 0
	"$IBPACK" extract b.run -o x -q
	[[ -d x/e/sub/deeper && -f x/e/empty && ! -s x/e/empty && -f x/one/single ]]
}

@test "spec-level compression applies to every package" {
	std_spec
	py -c 'import json; d=json.load(open("spec.json")); d["compression"]="gzip"; json.dump(d, open("spec.json","w"))'
	build_bundle
	run --separate-stderr "$IBPACK" list b.run --json
	json_assert "$output" "all(p['compression'] == 'gzip' for p in d['packages'])"
}

# ---- build: reproducibility ---------------------------------------------------------------------

@test "SOURCE_DATE_EPOCH gives byte-identical bundles across two builds in different directories" {
	# Two trees with the same content made differently: other absolute paths (one much deeper),
	# umask, file creation order and mtimes; packages stored with zstd, gzip and none.
	mk_tree() { # DIR ORDER UMASK
		local dir=$1 order=$2 f files=(drv/install.sh drv/README drv/lib/a.so drv/lib/b.so fw/fw.bin
			fw/doc/notes.txt tools/run.sh tools/etc/x.conf)
		[[ $order == rev ]] && files=(tools/etc/x.conf tools/run.sh fw/doc/notes.txt fw/fw.bin
			drv/lib/b.so drv/lib/a.so drv/README drv/install.sh)
		(
			umask "$3"
			for f in "${files[@]}"; do
				mkdir -p "$dir/pkgs/$(dirname "$f")"
				case $f in
				*.sh) printf '#!/bin/sh\necho %s\n' "$f" >"$dir/pkgs/$f" && chmod +x "$dir/pkgs/$f" ;;
				*.bin) py -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(200000)))' >"$dir/pkgs/$f" ;;
				*) for _ in $(seq 200); do echo "line of $f"; done >"$dir/pkgs/$f" ;;
				esac
				if [[ $order == rev ]]; then touch -d "@$((RANDOM * 1000))" "$dir/pkgs/$f"; fi
			done
		)
		cp spec.json "$dir/spec.json"
	}
	new_spec
	spec_pkg drv debian-12 cx6 source=pkgs/drv compression=zstd
	spec_pkg fw debian-12 cx5 source=pkgs/fw compression=gzip
	spec_pkg tools debian-12 cx4 source=pkgs/tools compression=none
	write_spec spec.json
	key k
	deep=$WORK/a/much/deeper/path/for/the/second/tree
	mk_tree "$WORK/one" fwd 022
	mk_tree "$deep" rev 077
	[[ $(stat -c %a one/pkgs/drv/README) != $(stat -c %a "$deep/pkgs/drv/README") ]]
	export SOURCE_DATE_EPOCH=1700000000
	(cd one && umask 022 && "$IBPACK" build spec.json -k "$WORK/k.key" -o b.run -q)
	(cd / && umask 077 && "$IBPACK" build "$deep/spec.json" -k "$WORK/k.key" -o "$deep/b.run" -q)
	[[ $(sha256sum <one/b.run) == $(sha256sum <"$deep/b.run") ]]
	run --separate-stderr "$IBPACK" verify --json one/b.run
	json_assert "$output" "d['created'] == '2023-11-14T22:13:20Z'" \
		"[p['compression'] for p in d['packages']] == ['zstd', 'gzip', 'none']"
}

@test "without SOURCE_DATE_EPOCH the creation time is now" {
	std_spec
	build_bundle
	run --separate-stderr "$IBPACK" list b.run --json
	now=$(date -u +%s)
	json_assert "$output" "abs(__import__('calendar').timegm(__import__('time').strptime(d['created'], '%Y-%m-%dT%H:%M:%SZ')) - $now) < 120"
}
