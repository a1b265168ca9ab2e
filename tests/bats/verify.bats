#!/usr/bin/env bats
# ibpack verify: valid bundles, keys, and every kind of tampering and truncation.

load helpers

@test "verify: a valid bundle exits 0 and says so" {
	std_bundle
	run "$IBPACK" verify b.run
	assert_status 0
	assert_output "b.run: valid" "testbundle 1.2.3" "sequence 7" "4 packages" "1 trusted signature"
}

@test "verify --json reports verdict, every package and the signer's key id" {
	std_bundle
	run --separate-stderr "$IBPACK" verify b.run --json
	assert_status 0
	json_assert "$output" "d['verdict'] == 'valid'" "'failure' not in d" \
		"[p['id'] for p in d['packages']] == ['ofed-ubuntu', 'ofed-cx3', 'ofed-rhel', 'nd-driver']" \
		"all(p['valid'] is True for p in d['packages'])" \
		"[s['key_id'] for s in d['signatures']] == ['$(key_id k)']" \
		"d['signatures'][0]['algorithm'] == 'ed25519'" "d['valid_signatures'] == 1" \
		"d['size'] == $(stat -c %s b.run)" "len(d['stub_sha256']) == 64"
}

@test "verify -p with the signing key exits 0" {
	std_bundle
	run "$IBPACK" verify b.run -p k.pub
	assert_status 0
	assert_output "valid"
}

@test "verify -p with another key exits 2 naming the signer and the trusted key ids" {
	std_bundle
	key other
	signer=$(key_id k)
	trusted=$(key_id other)
	run "$IBPACK" verify b.run -p other.pub
	assert_status 2
	assert_output "not signed by a trusted key" "${signer:0:16}" "${trusted:0:16}"
}

@test "verify -p with another key --json gives verdict invalid" {
	std_bundle
	key other
	run --separate-stderr "$IBPACK" verify b.run -p other.pub --json
	assert_status 2
	json_assert "$output" "d['verdict'] == 'invalid'" "'$(key_id k | cut -c1-16)' in d['failure']"
}

@test "verify -p with both keys accepts the bundle" {
	std_bundle
	key other
	run "$IBPACK" verify b.run -p other.pub -p k.pub
	assert_status 0
}

@test "verify: a bundle signed by another key than the stub trusts is rejected" {
	# Build with key k but make the stub trust only 'other': not possible through the CLI, so
	# sign two bundles and graft the signed tail of one onto the stub of the other.
	std_spec
	build_bundle spec.json a.run k
	build_bundle spec.json c.run other
	eval "$(regions a.run)"
	a_stub=$STUB_LEN
	eval "$(regions c.run)"
	{ head -c "$a_stub" a.run; tail -c +$((STUB_LEN + 1)) c.run; } >mixed.run
	# the machine trusts k only
	run "$IBPACK" verify mixed.run -p k.pub
	assert_status 2
	assert_output "not signed by a trusted key" "$(key_id other | cut -c1-16)" "$(key_id k | cut -c1-16)"
}

# ---- tampering: one flipped byte per region ----------------------------------------------------

@test "tamper: a flipped byte in the stub exits 2 naming the stub" {
	std_bundle
	flip b.run 200
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "invalid" "stub" "SHA-256"
	run --separate-stderr "$IBPACK" verify b.run --json
	assert_status 2
	json_assert "$output" "d['verdict'] == 'invalid'" "'stub' in d['failure']" \
		"all(p['valid'] for p in d['packages'])"
}

@test "tamper: a flipped byte in the stub's code section exits 2" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((STUB_LEN / 3))
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "stub"
}

@test "tamper: a flipped byte in the stub's embedded trusted key exits 2, with or without -p" {
	std_bundle
	# the trust area: 16-byte magic, u32 length, then records (type, alg, u16 len, SPKI DER)
	area=$(py -c 'import sys; d = open("b.run", "rb").read(); print(d.index(b"IBPACK-TRUST-v1\0"))')
	flip b.run $((area + 20 + 4 + 40))
	run "$IBPACK" verify b.run
	assert_status 2
	run "$IBPACK" verify b.run -p k.pub
	assert_status 2
	assert_output "stub"
	sysroot root cx6-vf
	run stub ./b.run --sysroot root
	assert_status 2
	[[ -z $(ls -A "$OUT") ]]
}

@test "tamper: a flipped byte in each package's payload exits 2 naming that package" {
	std_bundle
	eval "$(regions b.run)"
	for id in ofed-ubuntu ofed-cx3 ofed-rhel nd-driver; do
		v=${id//-/_}
		off=PKG_OFF_$v len=PKG_LEN_$v
		cp b.run t.run
		flip t.run $((${!off} + ${!len} / 2))
		run --separate-stderr "$IBPACK" verify t.run
		assert_status 2
		assert_stderr "invalid" "package '$id'" "chunk 0" "does not match the signed manifest"
		run --separate-stderr "$IBPACK" verify t.run --json
		assert_status 2
		json_assert "$output" "d['verdict'] == 'invalid'" \
			"[p['id'] for p in d['packages'] if not p['valid']] == ['$id']" "\"'$id'\" in d['failure']"
	done
}

@test "tamper: the first and the last byte of a package blob are both covered" {
	std_bundle
	eval "$(regions b.run)"
	cp b.run t.run
	flip t.run "$PKG_OFF_ofed_ubuntu"
	run "$IBPACK" verify t.run
	assert_status 2
	assert_output "package 'ofed-ubuntu'"
	cp b.run t.run
	flip t.run $((PKG_OFF_nd_driver + PKG_LEN_nd_driver - 1))
	run "$IBPACK" verify t.run
	assert_status 2
	assert_output "package 'nd-driver'"
}

@test "tamper: a flipped byte in a later chunk of a multi-chunk package names that chunk" {
	new_spec
	spec_pkg big ubuntu-22.04 cx6 compression=none
	write_spec spec.json
	head -c 3000000 /dev/urandom >pkgs/big/firmware.bin
	build_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_big + 2 * 1048576 + 10))
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "package 'big'" "chunk 2"
}

@test "tamper: a flipped byte in the manifest exits 2 (signature no longer verifies)" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((MANIFEST_OFF + MANIFEST_LEN / 2))
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "signature" "does not verify" "manifest"
	run --separate-stderr "$IBPACK" verify b.run --json
	assert_status 2
	json_assert "$output" "d['verdict'] == 'invalid'" "'manifest' in d['failure']"
}

@test "tamper: a flipped first byte of the manifest (JSON syntax) exits 2" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run "$MANIFEST_OFF"
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "manifest"
}

@test "tamper: a flipped byte in the signature exits 2" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((SIGBLOCK_OFF + SIGBLOCK_LEN - 5))
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "signature" "does not verify"
}

@test "tamper: a flipped byte in the signature block's key id exits 2 naming signer and trusted ids" {
	std_bundle
	eval "$(regions b.run)"
	# magic(8) count(4) alg(2) reserved(2) key id(32): flip inside the key id
	flip b.run $((SIGBLOCK_OFF + 20))
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "not signed by a trusted key" "trusted: $(key_id k | cut -c1-16)"
}

@test "tamper: a flipped byte in the signature block's magic exits 2 naming the signature block" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run "$SIGBLOCK_OFF"
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "signature block"
}

@test "tamper: a flipped byte in the footer magic exits 2" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run "$FOOTER_OFF"
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "footer"
}

@test "tamper: a flipped byte in each footer field exits 2 naming the footer" {
	std_bundle
	eval "$(regions b.run)"
	# version, size, stub_len, manifest_off, manifest_len, sigblock_off, sigblock_len, bundle_len
	for field in 8 12 16 24 32 40 48 56; do
		cp b.run t.run
		flip t.run $((FOOTER_OFF + field))
		run "$IBPACK" verify t.run
		assert_status 2
		assert_output "footer"
	done
}

@test "tamper: a changed high byte of a footer offset exits 2 without a huge allocation" {
	std_bundle
	eval "$(regions b.run)"
	for field in 23 31 39 47 55 63; do
		cp b.run t.run
		flip t.run $((FOOTER_OFF + field))
		run "$IBPACK" verify t.run
		assert_status 2
		assert_output "footer"
	done
}

@test "tamper: non-zero padding before the footer exits 2" {
	std_spec
	# grow the description until the bundle needs alignment padding before the footer
	for i in 1 2 3 4 5 6 7 8; do
		py -c 'import json, sys; d = json.load(open("spec.json")); d["description"] += "x"; json.dump(d, open("spec.json", "w"))'
		build_bundle
		eval "$(regions b.run)"
		pad=$((FOOTER_OFF - SIGBLOCK_OFF - SIGBLOCK_LEN))
		((pad > 0)) && break
	done
	((pad > 0))
	flip b.run $((FOOTER_OFF - 1))
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "padding"
}

# ---- truncation and garbage --------------------------------------------------------------------

@test "truncated bundle (last byte dropped) exits 2" {
	std_bundle
	truncate_by b.run 1
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "footer"
}

@test "truncated bundle (half dropped) exits 2" {
	std_bundle
	size=$(stat -c %s b.run)
	truncate -s $((size / 2)) b.run
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "footer"
}

@test "truncated bundle (payload cut, footer re-appended) exits 2" {
	std_bundle
	eval "$(regions b.run)"
	tail -c 64 b.run >footer.bin
	truncate -s $((BUNDLE_LEN - 64 - 8)) b.run
	cat footer.bin >>b.run
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "footer"
}

@test "appended garbage exits 2" {
	std_bundle
	printf 'garbage' >>b.run
	run "$IBPACK" verify b.run
	assert_status 2
	assert_output "footer"
}

@test "appended 64 bytes of garbage (footer-sized) exits 2" {
	std_bundle
	head -c 64 /dev/urandom >>b.run
	run "$IBPACK" verify b.run
	assert_status 2
}

@test "a zero-length file exits 2" {
	: >empty.run
	run "$IBPACK" verify empty.run
	assert_status 2
	assert_output "empty.run" "too small"
}

@test "a file that is not a bundle exits 2" {
	head -c 100000 /dev/urandom >random.bin
	run "$IBPACK" verify random.bin
	assert_status 2
	assert_output "footer"
}

@test "the bare stub (no payload) is not a valid bundle" {
	cp "$STUB" stub
	run "$IBPACK" verify stub
	assert_status 2
	run ./stub --verify
	assert_status 2
}

@test "verify of a missing file exits 3" {
	run "$IBPACK" verify nosuch.run
	assert_status 3
	assert_output "nosuch.run"
}

@test "verify without a bundle argument is a usage error" {
	run "$IBPACK" verify
	assert_status 1
}
