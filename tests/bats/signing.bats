#!/usr/bin/env bats
# Signing workflows: thresholds and revocation, unsigned bundles signed elsewhere (openssl, an
# HSM through softhsm2) and attach-signature, X.509/CMS chains, the stub's --trust/--trust-ca,
# and verify --json as an archivable report.

load helpers

MKPKI=$REPO/tests/fixtures/mkpki.sh

# ---- local helpers -----------------------------------------------------------------------------

# one_spec: spec.json with one small package (pkgs/drv), for tests that build many bundles.
one_spec() {
	new_spec
	spec_pkg drv debian-12 cx6
	write_spec spec.json
}

# keys NAME ALG...: NAME.key/NAME.pub for each ALG (ed25519, ecdsa-p256, rsa-pss-3072), made once
# per file (RSA key generation is slow) and copied here as NAME-ALG.key/.pub.
keys() {
	local name=$1 alg
	shift
	for alg in "$@"; do
		if [[ ! -f $BATS_FILE_TMPDIR/$name-$alg.key ]]; then
			"$IBPACK" keygen -o "$BATS_FILE_TMPDIR/$name-$alg.tmp" --alg "$alg" >/dev/null || return 1
			mv "$BATS_FILE_TMPDIR/$name-$alg.tmp.pub" "$BATS_FILE_TMPDIR/$name-$alg.pub"
			mv "$BATS_FILE_TMPDIR/$name-$alg.tmp.key" "$BATS_FILE_TMPDIR/$name-$alg.key"
		fi
		cp "$BATS_FILE_TMPDIR/$name-$alg.key" "$BATS_FILE_TMPDIR/$name-$alg.pub" .
	done
}

# pki [ec|rsa]: the test PKI (root, intermediate, leaf, expired leaf, other root) in pki/.
pki() {
	local alg=${1:-ec}
	[[ -f $BATS_FILE_TMPDIR/pki-$alg/leaf.pem ]] || sh "$MKPKI" "$BATS_FILE_TMPDIR/pki-$alg" "$alg" || return 1
	rm -rf pki
	cp -a "$BATS_FILE_TMPDIR/pki-$alg" pki
}

# osign ALG KEY MANIFEST OUT: a raw signature made with stock OpenSSL, as an offline signer would.
osign() {
	case $1 in
	ed25519) openssl pkeyutl -sign -inkey "$2" -rawin -in "$3" -out "$4" ;;
	ecdsa-p256) openssl dgst -sha256 -sign "$2" -out "$4" "$3" ;;
	rsa-pss-3072) openssl dgst -sha256 -sign "$2" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
		-out "$4" "$3" ;;
	esac
}

# raw_attach BUNDLE ALG PUBFILE SIGFILE: appends a signature entry with PUBFILE's key id without
# any check (what a hostile or careless tool could write), rewriting block, padding and footer.
raw_attach() {
	local id
	id=$(openssl pkey -pubin -in "$3" -outform DER | sha256sum | cut -c1-64)
	py - "$1" "$2" "$id" "$4" <<'PY'
import struct, sys
path, alg, keyid, sigfile = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), sys.argv[4]
data = open(path, "rb").read()
_, _, stub, moff, mlen, soff, slen, _ = struct.unpack("<IIQQQQQQ", data[-56:])
block = bytearray(data[soff:soff + slen])
sig = open(sigfile, "rb").read()
count = struct.unpack("<I", block[8:12])[0]
block[8:12] = struct.pack("<I", count + 1)
block += struct.pack("<HH", alg, 0) + keyid + struct.pack("<I", len(sig)) + sig
pad = (8 - (soff + len(block) + 64) % 8) % 8
blen = soff + len(block) + pad + 64
footer = b"IBPKFTR1" + struct.pack("<IIQQQQQQ", 1, 64, stub, moff, mlen, soff, len(block), blen)
open(path, "wb").write(data[:soff] + bytes(block) + bytes(pad) + footer)
PY
}

# sha FILE: its SHA-256.
sha() { sha256sum "$1" | cut -c1-64; }

# ---- thresholds, revocation, rotation -------------------------------------------------------------

@test "threshold 2 with two -k keys: both count, and one broken signature makes the stub refuse" {
	one_spec
	keys a ed25519
	keys b ecdsa-p256
	run "$IBPACK" build spec.json -k a-ed25519.key -k b-ecdsa-p256.key --threshold 2 -o b.run
	assert_status 0
	assert_output "threshold: 2 signatures"
	run ./b.run --verify
	assert_status 0
	assert_output "2 trusted signatures"
	run --separate-stderr "$IBPACK" verify b.run --json -p a-ed25519.pub -p b-ecdsa-p256.pub
	assert_status 0
	json_assert "$output" "d['trust']['threshold'] == 2" "d['valid_signatures'] == 2" \
		"[s['status'] for s in d['signatures']] == ['counted', 'counted']"
	eval "$(regions b.run)"
	flip b.run $((SIGBLOCK_OFF + SIGBLOCK_LEN - 3)) # inside the last (ECDSA) signature
	sysroot root cx6-vf
	run stub ./b.run --sysroot root
	assert_status 2
	[[ -z $(ls -A "$OUT") ]]
	run --separate-stderr "$IBPACK" verify b.run --json -p a-ed25519.pub -p b-ecdsa-p256.pub
	assert_status 2
	json_assert "$output" "[s['status'] for s in d['signatures']] == ['counted', 'invalid']" \
		"d['verdict'] == 'invalid'"
}

@test "threshold that the -k keys cannot meet is refused at build time with what to do" {
	one_spec
	keys a ed25519
	keys b ecdsa-p256
	run "$IBPACK" build spec.json -k a-ed25519.key --trust b-ecdsa-p256.pub --threshold 2 -o b.run
	assert_status 1
	assert_output "--threshold 2 needs signatures by 2 distinct keys" "signs with 1" "--unsigned" \
		"attach-signature"
	[[ ! -e b.run ]]
	# the same key twice is one signer
	run "$IBPACK" build spec.json -k a-ed25519.key -k a-ed25519.key --trust b-ecdsa-p256.pub --threshold 2 -o b.run
	assert_status 1
	assert_output "signs with 1"
	# more than the stub would trust at all
	run "$IBPACK" build spec.json --unsigned --trust a-ed25519.pub --trust b-ecdsa-p256.pub --threshold 3 -o b.run
	assert_status 1
	assert_output "--threshold 3 cannot be met: the stub would trust only 2 keys"
	run "$IBPACK" build spec.json -k a-ed25519.key --threshold 0 -o b.run
	assert_status 1
	run "$IBPACK" build spec.json -k a-ed25519.key --threshold 17 -o b.run
	assert_status 1
}

@test "--revoke of a signing or trusted key is refused: a revoked key never counts" {
	one_spec
	keys old ed25519
	keys new ed25519
	run "$IBPACK" build spec.json -k old-ed25519.key -k new-ed25519.key --revoke old-ed25519.pub -o b.run
	assert_status 1
	assert_output "revoked with --revoke and also signs with -k" "$(key_id old-ed25519 | cut -c1-16)"
	run "$IBPACK" build spec.json -k new-ed25519.key --trust old-ed25519.pub --revoke old-ed25519.pub -o b.run
	assert_status 1
	assert_output "both revoked (--revoke) and trusted (--trust)"
	run "$IBPACK" build spec.json -k new-ed25519.key --revoke nosuch.pub -o b.run
	assert_status 3
	assert_output "--revoke" "nosuch.pub"
	[[ ! -e b.run ]]
}

@test "key rotation: a revoked old key's signature never counts, in verify and in the stub" {
	one_spec
	keys old ed25519
	keys new ed25519
	# step 1: the transition bundle trusts both and is signed by both
	"$IBPACK" build spec.json -k old-ed25519.key -k new-ed25519.key -o t.run -q
	run "$IBPACK" verify t.run -p new-ed25519.pub
	assert_status 0
	# step 2: signed by the new key, the old one revoked
	"$IBPACK" build spec.json -k new-ed25519.key --revoke old-ed25519.pub -o b.run -q
	"$IBPACK" manifest b.run -o m.json
	osign ed25519 old-ed25519.key m.json old.sig
	# attach-signature refuses the revoked key...
	run "$IBPACK" attach-signature b.run old.sig --key old-ed25519.pub
	assert_status 1
	assert_output "revoked by the stub"
	# ...and a signature slipped in anyway is listed as revoked and never counts
	raw_attach b.run 1 old-ed25519.pub old.sig
	run --separate-stderr "$IBPACK" verify b.run --json -p new-ed25519.pub
	assert_status 0
	json_assert "$output" "[s['status'] for s in d['signatures']] == ['counted', 'revoked']" \
		"d['trust']['revoked'] == ['$(key_id old-ed25519)']" "d['valid_signatures'] == 1"
	# a bundle signed by the revoked key alone is refused by the stub
	"$IBPACK" build spec.json --unsigned --trust new-ed25519.pub --revoke old-ed25519.pub -o o.run -q
	raw_attach o.run 1 old-ed25519.pub old.sig
	run ./o.run --verify
	assert_status 2
	assert_output "not signed by a key this stub trusts" "$(key_id old-ed25519 | cut -c1-16) (revoked)"
	# even when the caller names the old key with --trust: revocations embedded in the stub stay
	run ./o.run --verify --trust old-ed25519.pub
	assert_status 2
	assert_output "(revoked)"
}

# ---- unsigned bundles and signatures made elsewhere -------------------------------------------------

@test "build --unsigned: a bundle waiting for signatures that every verifier refuses" {
	one_spec
	keys k ed25519
	run "$IBPACK" build spec.json --unsigned --trust k-ed25519.pub -o u.run
	assert_status 0
	assert_output "unsigned: export the bytes to sign with 'ibpack manifest'"
	eval "$(regions u.run)"
	[[ $SIGBLOCK_LEN == 12 ]]
	run "$IBPACK" verify u.run
	assert_status 2
	assert_output "signed by no key" "attach-signature" "trusted: $(key_id k-ed25519 | cut -c1-16)"
	run "$IBPACK" list u.run
	assert_status 2
	sysroot root cx6-vf
	run stub ./u.run --sysroot root
	assert_status 2
	assert_output "signed by no key"
	[[ -z $(ls -A "$OUT") ]]
	run "$IBPACK" signature u.run -o s.bin
	assert_status 3
	assert_output "unsigned"
	run "$IBPACK" manifest u.run -o m.json
	assert_status 0
	json_assert "$(cat m.json)" "d['name'] == 'testbundle'"
}

@test "build --unsigned needs a trust anchor and excludes -k and --cms-cert" {
	one_spec
	keys k ed25519
	run "$IBPACK" build spec.json --unsigned -o u.run
	assert_status 1
	assert_output "--unsigned needs --trust KEY.pub or --trust-ca CA.pem"
	run "$IBPACK" build spec.json --unsigned -k k-ed25519.key -o u.run
	assert_status 1
	assert_output "--unsigned writes no signature"
	run "$IBPACK" build spec.json -o u.run
	assert_status 1
	assert_output "-k KEY is required" "--unsigned"
}

@test "offline signing round trip with the openssl CLI for Ed25519, ECDSA P-256 and RSA-PSS" {
	one_spec
	keys s ed25519 ecdsa-p256 rsa-pss-3072
	"$IBPACK" build spec.json --unsigned --threshold 3 \
		--trust s-ed25519.pub --trust s-ecdsa-p256.pub --trust s-rsa-pss-3072.pub -o u.run -q
	"$IBPACK" manifest u.run -o manifest.json
	n=0
	for alg in ed25519 ecdsa-p256 rsa-pss-3072; do
		osign "$alg" "s-$alg.key" manifest.json "$alg.sig"
		run "$IBPACK" attach-signature u.run "$alg.sig" --key "s-$alg.pub"
		assert_status 0
		n=$((n + 1))
		assert_output "attached $alg signature by key $(key_id "s-$alg")" "($n signature"
		run ./u.run --verify
		if ((n < 3)); then
			assert_status 2
			assert_output "(3 signatures required)"
		fi
	done
	assert_status 0
	assert_output "3 trusted signatures"
	run --separate-stderr "$IBPACK" verify u.run --json -p s-ed25519.pub -p s-ecdsa-p256.pub -p s-rsa-pss-3072.pub
	assert_status 0
	json_assert "$output" "[s['algorithm'] for s in d['signatures']] == ['ed25519', 'ecdsa-p256', 'rsa-pss-3072']" \
		"d['valid_signatures'] == 3" "d['verdict'] == 'valid'"
	# the exported signatures are the attached bytes, and stock OpenSSL verifies them
	for alg in ed25519 ecdsa-p256 rsa-pss-3072; do
		"$IBPACK" signature u.run -o out.sig --key-id "$(key_id "s-$alg" | cut -c1-16)"
		cmp out.sig "$alg.sig"
	done
	run openssl pkeyutl -verify -pubin -inkey s-ed25519.pub -rawin -in manifest.json -sigfile ed25519.sig
	assert_status 0
	# the manifest (the signed bytes) did not change: only the signature block grew
	"$IBPACK" manifest u.run -o after.json
	cmp manifest.json after.json
	[[ $(file_mode u.run) == 755 ]]
}

@test "attach-signature refuses a bad signature, a wrong --alg, a repeated key and leaves the bundle as it was" {
	one_spec
	keys s ed25519 ecdsa-p256
	"$IBPACK" build spec.json --unsigned --trust s-ed25519.pub --trust s-ecdsa-p256.pub -o u.run -q
	"$IBPACK" manifest u.run -o m.json
	before=$(sha u.run)
	# over other bytes
	echo other >other.json
	osign ed25519 s-ed25519.key other.json bad.sig
	run "$IBPACK" attach-signature u.run bad.sig --key s-ed25519.pub
	assert_status 2
	assert_output "not a valid ed25519 signature by 's-ed25519.pub' over the manifest"
	# by another key than --key names
	osign ecdsa-p256 s-ecdsa-p256.key m.json ec.sig
	run "$IBPACK" attach-signature u.run ec.sig --key s-ed25519.pub
	assert_status 2
	run "$IBPACK" attach-signature u.run ec.sig --key s-ecdsa-p256.pub --alg ed25519
	assert_status 1
	assert_output "--alg ed25519 does not match the ecdsa-p256 key"
	run "$IBPACK" attach-signature u.run ec.sig --key s-ecdsa-p256.pub --alg nosuch
	assert_status 1
	: >empty.sig
	run "$IBPACK" attach-signature u.run empty.sig --key s-ed25519.pub
	assert_status 2
	run "$IBPACK" attach-signature u.run nosuch.sig --key s-ed25519.pub
	assert_status 3
	run "$IBPACK" attach-signature u.run ec.sig
	assert_status 1
	[[ $(sha u.run) == "$before" ]]
	[[ -z $(ls u.run.tmp.* 2>/dev/null) ]]
	# the same key twice
	run "$IBPACK" attach-signature u.run ec.sig --key s-ecdsa-p256.pub
	assert_status 0
	after=$(sha u.run)
	run "$IBPACK" attach-signature u.run ec.sig --key s-ecdsa-p256.pub
	assert_status 1
	assert_output "already carries a signature by key $(key_id s-ecdsa-p256 | cut -c1-16)"
	[[ $(sha u.run) == "$after" ]]
}

@test "attach-signature -o writes a new file; a key the stub does not trust is attached with a note" {
	one_spec
	keys s ed25519
	keys x ed25519
	"$IBPACK" build spec.json --unsigned --trust s-ed25519.pub -o u.run -q
	"$IBPACK" manifest u.run -o m.json
	before=$(sha u.run)
	osign ed25519 x-ed25519.key m.json x.sig
	run --separate-stderr "$IBPACK" attach-signature u.run x.sig --key x-ed25519.pub -o signed.run --json
	assert_status 0
	assert_stderr "does not trust key $(key_id x-ed25519 | cut -c1-16)"
	json_assert "$output" "d['accepted_by_stub'] is False" "d['signatures'] == 1" "d['threshold'] == 1"
	[[ $(sha u.run) == "$before" ]]
	run ./signed.run --verify
	assert_status 2
	assert_output "(not trusted)" "trusted: $(key_id s-ed25519 | cut -c1-16)"
	run "$IBPACK" verify signed.run -p x-ed25519.pub
	assert_status 0
}

@test "attach-signature refuses a Windows bundle that already carries an Authenticode signature" {
	WSTUB=$IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe
	[[ -f $WSTUB ]] || skip "no Windows stub (make stub-windows)"
	command -v osslsigncode >/dev/null || skip "osslsigncode is not installed"
	one_spec
	py -c 'import json; d = json.load(open("spec.json")); d["target"] = "windows-x86_64"; d["packages"][0]["match"]["os"] = ["windows-server-2019"]; json.dump(d, open("spec.json", "w"))'
	keys s ed25519
	"$IBPACK" build spec.json --unsigned --trust s-ed25519.pub -o u.exe -q --stub "$WSTUB"
	"$IBPACK" manifest u.exe -o m.json
	osign ed25519 s-ed25519.key m.json s.sig
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cs.key -out cs.pem -days 2 \
		-subj "/CN=ibpack test signer" 2>/dev/null
	osslsigncode sign -certs cs.pem -key cs.key -in u.exe -out signed.exe >/dev/null
	run "$IBPACK" attach-signature signed.exe s.sig --key s-ed25519.pub
	assert_status 1
	assert_output "Authenticode" "attach, then sign the .exe again"
	# the right order: attach, then Authenticode
	run "$IBPACK" attach-signature u.exe s.sig --key s-ed25519.pub
	assert_status 0
	osslsigncode sign -certs cs.pem -key cs.key -in u.exe -out signed2.exe >/dev/null
	run "$IBPACK" verify signed2.exe -p s-ed25519.pub
	assert_status 0
	run --separate-stderr "$IBPACK" verify signed2.exe --json -p s-ed25519.pub
	json_assert "$output" "d['authenticode_signed'] is True" "d['file_size'] > d['size']"
}

@test "HSM: signatures made through PKCS#11 (softhsm2 + the OpenSSL pkcs11 engine) attach and verify" {
	engine=/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
	module=/usr/lib/softhsm/libsofthsm2.so
	command -v softhsm2-util >/dev/null && [[ -f $engine && -f $module ]] ||
		skip "softhsm2 and libengine-pkcs11-openssl are not installed (scripts/setup.sh test)"
	one_spec
	keys h ecdsa-p256 rsa-pss-3072
	mkdir tokens
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK" >softhsm2.conf
	export SOFTHSM2_CONF=$WORK/softhsm2.conf
	softhsm2-util --init-token --free --label ibpack --pin 1234 --so-pin 4321 >/dev/null
	# keys go into the token once; from then on only the token signs
	softhsm2-util --import h-ecdsa-p256.key --token ibpack --label ec --id 01 --pin 1234 >/dev/null
	softhsm2-util --import h-rsa-pss-3072.key --token ibpack --label rsa --id 02 --pin 1234 >/dev/null
	rm h-ecdsa-p256.key h-rsa-pss-3072.key
	cat >openssl.cnf <<EOF
openssl_conf = init
[init]
engines = engines
[engines]
pkcs11 = pkcs11
[pkcs11]
engine_id = pkcs11
dynamic_path = $engine
MODULE_PATH = $module
PIN = 1234
EOF
	"$IBPACK" build spec.json --unsigned --trust h-ecdsa-p256.pub --trust h-rsa-pss-3072.pub --threshold 2 -o u.run -q
	"$IBPACK" manifest u.run -o m.json
	OPENSSL_CONF=$WORK/openssl.cnf openssl dgst -engine pkcs11 -keyform engine -sha256 \
		-sign "pkcs11:token=ibpack;object=ec;type=private" -out ec.sig m.json 2>/dev/null
	OPENSSL_CONF=$WORK/openssl.cnf openssl dgst -engine pkcs11 -keyform engine -sha256 \
		-sign "pkcs11:token=ibpack;object=rsa;type=private" \
		-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -out rsa.sig m.json 2>/dev/null
	run "$IBPACK" attach-signature u.run ec.sig --key h-ecdsa-p256.pub
	assert_status 0
	run "$IBPACK" attach-signature u.run rsa.sig --key h-rsa-pss-3072.pub
	assert_status 0
	assert_output "the stub accepts the bundle: 2 of 2"
	run ./u.run --verify
	assert_status 0
}

# ---- X.509 / CMS ----------------------------------------------------------------------------------

@test "CMS: an encrypted --cms-key takes its passphrase from --cms-passin (env:, file:, fd:), never from --passin" {
	one_spec
	pki ec
	openssl pkey -in pki/leaf.key -aes-256-cbc -passout pass:s3cret -out enc.key
	chmod 600 enc.key
	cms() { "$IBPACK" build spec.json --cms-cert pki/leaf.pem --cms-key enc.key --cms-chain pki/inter.pem --trust-ca pki/root.pem "$@"; }
	run --separate-stderr cms -o b.run </dev/null
	assert_status 3
	assert_stderr "'enc.key' is encrypted and no passphrase source is given (--cms-passin env:VAR, file:PATH or fd:N)"
	[[ ! -e b.run ]]
	PW=s3cret run cms -o b.run --passin env:PW -q
	assert_status 3
	PW=s3cret run cms -o b.run --cms-passin env:PW -q
	assert_status 0
	run "$IBPACK" verify b.run --trust-ca pki/root.pem
	assert_status 0
	printf 's3cret\n' >pw.txt
	run cms -o b2.run --cms-passin file:pw.txt -q
	assert_status 0
	run cms -o b3.run --cms-passin fd:5 -q 5<pw.txt
	assert_status 0
	PW=wrong run cms -o b4.run --cms-passin env:PW
	assert_status 3
	assert_output "cannot decrypt 'enc.key': wrong passphrase?"
	run cms -o b4.run --cms-passin pass:x
	assert_status 1
	assert_output "--cms-passin 'pass:x': expected env:VAR, file:PATH or fd:N"
	run "$IBPACK" build spec.json -k x.key --cms-passin env:PW -o b4.run
	assert_status 1
	assert_output "--cms-passin goes with --cms-key"
	# Both keys encrypted, each with its own source.
	openssl genpkey -algorithm ed25519 -aes-256-cbc -pass pass:other -out enc2.key 2>/dev/null
	chmod 600 enc2.key
	openssl pkey -in enc2.key -passin pass:other -pubout -out enc2.pub
	A=other B=s3cret run cms -k enc2.key --passin env:A --cms-passin env:B -o b5.run -q
	assert_status 0
	# The CMS key file's mode is checked as -k keys are.
	chmod 644 enc.key
	PW=s3cret run cms -o b6.run --cms-passin env:PW -q --strict-keys
	assert_status 3
	assert_output "private key 'enc.key' is readable by others"
}

@test "CMS: build with a certificate chain; stock openssl cms verifies the exported signature" {
	one_spec
	pki ec
	run "$IBPACK" build spec.json --cms-cert pki/leaf.pem --cms-key pki/leaf.key --cms-chain pki/inter.pem \
		--trust-ca pki/root.pem -o b.run
	assert_status 0
	assert_output "signed: cms (ecdsa-p256)" "CN=Driver Release Signing,O=ibpack test"
	leafid=$(openssl x509 -in pki/leaf.pem -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
	run --separate-stderr "$IBPACK" build spec.json --cms-cert pki/leaf.pem --cms-key pki/leaf.key \
		--cms-chain pki/inter.pem --trust-ca pki/root.pem -o b2.run --json
	assert_status 0
	json_assert "$output" "d['signed_by'] == ['$leafid']" "d['cms_signer'] == 'CN=Driver Release Signing,O=ibpack test'" \
		"d['unsigned'] is False" "d['threshold'] == 1"
	"$IBPACK" manifest b.run -o m.json
	"$IBPACK" signature b.run --cms -o m.p7s
	run openssl cms -verify -binary -inform DER -in m.p7s -content m.json -CAfile pki/root.pem -purpose any -out /dev/null
	assert_status 0
	run ./b.run --verify
	assert_status 0
	run --separate-stderr "$IBPACK" verify b.run --json --trust-ca pki/root.pem
	assert_status 0
	json_assert "$output" "d['signatures'][0]['algorithm'] == 'cms'" "d['signatures'][0]['key_id'] == '$leafid'" \
		"d['signatures'][0]['certificate']['subject'] == 'CN=Driver Release Signing,O=ibpack test'" \
		"d['signatures'][0]['certificate']['trusted_ca'] == 'CN=Test Root CA,O=ibpack test'" \
		"d['signatures'][0]['certificate']['chain_trusted'] is True" \
		"d['trust']['cas'][0]['subject'] == 'CN=Test Root CA,O=ibpack test'" "d['warnings'] == []"
	# the stub's --trust-ca replaces the embedded CA
	run ./b.run --verify --trust-ca pki/other.pem
	assert_status 2
	assert_output "does not lead to a trusted CA" "trusted CA 'CN=Other Root CA"
	run ./b.run --verify --trust-ca pki/inter.pem
	assert_status 0
	run "$IBPACK" verify b.run --trust-ca pki/other.pem
	assert_status 2
	run "$IBPACK" verify b.run --trust-ca pki/root.pem
	assert_status 0
}

@test "CMS: an RSA leaf signed with openssl cms is attached to an unsigned bundle" {
	one_spec
	pki rsa
	"$IBPACK" build spec.json --unsigned --trust-ca pki/root.pem -o u.run -q
	"$IBPACK" manifest u.run -o m.json
	openssl cms -sign -binary -noattr -md sha256 -in m.json -signer pki/leaf.pem -inkey pki/leaf.key \
		-certfile pki/inter.pem -outform DER -out m.p7s
	run "$IBPACK" attach-signature u.run m.p7s --cms
	assert_status 0
	assert_output "attached cms signature" "the stub accepts the bundle"
	run ./u.run --verify
	assert_status 0
	run --separate-stderr "$IBPACK" verify u.run --json --trust-ca pki/root.pem
	json_assert "$output" "d['signatures'][0]['certificate']['key'] == 'rsa-3072'" "d['verdict'] == 'valid'"
	# the same certificate again is a repeated key
	run "$IBPACK" attach-signature u.run m.p7s --cms
	assert_status 1
	assert_output "already carries a signature"
}

@test "CMS: a chain to another CA, a missing intermediate or a changed manifest is refused" {
	one_spec
	pki ec
	run "$IBPACK" build spec.json --cms-cert pki/leaf.pem --cms-key pki/leaf.key --cms-chain pki/inter.pem \
		--trust-ca pki/other.pem -o b.run
	assert_status 3
	assert_output "would not verify with its own stub" "does not lead to a trusted CA"
	[[ ! -e b.run ]]
	run "$IBPACK" build spec.json --cms-cert pki/leaf.pem --cms-key pki/leaf.key -o b.run
	assert_status 1
	assert_output "--cms-cert needs --trust-ca"
	run "$IBPACK" build spec.json --cms-cert pki/leaf.pem --cms-key pki/root.key --trust-ca pki/root.pem -o b.run
	assert_status 3
	assert_output "not the private key of the certificate"
	run "$IBPACK" build spec.json --unsigned --trust-ca pki/leaf.pem -o b.run
	assert_status 3
	assert_output "not a CA certificate"
	"$IBPACK" build spec.json --unsigned --trust-ca pki/root.pem -o u.run -q
	"$IBPACK" manifest u.run -o m.json
	# no intermediate in the CMS: the root alone cannot reach the leaf
	openssl cms -sign -binary -noattr -md sha256 -in m.json -signer pki/leaf.pem -inkey pki/leaf.key \
		-outform DER -out nochain.p7s
	run "$IBPACK" attach-signature u.run nochain.p7s --cms
	assert_status 2
	assert_output "does not lead to a trusted CA"
	# over other bytes
	echo '{}' >other.json
	openssl cms -sign -binary -noattr -md sha256 -in other.json -signer pki/leaf.pem -inkey pki/leaf.key \
		-certfile pki/inter.pem -outform DER -out other.p7s
	run "$IBPACK" attach-signature u.run other.p7s --cms
	assert_status 2
	assert_output "does not verify"
	# slipped in anyway: the stub refuses it
	raw_attach u.run 4 <(openssl x509 -in pki/leaf.pem -pubkey -noout) other.p7s
	run ./u.run --verify
	assert_status 2
	run "$IBPACK" verify u.run
	assert_status 2
	assert_output "does not verify"
}

@test "CMS: an expired certificate still verifies offline, with a warning in the report" {
	one_spec
	pki ec
	run "$IBPACK" build spec.json --cms-cert pki/expired.pem --cms-key pki/expired.key --cms-chain pki/inter.pem \
		--trust-ca pki/root.pem -o b.run
	assert_status 0
	run ./b.run --verify
	assert_status 0
	run --separate-stderr "$IBPACK" verify b.run --trust-ca pki/root.pem --json
	assert_status 0
	json_assert "$output" "d['signatures'][0]['certificate']['expired'] is True" \
		"'outside its validity period' in d['warnings'][0]"
	run --separate-stderr "$IBPACK" verify b.run --trust-ca pki/root.pem
	assert_status 0
	assert_stderr "warning" "validity period"
}

# ---- the stub's --trust ---------------------------------------------------------------------------

@test "stub --trust is repeatable and the rejection names the signer and the trusted keys" {
	one_spec
	keys k ed25519
	keys o1 ed25519
	keys o2 ecdsa-p256
	"$IBPACK" build spec.json -k k-ed25519.key -o b.run -q
	run ./b.run --verify --trust o1-ed25519.pub --trust o2-ecdsa-p256.pub
	assert_status 2
	assert_output "bundle is not signed by a key this stub trusts" \
		"signed by ed25519 key $(key_id k-ed25519 | cut -c1-16) (not trusted)" \
		"trusted: $(key_id o1-ed25519 | cut -c1-16), $(key_id o2-ecdsa-p256 | cut -c1-16)"
	run ./b.run --verify --trust o1-ed25519.pub --trust k-ed25519.pub
	assert_status 0
	run ./b.run --verify --trust-ca nosuch.pem
	[[ $status -ne 0 ]]
	assert_output "nosuch.pem"
}

@test "stub: an embedded threshold still applies with --trust" {
	one_spec
	keys a ed25519
	keys b ed25519
	"$IBPACK" build spec.json -k a-ed25519.key -k b-ed25519.key --threshold 2 -o b.run -q
	run ./b.run --verify --trust a-ed25519.pub
	assert_status 2
	assert_output "(2 signatures required)"
	run ./b.run --verify --trust a-ed25519.pub --trust b-ed25519.pub
	assert_status 0
}

# ---- verify --json: the report to archive ---------------------------------------------------------

@test "verify --json reports identity, trust, signers with their status, packages and verdict" {
	std_bundle
	keys x ed25519
	"$IBPACK" manifest b.run -o m.json
	osign ed25519 x-ed25519.key m.json x.sig
	"$IBPACK" attach-signature b.run x.sig --key x-ed25519.pub -q 2>/dev/null
	run --separate-stderr "$IBPACK" verify b.run --json -p k.pub
	assert_status 0
	eval "$(regions b.run)"
	json_assert "$output" "d['verdict'] == 'valid'" "d['file_sha256'] == '$(sha b.run)'" \
		"d['manifest_sha256'] == '$(sha m.json)'" "d['size'] == d['file_size'] == $(stat -c %s b.run)" \
		"d['name'] == 'testbundle'" "d['version'] == '1.2.3'" "d['sequence'] == 7" \
		"d['stub_size'] == $STUB_LEN" "len(d['checked_at']) == 20" "d['ibpack_version']" \
		"d['trust']['source'] == 'command line'" "d['embedded_trust']['keys'][0]['key_id'] == '$(key_id k)'" \
		"[k['key_id'] for k in d['trust']['keys']] == ['$(key_id k)']" "d['trust']['threshold'] == 1" \
		"[(s['key_id'], s['status']) for s in d['signatures']] == [('$(key_id k)', 'counted'), ('$(key_id x-ed25519)', 'untrusted')]" \
		"d['packages'][0]['offset'] == $PKG_OFF_ofed_ubuntu" "d['packages'][0]['length'] == $PKG_LEN_ofed_ubuntu"
	# every package hash is the SHA-256 of its bytes in the file
	blob=$(dd if=b.run bs=1 skip="$PKG_OFF_ofed_rhel" count="$PKG_LEN_ofed_rhel" status=none | sha256sum | cut -c1-64)
	json_assert "$output" "d['packages'][2]['sha256'] == '$blob'"
	# the human form prints the file hash to compare with an approved one
	run "$IBPACK" verify b.run
	assert_output "sha256 $(sha b.run)"
	# with -p the source is the command line, and the stub's keys do not count
	run --separate-stderr "$IBPACK" verify b.run --json -p x-ed25519.pub
	assert_status 0
	json_assert "$output" "d['trust']['source'] == 'command line'" \
		"[s['status'] for s in d['signatures']] == ['untrusted', 'counted']"
	run "$IBPACK" verify b.run -p x-ed25519.pub -p k.pub --threshold 2
	assert_status 0
	run "$IBPACK" verify b.run --threshold 2
	assert_status 1
}

@test "verify --json of an untrusted bundle still lists the signers, and no package" {
	std_bundle
	keys x ed25519
	run --separate-stderr "$IBPACK" verify b.run --json -p x-ed25519.pub
	assert_status 2
	json_assert "$output" "d['verdict'] == 'invalid'" "'not signed by a trusted key' in d['failure']" \
		"[s['status'] for s in d['signatures']] == ['untrusted']" "'packages' not in d" \
		"d['file_sha256'] == '$(sha b.run)'"
	run --separate-stderr "$IBPACK" verify nosuch.run --json
	assert_status 3
	json_assert "$output" "d['verdict'] == 'invalid'" "'nosuch.run' in d['failure']"
}

# ---- reproducibility: the README's "Rebuilding and comparing an approved bundle" --------------------

@test "rebuild an approved bundle from its own stub and creation time: identical file, or identical manifest" {
	one_spec
	keys k ed25519 ecdsa-p256
	SOURCE_DATE_EPOCH=1700000000 "$IBPACK" build spec.json -k k-ed25519.key -o approved.run -q
	"$IBPACK" verify approved.run --json -p k-ed25519.pub >approved.json
	# the recipe, as the README gives it, in another directory
	mkdir -p re/elsewhere
	cp -a spec.json pkgs re/elsewhere/
	cd re/elsewhere
	head -c "$(python3 -c 'import json; print(json.load(open("../../approved.json"))["stub_size"])')" ../../approved.run >stub
	created=$(python3 -c 'import json; print(json.load(open("../../approved.json"))["created"])')
	SOURCE_DATE_EPOCH=$(date -ud "$created" +%s) "$IBPACK" build spec.json -k ../../k-ed25519.key --stub stub -o rebuilt.run -q
	[[ $(sha rebuilt.run) == $(json_get "$(cat ../../approved.json)" "d['file_sha256']") ]]
	cd "$WORK"
	# ECDSA signatures are randomised: compare the signed bytes of an unsigned rebuild instead
	SOURCE_DATE_EPOCH=1700000000 "$IBPACK" build spec.json -k k-ecdsa-p256.key -o a2.run -q
	SOURCE_DATE_EPOCH=1700000000 "$IBPACK" build spec.json -k k-ecdsa-p256.key -o b2.run -q
	run cmp -s a2.run b2.run
	[[ $status -ne 0 ]]
	SOURCE_DATE_EPOCH=1700000000 "$IBPACK" build spec.json --unsigned --trust k-ecdsa-p256.pub -o u2.run -q
	"$IBPACK" manifest a2.run -o a.json
	"$IBPACK" manifest u2.run -o u.json
	cmp a.json u.json
	# and a changed package file shows up as a different manifest
	echo changed >>pkgs/drv/README
	SOURCE_DATE_EPOCH=1700000000 "$IBPACK" build spec.json --unsigned --trust k-ecdsa-p256.pub -o u3.run -q
	"$IBPACK" manifest u3.run -o u3.json
	run cmp -s a.json u3.json
	[[ $status -ne 0 ]]
}
