#!/usr/bin/env bats
# Verification anchored outside the bundle: a bundle built by anyone with their own key is not
# trusted because it vouches for itself; -p, --key-id, --trust-ca and the host trust store are.

load helpers

# std_spec_untrusted: the standard spec, with this test's trust store emptied again (std_spec
# may have trusted the standard key while building it).
std_spec_untrusted() {
	std_spec
	rm -f "$IBPACK_TRUST_DIR"/*
}

# attacker_bundle: evil.run, built and signed by a key nobody on this machine trusts.
attacker_bundle() {
	std_spec_untrusted
	"$IBPACK" keygen -o evil >/dev/null
	"$IBPACK" build spec.json -k evil.key -o evil.run -q
}

@test "trust: an attacker-keyed bundle is refused by verify, list, extract, plan and extension without an anchor" {
	attacker_bundle
	run --separate-stderr "$IBPACK" verify evil.run
	assert_status 2
	assert_stderr "the signature is valid, but the signer is not trusted by this machine" \
		"$(key_id evil | cut -c1-16)" "-p KEY.pub" "--key-id" "$IBPACK_TRUST_DIR/"
	assert_not_contains "$output" "trusted signature" "valid:"
	# every byte was still checked and the embedded policy is shown
	assert_output "embedded trust policy: keys $(key_id evil) (ed25519)"
	run --separate-stderr "$IBPACK" verify evil.run --json
	assert_status 2
	json_assert "$output" "d['verdict'] == 'invalid'" "d['anchored'] is False" "d['valid_signatures'] == 0" \
		"d['embedded_trust']['keys'][0]['key_id'] == '$(key_id evil)'" "all(p['valid'] for p in d['packages'])"
	run "$IBPACK" list evil.run
	assert_status 2
	assert_output "not trusted by this machine"
	run "$IBPACK" extract evil.run -o out
	assert_status 2
	[[ ! -e out/ofed-ubuntu ]]
	run "$IBPACK" plan evil.run --os ubuntu-22.04 --nic cx6
	assert_status 2
	run "$IBPACK" extension evil.run -o h.zip --publisher P --type T --version 1.0
	assert_status 2
	[[ ! -e h.zip ]]
}

@test "trust: the right -p, --key-id or a key in the trust dir makes it valid" {
	attacker_bundle
	run "$IBPACK" verify evil.run -p evil.pub
	assert_status 0
	assert_output "1 trusted signature (anchors: command line)"
	id=$(key_id evil)
	run "$IBPACK" verify evil.run --key-id "${id:0:16}"
	assert_status 0
	run "$IBPACK" verify evil.run --key-id "$id"
	assert_status 0
	run "$IBPACK" list evil.run --key-id "${id:0:20}"
	assert_status 0
	# too short, not hex, or no such key in the stub
	run "$IBPACK" verify evil.run --key-id "${id:0:15}"
	assert_status 1
	run "$IBPACK" verify evil.run --key-id "zz${id:2:20}"
	assert_status 1
	run "$IBPACK" verify evil.run --key-id 0000000000000000
	assert_status 2
	assert_output "--key-id 0000000000000000: the bundle's stub has no such key"
	# another key on the command line: named in the refusal
	"$IBPACK" keygen -o k >/dev/null
	run "$IBPACK" verify evil.run -p k.pub
	assert_status 2
	assert_output "not signed by a trusted key" "${id:0:16}" "$(key_id k | cut -c1-16)"
	# the host trust store
	cp evil.pub "$IBPACK_TRUST_DIR/vendor.pub"
	run "$IBPACK" verify evil.run
	assert_status 0
	assert_output "(anchors: host trust store)"
	run "$IBPACK" extract evil.run -o out --package ofed-ubuntu
	assert_status 0
	[[ -f out/ofed-ubuntu/install.sh ]]
	# explicit anchors replace the store
	run "$IBPACK" verify evil.run -p k.pub
	assert_status 2
	# a broken file in the store is an error, not silently skipped
	echo junk >"$IBPACK_TRUST_DIR/broken.pub"
	run "$IBPACK" verify evil.run
	assert_status 3
	assert_output "broken.pub"
}

@test "trust: --trust-ca and a CA in the trust dir anchor X.509 signatures" {
	std_spec_untrusted
	mkdir -p pki
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki/root.key \
		-out pki/root.pem -days 30 -subj "/CN=Test Root" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki/leaf.key -out pki/leaf.csr \
		-subj "/CN=Release Signer" 2>/dev/null
	openssl x509 -req -in pki/leaf.csr -CA pki/root.pem -CAkey pki/root.key -CAcreateserial \
		-out pki/leaf.pem -days 30 2>/dev/null
	"$IBPACK" build spec.json --cms-cert pki/leaf.pem --cms-key pki/leaf.key --trust-ca pki/root.pem -o x.run -q
	run "$IBPACK" verify x.run
	assert_status 2
	assert_output "not trusted by this machine"
	run "$IBPACK" verify x.run --trust-ca pki/root.pem
	assert_status 0
	cp pki/root.pem "$IBPACK_TRUST_DIR/root.pem"
	run "$IBPACK" verify x.run --json
	assert_status 0
	json_assert "$output" "d['anchored'] is True" "d['trust']['source'] == 'host trust store'" \
		"d['embedded_trust']['cas'][0]['subject'] == 'CN=Test Root'"
}

@test "trust: --exact-trust fails for a stub that trusts an extra key, and the extra key is shown" {
	std_spec
	"$IBPACK" keygen -o release >/dev/null
	"$IBPACK" keygen -o extra >/dev/null
	"$IBPACK" build spec.json -k release.key --trust extra.pub -o b.run -q
	run "$IBPACK" verify b.run -p release.pub
	assert_status 0
	assert_output "embedded trust policy: keys $(key_id release) (ed25519), $(key_id extra) (ed25519)"
	run --separate-stderr "$IBPACK" verify b.run -p release.pub --json
	json_assert "$output" "len(d['embedded_trust']['keys']) == 2" "d['embedded_trust']['threshold'] == 1"
	run "$IBPACK" verify b.run -p release.pub --exact-trust
	assert_status 2
	assert_output "--exact-trust: the stub also trusts key $(key_id extra)"
	run "$IBPACK" verify b.run -p release.pub -p extra.pub --exact-trust
	assert_status 0
	# what --exact-trust protects against: the unchanged stub runs a payload signed by extra only
	"$IBPACK" build spec.json -k extra.key --trust release.pub -o only-extra.run -q
	run "$IBPACK" verify only-extra.run -p release.pub
	assert_status 2
}

@test "trust: embedded revocations and threshold still apply on top of the anchors" {
	std_spec
	"$IBPACK" keygen -o a >/dev/null
	"$IBPACK" keygen -o b >/dev/null
	"$IBPACK" build spec.json -k a.key -k b.key --threshold 2 -o two.run -q
	run "$IBPACK" verify two.run -p a.pub
	assert_status 2
	run "$IBPACK" verify two.run -p a.pub -p b.pub
	assert_status 0
	"$IBPACK" build spec.json -k b.key --revoke a.pub -o rev.run -q
	run "$IBPACK" verify rev.run -p a.pub
	assert_status 2
	run "$IBPACK" verify rev.run -p b.pub
	assert_status 0
	assert_output "revoked $(key_id a)"
}

@test "trust: ibpack install runs the install path with ibpack's own code, the bundle read as data" {
	attacker_bundle
	sysroot root cx6-vf
	chmod 0644 evil.run # never executed: it need not even be executable
	run "$IBPACK" install evil.run --sysroot root --tmpdir "$WORK/tmp" --log-file "$WORK/install.log"
	assert_status 2
	assert_output "not trusted by this machine" "$IBPACK_TRUST_DIR/"
	[[ -z $(ls -A "$OUT") ]]
	run "$IBPACK" install evil.run -p evil.pub --sysroot root --tmpdir "$WORK/tmp" --log-file "$WORK/install.log"
	assert_status 0
	assert_output "installer ofed-ubuntu: running with 3 arguments" "installed"
	[[ -f $OUT/ofed-ubuntu.args ]]
	grep -q '"testbundle"' state/state.json
	dir_empty tmp
	# the host trust store, --detect and the bundle's exit codes
	cp evil.pub "$IBPACK_TRUST_DIR/vendor.pub"
	run "$IBPACK" install evil.run --sysroot root --detect
	assert_status 0
	assert_output "ofed-ubuntu"
	sysroot none none
	run "$IBPACK" install evil.run --sysroot none --tmpdir "$WORK/tmp" --log-file "$WORK/install.log"
	assert_status 11
	# a damaged bundle is refused before anything runs
	rm -f "$OUT"/*
	eval "$(regions evil.run)"
	flip evil.run $((PKG_OFF_ofed_ubuntu + 10))
	run "$IBPACK" install evil.run --sysroot root --tmpdir "$WORK/tmp" --log-file "$WORK/install.log"
	assert_status 2
	[[ -z $(ls -A "$OUT") ]]
}
