#!/usr/bin/env bats
# Bills of materials: per-file hashes in the signed manifest (checked at extraction), ibpack sbom
# (CycloneDX 1.5, validated by the official CycloneDX JavaScript library), build --sbom,
# verify --sbom, and the stub's embedded build info.

load helpers

VALIDATOR=$IBPACK_BUILD/cyclonedx

# The CycloneDX library (npm, versions pinned in tests/sbom/package-lock.json) into
# build/cyclonedx, once; without the npm registry the validation tests skip and say why.
setup_file() {
	if ! bash "$REPO/tests/sbom/setup.sh" "$VALIDATOR" >"$BATS_FILE_TMPDIR/npm.log" 2>&1; then
		echo "npm ci failed" >"$BATS_FILE_TMPDIR/no-validator"
	fi
}

need_validator() {
	[[ ! -f $BATS_FILE_TMPDIR/no-validator ]] ||
		skip "the CycloneDX library could not be installed from the npm registry: $(tail -3 "$BATS_FILE_TMPDIR/npm.log" | tr '\n' ' ')"
}

# validate FILE...: every file is valid CycloneDX 1.5 for JsonStrictValidator.
validate() {
	run node "$VALIDATOR/validate.js" "$@"
	assert_status 0
}

# sbom_files SBOM: "sha256  package-id/path" for every file component (sha256sum's format).
sbom_files() {
	py - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["components"]:
    for f in c.get("components", []):
        if f["type"] == "file":
            pid = c["bom-ref"].split(":", 1)[1]
            print("%s  %s/%s" % (f["hashes"][0]["content"], pid, f["name"]))
PY
}

# resign IN OUT KEY PYCODE: see tests/bats/resign.py.
resign() { py "$BATS_TEST_DIRNAME/resign.py" "$@"; }

# A package with non-ASCII names, an empty file, an executable and a nested directory.
unicode_spec() {
	mkdir -p "pkgs/intl/données/sub" pkgs/empty
	printf 'grüße\n' >"pkgs/intl/données/café.txt"
	printf 'x' >"pkgs/intl/données/sub/日本語.bin"
	: >"pkgs/intl/leer"
	printf '#!/bin/sh\nexit 0\n' >pkgs/intl/install.sh
	chmod 755 pkgs/intl/install.sh
	: >pkgs/empty/empty.txt
	new_spec
	spec_pkg intl debian-12 cx5 source=pkgs/intl json='{"vendor": "Exämple GmbH", "kind": "firmware"}'
	spec_pkg empty debian-12 cx6 source=pkgs/empty compression=gzip
	write_spec spec.json
}

@test "sbom: build --sbom and ibpack sbom give the same document, byte for byte, every time" {
	std_spec
	key k
	export SOURCE_DATE_EPOCH=1767225600
	run "$IBPACK" build spec.json -k k.key -o b.run --sbom b.cdx.json -q
	assert_status 0
	run "$IBPACK" sbom b.run -o again.json
	assert_status 0
	cmp b.cdx.json again.json
	"$IBPACK" sbom b.run >stdout.json
	cmp b.cdx.json stdout.json
	# another directory, another file order and umask: the same bundle, so the same document
	mkdir other && cp -a pkgs spec.json k.key k.pub other/ && cd other
	touch pkgs/*/doc/notes.txt
	(umask 077 && "$IBPACK" build spec.json -k k.key -o b.run --sbom b.cdx.json -q)
	cmp ../b.cdx.json b.cdx.json
	# without SOURCE_DATE_EPOCH the timestamp is the bundle's creation time
	unset SOURCE_DATE_EPOCH
	"$IBPACK" sbom b.run -o later.json
	cmp b.cdx.json later.json
	# signed elsewhere: the document written with the unsigned build is the signed bundle's
	(export SOURCE_DATE_EPOCH=1767225600 &&
		"$IBPACK" build spec.json --unsigned --trust k.pub -o u.run --sbom u.cdx.json -q)
	"$IBPACK" manifest u.run -o u.json
	openssl pkeyutl -sign -inkey k.key -rawin -in u.json -out u.sig
	"$IBPACK" attach-signature u.run u.sig --key k.pub
	"$IBPACK" sbom u.run -o u2.cdx.json
	cmp u.cdx.json u2.cdx.json
	json_assert "$(cat b.cdx.json)" 'd["metadata"]["timestamp"] == "2026-01-01T00:00:00Z"' \
		'd["specVersion"] == "1.5" and d["bomFormat"] == "CycloneDX"' \
		'd["serialNumber"].startswith("urn:uuid:")'
}

@test "sbom: components, hashes, match rules and graph come from the signed manifest" {
	unicode_spec
	build_bundle
	run "$IBPACK" sbom b.run -o s.json
	assert_status 0
	"$IBPACK" manifest b.run -o m.json
	py - <<'PY'
import hashlib, json
s = json.load(open("s.json")); m = json.load(open("m.json"))
comps = {c["bom-ref"]: c for c in s["components"]}
mc = s["metadata"]["component"]
assert mc["name"] == m["name"] and mc["version"] == m["version"], mc
props = {p["name"]: p["value"] for p in mc["properties"]}
assert props["ibpack:sequence"] == str(m["sequence"]) and props["ibpack:target"] == "linux-x86_64"
assert props["ibpack:manifest-sha256"] == hashlib.sha256(open("m.json", "rb").read()).hexdigest()
for p in m["packages"]:
    c = comps["package:" + p["id"]]
    assert c["name"] == p["name"] and c["version"] == p["version"]
    assert c["hashes"] == [{"alg": "SHA-256", "content": p["blob"]["sha256"]}]
    pp = [(x["name"], x["value"]) for x in c["properties"]]
    assert ("ibpack:match:os", "debian-12") in pp and ("ibpack:package-id", p["id"]) in pp, pp
    files = [(f["name"], f["hashes"][0]["content"]) for f in c["components"]]
    assert files == [(f["path"], f["sha256"]) for f in p["files"]], files
intl = comps["package:intl"]
assert intl["type"] == "firmware" and intl["supplier"]["name"] == "Exämple GmbH", intl
assert comps["package:empty"]["type"] == "device-driver" and "supplier" not in comps["package:empty"]
names = [f["name"] for f in intl["components"]]
assert names == ["données/café.txt", "données/sub/日本語.bin", "install.sh", "leer"], names
modes = {f["name"]: dict((x["name"], x["value"]) for x in f["properties"]) for f in intl["components"]}
assert modes["install.sh"]["ibpack:mode"] == "0755" and modes["leer"]["ibpack:size"] == "0", modes
e = comps["package:empty"]["components"]
assert [f["name"] for f in e] == ["empty.txt"] and e[0]["hashes"][0]["content"] == hashlib.sha256(b"").hexdigest()
stub = comps["stub"]
assert stub["type"] == "application" and stub["hashes"][0]["content"] == m["stub"]["sha256"]
graph = {g["ref"]: g.get("dependsOn", []) for g in s["dependencies"]}
assert sorted(graph["bundle:testbundle"]) == ["package:empty", "package:intl", "stub"], graph
PY
}

@test "sbom: every file hash equals sha256sum of the extracted file (ibpack extract and the stub)" {
	unicode_spec
	build_bundle
	"$IBPACK" sbom b.run -o s.json
	sbom_files s.json | sort >expected
	[[ $(wc -l <expected) -eq 5 ]]
	run "$IBPACK" extract b.run -o layout
	assert_status 0
	(cd layout && find . -type f -printf '%P\0' | sort -z | xargs -0 sha256sum) | sort >got
	diff expected got
	run stub ./b.run --extract stubout
	assert_status 0
	(cd stubout && find . -type f -printf '%P\0' | sort -z | xargs -0 sha256sum) | sort >got2
	diff expected got2
}

@test "sbom: a re-signed manifest with one wrong file hash is refused at extraction" {
	unicode_spec
	build_bundle
	resign b.run bad.run k '
f = m["packages"][0]["files"][1]
f["sha256"] = "0" * 64'
	# every signature and chunk still checks
	run "$IBPACK" verify bad.run
	assert_status 0
	run --separate-stderr "$IBPACK" extract bad.run -o out --package intl
	assert_status 2
	assert_stderr "package 'intl': 'données/sub/日本語.bin' does not match its signed sha256"
	dir_empty out
	run --separate-stderr stub ./bad.run --extract out2 --package intl
	assert_status 2
	assert_stderr "does not match its signed sha256"
	[[ ! -e out2/intl ]]
	# the other package is intact and still extracts
	run "$IBPACK" extract bad.run -o out --package empty
	assert_status 0
	# no bill of materials is made from, or approves, a file list the payload contradicts
	run --separate-stderr "$IBPACK" sbom bad.run -o s.json
	assert_status 2
	assert_stderr "'données/sub/日本語.bin' does not match its signed sha256"
	[[ ! -e s.json ]]
	"$IBPACK" sbom b.run -o good.json
	py - <<'PY'
import json
d = json.load(open("good.json"))
for c in d["components"]:
    for f in c.get("components", []):
        if f["name"].endswith(".bin"):
            f["hashes"][0]["content"] = "0" * 64
json.dump(d, open("claims.json", "w"))
PY
	run --separate-stderr "$IBPACK" verify bad.run --sbom claims.json
	assert_status 2
	assert_stderr "does not match its signed sha256"
}

@test "sbom: a file list that disagrees with the archive in path, size, mode or count is refused" {
	unicode_spec
	build_bundle
	local change
	for change in 'f[0]["path"] = "données/cafe.txt"' \
		'f[2]["mode"] = "0644"' \
		'f[0]["size"] += 1; m["packages"][0]["unpacked_size"] += 1' \
		'f.append({"path": "extra", "size": 0, "mode": "0644", "sha256": "0" * 64}); m["packages"][0]["file_count"] += 1' \
		'del f[3]'; do
		resign b.run bad.run k "f = m['packages'][0]['files']; $change"
		rm -rf out && mkdir out
		run --separate-stderr "$IBPACK" extract bad.run -o out --package intl
		assert_status 2
		assert_stderr "package 'intl'"
		dir_empty out
	done
	# a list that breaks the manifest's own rules is a malformed manifest
	local why
	while IFS='|' read -r change why; do
		resign b.run bad.run k "f = m['packages'][0]['files']; $change"
		run --separate-stderr "$IBPACK" list bad.run
		assert_status 2
		assert_stderr "$why"
	done <<'EOF'
f[0]["size"] += 1|packages[0].files[2].size: the files add up to more than unpacked_size
f[0]["size"] -= 1|packages[0].files: the sizes do not add up to unpacked_size
f[0]["mode"] = "0777"|packages[0].files[0].mode: expected "0644" or "0755"
f[0]["path"] = "../escape"|packages[0].files[0].path: not a safe relative path
EOF
}

@test "sbom: a manifest without the file list (older builders) still extracts and is described" {
	unicode_spec
	build_bundle
	resign b.run old.run k 'for p in m["packages"]: del p["files"]'
	run "$IBPACK" extract old.run -o out
	assert_status 0
	run "$IBPACK" sbom old.run -o s.json
	assert_status 0
	json_assert "$(cat s.json)" 'all("components" not in c for c in d["components"] if c["bom-ref"].startswith("package:"))'
}

@test "sbom: verify --sbom accepts the bundle's own document and rejects one changed hash or component" {
	unicode_spec
	build_bundle
	"$IBPACK" sbom b.run -o s.json
	run "$IBPACK" verify b.run --sbom s.json
	assert_status 0
	assert_output "bill of materials s.json describes it exactly"
	run "$IBPACK" verify b.run --sbom s.json --json
	assert_status 0
	json_assert "$output" 'd["sbom_matches"] is True' 'd["verdict"] == "valid"'
	# a reviewer's tools may reorder lists and reformat: still the same bill of materials
	py - <<'PY'
import json
d = json.load(open("s.json"))
d["components"].reverse()
for c in d["components"]:
    c.get("properties", []).reverse()
    for h in c.get("hashes", []):
        h["content"] = h["content"].upper()
json.dump(d, open("reordered.json", "w"), separators=(",", ":"))
PY
	run "$IBPACK" verify b.run --sbom reordered.json
	assert_status 0
	local change
	while IFS='|' read -r change why; do
		py - "$change" <<'PY'
import json, sys
d = json.load(open("s.json"))
comps = {c["bom-ref"]: c for c in d["components"]}
files = {f["bom-ref"]: f for c in d["components"] for f in c.get("components", [])}
exec(sys.argv[1])
json.dump(d, open("changed.json", "w"), indent=1)
PY
		run --separate-stderr "$IBPACK" verify b.run --sbom changed.json
		assert_status 2
		assert_stderr "the bill of materials 'changed.json' does not describe this bundle" "$why"
		run --separate-stderr "$IBPACK" verify b.run --sbom changed.json --json
		assert_status 2
		json_assert "$output" 'd["sbom_matches"] is False' 'd["verdict"] == "invalid"'
	done <<'EOF'
files["package:intl:file:leer"]["hashes"][0]["content"] = "1" * 64|component 'package:intl:file:leer' has other hashes
h = comps["package:intl"]["hashes"][0]; h["content"] = ("0" if h["content"][0] != "0" else "1") + h["content"][1:]|component 'package:intl' has other hashes
comps["package:empty"]["version"] = "9.9"|component 'package:empty' has another version
comps["package:intl"]["supplier"]["name"] = "Someone Else"|component 'package:intl' has another supplier
d["components"] = [c for c in d["components"] if c["bom-ref"] != "package:empty"]|component 'package:empty' is missing
comps["package:intl"]["components"].append({"type": "file", "bom-ref": "package:intl:file:x", "name": "x"})|component 'package:intl:file:x' is not in the bundle
comps["package:intl"]["properties"][1]["value"] = "ubuntu-22.04"|component 'package:intl' has other properties
d["dependencies"] = d["dependencies"][1:]|the dependency graph differs
comps["stub"]["hashes"][0]["content"] = "2" * 64|component 'stub' has other hashes
EOF
	# not a bill of materials at all
	echo '{"spdxVersion": "SPDX-2.3"}' >spdx.json
	run --separate-stderr "$IBPACK" verify b.run --sbom spdx.json
	assert_status 2
	assert_stderr "not a CycloneDX JSON document"
	run --separate-stderr "$IBPACK" verify b.run --sbom missing.json
	assert_status 2
	assert_stderr "missing.json"
}

@test "sbom: only a valid bundle is described (exit 2, nothing written)" {
	std_bundle
	eval "$(regions b.run)"
	cp b.run bad.run
	flip bad.run $((PKG_OFF_ofed_rhel + 10))
	run --separate-stderr "$IBPACK" sbom bad.run -o s.json
	assert_status 2
	assert_stderr "chunk"
	[[ ! -e s.json ]]
	cp b.run stubbad.run
	flip stubbad.run 100
	run --separate-stderr "$IBPACK" sbom stubbad.run -o s.json
	assert_status 2
	[[ ! -e s.json ]]
	# another signer: not trusted by the stub's keys, nor by -p
	key other
	run --separate-stderr "$IBPACK" sbom b.run -p other.pub
	assert_status 2
	assert_stderr "not signed by a trusted key"
	run "$IBPACK" sbom b.run -p k.pub -o s.json
	assert_status 0
	# verify's anchors: two keys required, only one signed
	run --separate-stderr "$IBPACK" sbom b.run -p k.pub -p other.pub --threshold 2
	assert_status 2
	run "$IBPACK" sbom b.run --threshold 2
	assert_status 1
	run "$IBPACK" sbom b.run --format spdx
	assert_status 1
	run "$IBPACK" sbom
	assert_status 1
}

@test "sbom: spec kind and vendor are checked and reach the manifest; non-UTF-8 names are refused" {
	make_pkg pkgs/a a
	new_spec
	spec_pkg a debian-12 cx5 source=pkgs/a json='{"kind": "driver"}'
	write_spec spec.json
	key k
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o b.run
	assert_status 3
	assert_stderr 'packages[0].kind: expected "device-driver", "firmware", "application" or "library"'
	new_spec
	spec_pkg a debian-12 cx5 source=pkgs/a json='{"kind": "application", "vendor": "ACME"}'
	write_spec spec.json
	build_bundle
	"$IBPACK" manifest b.run -o m.json
	json_assert "$(cat m.json)" 'd["packages"][0]["kind"] == "application"' 'd["packages"][0]["vendor"] == "ACME"'
	touch "pkgs/a/$(printf 'bad\xffname')"
	run --separate-stderr "$IBPACK" build spec.json -k k.key -o c.run
	assert_status 3
	assert_stderr "file names must be UTF-8"
}

@test "sbom: the stub's build info names its libraries from deps/pins, with purls and patches" {
	run "$STUB" --version --json
	assert_status 0
	echo "$output" >info.json
	std_bundle
	"$IBPACK" sbom b.run -o s.json
	py - "$REPO/deps/pins" "$IBPACK_BUILD" <<'PY'
import json, os, sys, urllib.parse
info = json.load(open("info.json"))
s = json.load(open("s.json"))
stub = [c for c in s["components"] if c["bom-ref"] == "stub"][0]
props = {p["name"]: p["value"] for p in stub["properties"]}
assert props["ibpack:linkage"] == info["linkage"], (props, info["linkage"])
if info["linkage"] == "system":
    # a sanitizer build links the distribution's libraries and records none
    assert "components" not in stub and info["dependencies"] == []
    sys.exit(0)
pins = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
deps = {c["name"]: c for c in stub["components"]}
assert sorted(deps) == sorted(p[0] for p in pins), deps.keys()
for name, srcpkg, ver, orig, sha in pins:
    c = deps[name]
    assert c["type"] == "library" and c["version"] == ver
    assert c["hashes"] == [{"alg": "SHA-256", "content": sha}]
    epoch, _, v = ver.rpartition(":")
    purl = "pkg:deb/debian/%s@%s" % (srcpkg, urllib.parse.quote(v, safe=".~-")) + ("?epoch=" + epoch if epoch else "")
    assert c["purl"] == purl, (c["purl"], purl)
    listed = [i["name"] for i in info["dependencies"] if i["name"] == name]
    assert listed == [name]
    want = [i for i in info["dependencies"] if i["name"] == name][0]["patches"]
    got = [p["diff"]["url"].rsplit("/", 1)[1] for p in c.get("pedigree", {}).get("patches", [])]
    assert got == want, (name, got, want)
    for p in c.get("pedigree", {}).get("patches", []):
        if "CVE-" in p["diff"]["url"]:
            assert p["resolves"][0]["id"].startswith("CVE-"), p
graph = {g["ref"]: g.get("dependsOn", []) for g in s["dependencies"]}
assert sorted(graph["stub:libarchive"]) == ["stub:zlib", "stub:zstd"], graph
PY
}

@test "sbom: build info generator: patch list, epochs, missing list, bad input" {
	printf 'libarchive\tCVE-2024-26256.patch\nlibarchive\tfix-2.patch\ncjson\tCVE-2023-50471.patch\nzstd\tupstream/fix.patch\n' >patches.tsv
	bash "$REPO/deps/buildinfo.sh" linux-x86_64 1.2.3 static "$REPO/deps/pins" patches.tsv >bi.c
	cc -std=c11 -Wall -Wextra -Werror -Wmissing-prototypes -c bi.c -o bi.o
	py - <<'PY'
import json, re
src = open("bi.c").read()
text = "".join(re.findall(r'^\t"(.*)"', src, re.M)).encode().decode("unicode_escape")
assert text.startswith("IBPACK-BUILDINFO-v1\n")
d = json.loads(text.split("\n", 1)[1])
deps = {x["name"]: x for x in d["dependencies"]}
assert deps["libarchive"]["patches"] == ["CVE-2024-26256.patch", "fix-2.patch"]
assert deps["cjson"]["patches"] == ["CVE-2023-50471.patch"] and deps["zlib"]["patches"] == []
assert deps["zstd"]["patches"] == ["upstream/fix.patch"]
assert deps["zlib"]["epoch"] == "1" and deps["zlib"]["upstream_version"] == "1.2.13.dfsg"
assert deps["openssl"]["debian_revision"] == "1~deb12u2" and deps["libarchive"]["uses"] == ["zlib", "zstd"]
PY
	# the patch list may not exist yet: empty lists
	bash "$REPO/deps/buildinfo.sh" linux-x86_64 1.2.3 static "$REPO/deps/pins" no-such.tsv >bi2.c
	grep -q '\\"patches\\":\[\]' bi2.c
	! grep -q 'CVE-' bi2.c
	printf 'libarchive\tevil"name.patch\n' >evil.tsv
	run bash "$REPO/deps/buildinfo.sh" linux-x86_64 1.2.3 static "$REPO/deps/pins" evil.tsv
	assert_status 1
}

@test "sbom: the CycloneDX library validates every shipped spec's bundle and the edge cases" {
	need_validator
	key k
	local spec name
	for spec in "$REPO"/bundles/*.json; do
		name=$(basename "$spec" .json)
		mkdir -p "shipped/$name"
		# vendor files cannot ship: stand-ins at the spec's source paths (the bill of materials
		# has the same shape); the real Debian packages are used when make bundle fetched them
		py - "$spec" "shipped/$name" "$REPO/bundles" <<'PY'
import json, os, shutil, sys
spec, d, bundles = sys.argv[1:]
doc = json.load(open(spec))
for p in doc["packages"]:
    src = os.path.join(d, p["source"])
    real = os.path.join(bundles, p["source"])
    # a stand-in cannot have the vendor file's pinned hash
    p.pop("sha256", None)
    if "artifact" in p and not (os.path.isdir(real) and os.listdir(real)):
        os.makedirs(src, exist_ok=True)
        open(os.path.join(src, p["artifact"]), "w").write("stand-in for %s\n" % p["id"])
        continue
    if os.path.isdir(real) and os.listdir(real):
        shutil.copytree(real, src)
    elif p["source"].endswith("/debian-rdma-core"):
        os.makedirs(src)
        shutil.copy(os.path.join(bundles, "debian-rdma-core/install.sh"), src)
        open(os.path.join(src, "stand-in.deb"), "w").write("stand-in\n")
    else:
        os.makedirs(os.path.dirname(src), exist_ok=True)
        open(src, "w").write("stand-in for %s\n" % p["id"])
json.dump(doc, open(os.path.join(d, "spec.json"), "w"))
PY
		if [[ $name == *windows* && ! -f $IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe ]]; then
			echo "# no Windows stub: $name skipped (make stub-windows)" >&3
			continue
		fi
		run "$IBPACK" build "shipped/$name/spec.json" -k k.key -o "$name.run" --sbom "$name.cdx.json" -q
		assert_status 0
	done
	unicode_spec
	build_bundle spec.json intl.run
	"$IBPACK" sbom intl.run -o intl.cdx.json
	# Debian patches in the stub's build info (what a deps build that applies the series records):
	# a copy of the stub whose build info lists some, in the space the shortened fields leave
	# (a sanitizer build's stub links system libraries and lists none: nothing to patch)
	if [[ $("$STUB" --version --json) == *'"linkage":"static"'* ]]; then
		py - "$STUB" patched-stub <<'PY'
import json, sys
data = bytearray(open(sys.argv[1], "rb").read())
magic = b"IBPACK-BUILDINFO-v1\n"
at = data.index(magic) + len(magic)
end = data.index(b"\0", at)
info = json.loads(data[at:end])
for d in info["dependencies"]:
    d["source_tarball"] = d["name"]
    d["patches"] = {"libarchive": ["CVE-2024-26256.patch", "CVE-2024-48957-48958.patch", "fix-tests.patch"],
                    "cjson": ["CVE-2023-50471.patch"]}.get(d["name"], [])
text = json.dumps(info, separators=(",", ":")).encode()
assert len(text) <= end - at, (len(text), end - at)
data[at:end] = text + bytes(end - at - len(text))
open(sys.argv[2], "wb").write(data)
PY
		"$IBPACK" build spec.json -k k.key --stub patched-stub -o patched.run -q
		"$IBPACK" sbom patched.run -o patched.cdx.json
		py - <<'PY'
import json
d = json.load(open("patched.cdx.json"))
stub = [c for c in d["components"] if c["bom-ref"] == "stub"][0]
libs = {c["name"]: c for c in stub["components"]}
patches = libs["libarchive"]["pedigree"]["patches"]
assert [p["diff"]["url"].rsplit("/", 1)[1] for p in patches] == \
    ["CVE-2024-26256.patch", "CVE-2024-48957-48958.patch", "fix-tests.patch"], patches
assert patches[0]["diff"]["url"] == \
    "https://sources.debian.org/src/libarchive/3.6.2-1+deb12u5/debian/patches/CVE-2024-26256.patch"
assert [r["id"] for r in patches[0]["resolves"]] == ["CVE-2024-26256"]
assert [r["id"] for r in patches[1]["resolves"]] == ["CVE-2024-48957"], patches[1]
assert "resolves" not in patches[2] and patches[0]["type"] == "backport"
assert "pedigree" not in libs["zlib"]
props = {p["name"]: p["value"] for p in libs["libarchive"]["properties"]}
assert props["ibpack:debian-patches-applied"] == "3"
PY
	fi
	validate ./*.cdx.json
	assert_output "intl.cdx.json: valid CycloneDX 1.5" "azure-hpc-linux.cdx.json: valid" "debian-rdma-core.cdx.json: valid"
	json_assert "$(cat azure-hpc-linux.cdx.json)" \
		'all(c["supplier"]["name"] == "NVIDIA" for c in d["components"] if c["bom-ref"].startswith("package:"))'
	# the Windows stub carries its build info too (the same pins, cross-built)
	if [[ -f azure-hpc-windows.cdx.json ]]; then
		json_assert "$(cat azure-hpc-windows.cdx.json)" \
			'[c for c in d["components"] if c["bom-ref"] == "stub"][0]["properties"][0]["value"] == "windows-x86_64"' \
			'any(l["purl"].startswith("pkg:deb/debian/libarchive@") for c in d["components"] if c["bom-ref"] == "stub" for l in c["components"])'
	fi
	# the validator does catch a broken document
	py - <<'PY'
import json
d = json.load(open("intl.cdx.json"))
d["components"][0]["hashes"][0]["alg"] = "SHA-257"
json.dump(d, open("broken.json", "w"))
PY
	run node "$VALIDATOR/validate.js" broken.json
	assert_status 1
	assert_output "INVALID" "hash-alg"
}
