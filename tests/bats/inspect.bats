#!/usr/bin/env bats
# ibpack list, extract, manifest/signature (with stock OpenSSL) and plan.

load helpers

# ---- list ---------------------------------------------------------------------------------------------

@test "list shows the bundle identity and one line per package" {
	std_bundle
	run "$IBPACK" list b.run
	assert_status 0
	assert_output "testbundle 1.2.3 (sequence 7, linux-x86_64" \
		"ofed-ubuntu" "os=ubuntu-22.04,ubuntu-20.04 nic=cx5,cx6" \
		"ofed-cx3" "nic=cx3pro" "nd-driver" "nic=nd priority=5"
	[[ $(grep -c '^  ' <<<"$output") == 4 ]]
}

@test "list --json gives name, version, sequence, target and the packages with their rules" {
	std_bundle
	run --separate-stderr "$IBPACK" list b.run --json
	assert_status 0
	json_assert "$output" "d['name'] == 'testbundle'" "d['version'] == '1.2.3'" "d['sequence'] == 7" \
		"d['target'] == 'linux-x86_64'" \
		"[p['id'] for p in d['packages']] == ['ofed-ubuntu', 'ofed-cx3', 'ofed-rhel', 'nd-driver']" \
		"d['packages'][0]['os'] == ['ubuntu-22.04', 'ubuntu-20.04']" \
		"d['packages'][0]['nic'] == ['cx5', 'cx6']" "d['packages'][3]['priority'] == 5" \
		"d['packages'][1]['name'] == 'Test ofed-cx3'" "d['packages'][1]['version'] == '1.0-ofed-cx3'" \
		"all(p['file_count'] == 4 for p in d['packages'])"
}

@test "list reads only the fixed structures: it works on a bundle with a damaged payload" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_cx3 + 3))
	run "$IBPACK" list b.run
	assert_status 0
	assert_output "ofed-cx3"
}

@test "list refuses a bundle whose manifest was altered" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((MANIFEST_OFF + 20))
	run "$IBPACK" list b.run
	assert_status 2
	assert_output "signature"
}

# ---- extract -------------------------------------------------------------------------------------------

@test "extract -o DIR writes every package into DIR/<id> with the input files and modes" {
	std_bundle
	run "$IBPACK" extract b.run -o layout
	assert_status 0
	assert_output "layout/ofed-ubuntu: 4 files" "layout/nd-driver: 4 files"
	for id in ofed-ubuntu ofed-cx3 ofed-rhel nd-driver; do
		diff -r "pkgs/$id" "layout/$id"
		[[ $(file_mode "layout/$id/install.sh") == 755 ]]
		[[ $(file_mode "layout/$id/README") == 644 ]]
		[[ $(file_mode "layout/$id/doc") == 755 ]]
	done
	[[ $(ls layout | sort | tr '\n' ' ') == "nd-driver ofed-cx3 ofed-rhel ofed-ubuntu " ]]
}

@test "extract normalizes modes: 0600 becomes 0644, any x bit becomes 0755" {
	new_spec
	spec_pkg m ubuntu-22.04 cx6
	write_spec spec.json
	chmod 700 pkgs/m/install.sh
	chmod 600 pkgs/m/doc/notes.txt
	build_bundle
	"$IBPACK" extract b.run -o x -q
	[[ $(file_mode x/m/install.sh) == 755 ]]
	[[ $(file_mode x/m/doc/notes.txt) == 644 ]]
}

@test "extract --package ID writes only that package" {
	std_bundle
	run "$IBPACK" extract b.run -o layout --package ofed-rhel
	assert_status 0
	[[ $(ls layout) == ofed-rhel ]]
	diff -r pkgs/ofed-rhel layout/ofed-rhel
}

@test "extract --package with an unknown id fails and writes nothing" {
	std_bundle
	run "$IBPACK" extract b.run -o layout --package nosuch
	[[ $status -ne 0 ]]
	assert_output "no package 'nosuch'"
	[[ ! -e layout || -z $(ls -A layout) ]]
}

@test "extract refuses an existing DIR/<id>" {
	std_bundle
	mkdir -p layout/ofed-ubuntu
	run "$IBPACK" extract b.run -o layout --package ofed-ubuntu
	[[ $status -ne 0 ]]
	assert_output "ofed-ubuntu" "already exists"
}

@test "extract of a tampered payload fails with 2 and leaves no partial DIR/<id>" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_rhel + 100))
	run "$IBPACK" extract b.run -o layout --package ofed-rhel
	assert_status 2
	assert_output "package 'ofed-rhel'" "chunk 0"
	[[ ! -e layout/ofed-rhel ]]
}

@test "extract of a tampered later chunk removes the partly written package" {
	new_spec
	spec_pkg big ubuntu-22.04 cx6 compression=none
	write_spec spec.json
	head -c 2500000 /dev/urandom >pkgs/big/aa-firmware.bin
	build_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_big + 1048576 + 5000))
	run "$IBPACK" extract b.run -o layout
	assert_status 2
	assert_output "package 'big'" "chunk 1"
	[[ ! -e layout ]] # created by this run, so removed with the partial package
}

@test "extract of all packages stops at the tampered one" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_cx3 + 10))
	run "$IBPACK" extract b.run -o layout
	assert_status 2
	assert_output "package 'ofed-cx3'"
	[[ ! -e layout/ofed-cx3 ]]
	# the other packages are not affected: extracting one of them alone works
	run "$IBPACK" extract b.run -o layout2 --package nd-driver
	assert_status 0
	diff -r pkgs/nd-driver layout2/nd-driver
}

@test "extract with -p of the wrong key exits 2 and writes nothing" {
	std_bundle
	key other
	run "$IBPACK" extract b.run -o layout -p other.pub
	assert_status 2
	[[ ! -e layout ]]
}

# ---- manifest / signature export and OpenSSL interoperability --------------------------------------

@test "manifest -o writes the exact signed bytes (valid JSON with blobs and chunk hashes)" {
	std_bundle
	run "$IBPACK" manifest b.run -o manifest.json
	assert_status 0
	eval "$(regions b.run)"
	[[ $(stat -c %s manifest.json) == "$MANIFEST_LEN" ]]
	cmp manifest.json <(tail -c +$((MANIFEST_OFF + 1)) b.run | head -c "$MANIFEST_LEN")
	run cat manifest.json
	json_assert "$output" "d['name'] == 'testbundle'" "d['sequence'] == 7" "d['target'] == 'linux-x86_64'" \
		"len(d['stub']['sha256']) == 64" "len(d['packages']) == 4" \
		"all(len(p['blob']['chunk_table']['sha256']) == 64 for p in d['packages'])"
}

@test "openssl pkeyutl -verify accepts the exported manifest and signature" {
	std_bundle
	"$IBPACK" manifest b.run -o manifest.json
	run "$IBPACK" signature b.run -o sig.bin
	assert_status 0
	[[ $(stat -c %s sig.bin) == 64 ]]
	run openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in manifest.json -sigfile sig.bin
	assert_status 0
	assert_output "Signature Verified Successfully"
}

@test "openssl pkeyutl -verify fails after one manifest byte is flipped" {
	std_bundle
	"$IBPACK" manifest b.run -o manifest.json
	"$IBPACK" signature b.run -o sig.bin
	flip manifest.json 30
	run openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in manifest.json -sigfile sig.bin
	[[ $status -ne 0 ]]
	assert_output "Signature Verification Failure"
}

@test "manifest and signature export also work on a bundle with a tampered manifest" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((MANIFEST_OFF + 40))
	run "$IBPACK" manifest b.run -o manifest.json
	assert_status 0
	run "$IBPACK" signature b.run -o sig.bin
	assert_status 0
	run openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in manifest.json -sigfile sig.bin
	[[ $status -ne 0 ]]
}

@test "openssl verification with another key fails" {
	std_bundle
	key other
	"$IBPACK" manifest b.run -o manifest.json
	"$IBPACK" signature b.run -o sig.bin
	run openssl pkeyutl -verify -pubin -inkey other.pub -rawin -in manifest.json -sigfile sig.bin
	[[ $status -ne 0 ]]
}

@test "signature --key-id selects the signature by key id prefix" {
	std_bundle
	id=$(key_id k)
	run "$IBPACK" signature b.run -o sig.bin --key-id "${id:0:12}"
	assert_status 0
	run "$IBPACK" signature b.run -o sig2.bin --key-id 00000000
	[[ $status -ne 0 ]]
	assert_output "00000000"
	[[ ! -e sig2.bin ]]
}

@test "ECDSA P-256 and RSA-PSS bundles verify in ibpack, in the stub and with openssl dgst" {
	std_spec
	for alg in ecdsa-p256 rsa-pss-3072; do
		"$IBPACK" keygen -o "k-$alg" --alg "$alg" >/dev/null
		build_bundle spec.json "$alg.run" "k-$alg"
		run --separate-stderr "$IBPACK" verify "$alg.run" --json
		assert_status 0
		json_assert "$output" "d['signatures'][0]['algorithm'] == '$alg'" \
			"d['signatures'][0]['key_id'] == '$(key_id "k-$alg")'"
		run "./$alg.run" --verify
		assert_status 0
		"$IBPACK" manifest "$alg.run" -o "$alg.json"
		"$IBPACK" signature "$alg.run" -o "$alg.sig"
	done
	run openssl dgst -sha256 -verify k-ecdsa-p256.pub -signature ecdsa-p256.sig ecdsa-p256.json
	assert_status 0
	assert_output "Verified OK"
	run openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
		-verify k-rsa-pss-3072.pub -signature rsa-pss-3072.sig rsa-pss-3072.json
	assert_status 0
	assert_output "Verified OK"
	flip ecdsa-p256.json 10
	run openssl dgst -sha256 -verify k-ecdsa-p256.pub -signature ecdsa-p256.sig ecdsa-p256.json
	[[ $status -ne 0 ]]
}

@test "a bundle signed by two keys carries both signatures; each verifies with openssl" {
	std_spec
	key k
	"$IBPACK" keygen -o k2 --alg ecdsa-p256 >/dev/null
	"$IBPACK" build spec.json -k k.key -k k2.key -o b.run -q
	run --separate-stderr "$IBPACK" verify b.run --json
	assert_status 0
	json_assert "$output" "[s['key_id'] for s in d['signatures']] == ['$(key_id k)', '$(key_id k2)']" \
		"d['valid_signatures'] == 2"
	run "$IBPACK" verify b.run -p k2.pub
	assert_status 0
	"$IBPACK" manifest b.run -o m.json
	"$IBPACK" signature b.run -o s1.bin
	"$IBPACK" signature b.run -o s2.bin --key-id "$(key_id k2 | cut -c1-16)"
	run openssl pkeyutl -verify -pubin -inkey k.pub -rawin -in m.json -sigfile s1.bin
	assert_status 0
	run openssl dgst -sha256 -verify k2.pub -signature s2.bin m.json
	assert_status 0
}

# ---- plan ------------------------------------------------------------------------------------------------

@test "plan with a spec picks the matching package (exit 0)" {
	std_spec
	run "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx6
	assert_status 0
	assert_output "ofed-ubuntu" "ConnectX-6"
}

@test "plan with a bundle picks the same package (exit 0)" {
	std_bundle
	run "$IBPACK" plan b.run --os rhel-8.6 --nic cx5
	assert_status 0
	assert_output "ofed-rhel"
}

@test "plan --json reports package, matched rules and exit code" {
	std_bundle
	run --separate-stderr "$IBPACK" plan b.run --os ubuntu-20.04 --nic cx5 --json
	assert_status 0
	json_assert "$output" "d['package'] == 'ofed-ubuntu'" "d['result'] == 'selected'" "d['exit_code'] == 0" \
		"d['matched_nic'] == 'cx5'" "d['matched_os'] == 'ubuntu-20.04'" "d['os'] == 'ubuntu-20.04'" \
		"d['nic'] == ['cx5']" "d['target'] == 'linux-x86_64'"
}

@test "plan: a higher priority wins" {
	std_spec
	run --separate-stderr "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx6 --nic nd --json
	assert_status 0
	json_assert "$output" "d['package'] == 'nd-driver'" "d['matched_nic'] == 'nd'"
}

@test "plan: equal priority goes to the first package in spec order" {
	new_spec
	spec_pkg first ubuntu-22.04 cx6
	spec_pkg second 'ubuntu-*' cx6
	write_spec spec.json
	run --separate-stderr "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx6 --json
	assert_status 0
	json_assert "$output" "d['package'] == 'first'"
}

@test "plan: OS patterns with '*' match" {
	std_spec
	run --separate-stderr "$IBPACK" plan spec.json --os rhel-8.10 --nic cx3pro --json
	assert_status 0
	json_assert "$output" "d['package'] == 'ofed-cx3'" "d['matched_os'] == 'rhel-8.*'"
}

@test "plan: no matching NIC exits 11" {
	std_bundle
	run "$IBPACK" plan b.run --os ubuntu-22.04 --nic cx7
	assert_status 11
	assert_output "ConnectX-7" "cx5, cx6"
	run --separate-stderr "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx7 --json
	assert_status 11
	json_assert "$output" "d['result'] in ('no-device', 'nic-not-in-bundle')" "d['package'] is None" \
		"d['exit_code'] == 11"
}

@test "plan: no NIC at all exits 11" {
	std_spec
	run "$IBPACK" plan spec.json --os ubuntu-22.04
	assert_status 11
	assert_output "no InfiniBand device"
}

@test "plan: an OS the bundle does not support exits 12" {
	std_bundle
	run "$IBPACK" plan b.run --os sles-15.4 --nic cx6
	assert_status 12
	assert_output "sles-15.4"
	run --separate-stderr "$IBPACK" plan spec.json --os sles-15.4 --nic cx6 --json
	assert_status 12
	json_assert "$output" "d['result'] == 'unsupported-os'" "d['package'] is None" "d['exit_code'] == 12"
}

@test "plan: a NIC supported only on other OSes exits 12" {
	std_spec
	run "$IBPACK" plan spec.json --os rhel-8.2 --nic nd
	assert_status 12
}

@test "plan: an unknown NIC token is a usage error" {
	std_spec
	run "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx99
	assert_status 1
	assert_output "cx99"
}

@test "plan refuses a tampered bundle with 2" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((MANIFEST_OFF + 50))
	run "$IBPACK" plan b.run --os ubuntu-22.04 --nic cx6
	assert_status 2
}
