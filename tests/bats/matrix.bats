#!/usr/bin/env bats
# The real driver matrix (bundles/*.json against bundles/matrix-expected.tsv), detection cases
# that rows cannot express (shared VF ids, Ethernet VFs, two NICs, ND plus SR-IOV), the reason
# texts, and the air-gap commands `ibpack fetch-list` and `ibpack check`.

load helpers

WIN_SPEC=$REPO/bundles/azure-hpc-windows.json
LINUX_SPEC=$REPO/bundles/azure-hpc-linux.json
WIN26=$REPO/bundles/hpc-windows-2026.json
LINUX26=$REPO/bundles/hpc-linux-2026.json
MATRIX=$REPO/bundles/matrix-expected.tsv

# check_matrix SPEC: runs `ibpack plan SPEC --os OS [--nic NIC] [--kernel K] --json` for every
# TSV row of SPEC (its file name without .json) and prints every mismatch (package id, exit
# code, reason text) at once. Expected values -> exit codes (docs/SPEC.md, "Selection"):
#   package id          0
#   no-device           Linux 11, Windows 100   (no InfiniBand device)
#   nic-not-in-bundle   Linux 11, Windows 100   (no package lists the NIC)
#   unsupported-os      Linux 12, Windows 100   (no package lists the OS)
#   unsupported-nic     Linux 12, Windows 100   (the NIC is supported, not on this OS)
#   kernel_unsupported  Linux 12, Windows 100   (OS and NIC match, no package fits the kernel)
check_matrix() {
	py - "$IBPACK" "$1" "$MATRIX" <<'PY'
import fnmatch, json, os, subprocess, sys
ibpack, spec, matrix = sys.argv[1:]
name = os.path.basename(spec)[:-len(".json")]
doc = json.load(open(spec))
win = doc["target"] == "windows-x86_64"
codes = {"no-device": 100 if win else 11, "nic-not-in-bundle": 100 if win else 11,
         "unsupported-os": 100 if win else 12, "unsupported-nic": 100 if win else 12,
         "kernel_unsupported": 100 if win else 12}
allowed = {0, 100} if win else {0, 11, 12}
nics = "cx3 cx3pro cib cx4 cx4lx cx5 cx5ex cx6 cx6dx cx6lx cx7 cx8 bf2 bf3 nd none".split()
rows, bad = [], []
with open(matrix) as f:
    header = f.readline().rstrip("\n").split("\t")
    assert header == ["spec", "os", "nic", "kernel", "expected"], header
    for line in f:
        s, os_, nic, kernel, exp = line.rstrip("\n").split("\t")
        if s == name:
            rows.append((os_, nic, kernel, exp))
# The TSV covers every OS entry of the spec (a pattern through a token it matches), each OS and
# kernel with every NIC token and "none".
spec_oses = {o for p in doc["packages"] for o in p["match"]["os"]}
ids = {p["id"] for p in doc["packages"]}
for o in sorted(spec_oses):
    if not any(fnmatch.fnmatchcase(r[0], o) for r in rows):
        bad.append("OS %s of the spec has no rows" % o)
for ok in sorted({(r[0], r[2]) for r in rows}):
    have = sorted(r[1] for r in rows if (r[0], r[2]) == ok)
    if have != sorted(nics):
        bad.append("OS %s kernel %s: NIC rows %s, expected %s" % (ok[0], ok[1], have, sorted(nics)))
for os_, nic, kernel, exp in rows:
    args = [ibpack, "plan", spec, "--os", os_, "--json"] + ([] if nic == "none" else ["--nic", nic]) + \
        ([] if kernel == "-" else ["--kernel", kernel])
    r = subprocess.run(args, capture_output=True, text=True)
    where = "%s %s %s kernel %s (expected %s)" % (name, os_, nic, kernel, exp)
    try:
        d = json.loads(r.stdout)
    except ValueError:
        bad.append("%s: exit %d, not JSON: %s %s" % (where, r.returncode, r.stdout, r.stderr))
        continue
    want_code = 0 if exp in ids else codes.get(exp)
    if want_code is None:
        bad.append("%s: unknown expected value" % where)
        continue
    if r.returncode not in allowed:
        bad.append("%s: exit %d is not a %s exit code" % (where, r.returncode, doc["target"]))
    if r.returncode != want_code or d["exit_code"] != want_code:
        bad.append("%s: exit %d, want %d; %s" % (where, r.returncode, want_code, d["reason"]))
    got = d["package"]
    if (got or None) != (exp if exp in ids else None):
        bad.append("%s: package %s; %s" % (where, got, d["reason"]))
    if exp not in ids and d["result"] != exp:
        bad.append("%s: result %s" % (where, d["result"]))
    reason = d["reason"]
    need = {"no-device": "no InfiniBand device found",
            "nic-not-in-bundle": "is not supported by any package in this bundle",
            "unsupported-os": "%s is not supported by this bundle" % os_,
            "unsupported-nic": "is not supported on %s by this bundle; supported there: " % os_,
            "kernel_unsupported": "no package of this bundle fits kernel %s on %s" % (kernel, os_)}.get(
                exp, "package '%s' matches" % exp)
    if need not in reason:
        bad.append("%s: reason lacks %r: %s" % (where, need, reason))
print("%d rows checked, %d mismatches" % (len(rows), len(bad)))
for b in bad:
    print("MISMATCH " + b)
sys.exit(1 if bad or not rows else 0)
PY
}

# A Linux bundle with the shipped Linux spec's rules, each vendor file replaced by a stand-in
# (only --detect runs, nothing is installed). Built once per file.
setup_file() {
	local d=$BATS_FILE_TMPDIR/real
	mkdir -p "$d/vendor"
	py - "$LINUX_SPEC" "$d" <<'PY'
import json, sys
spec, d = sys.argv[1:]
doc = json.load(open(spec))
for p in doc["packages"]:
    open("%s/%s" % (d, p["source"]), "w").write("stand-in for %s\n" % p["id"])
json.dump(doc, open(d + "/linux.json", "w"))
# The same rules plus a ConnectX-7 package and an ND package (after the OFED ones, priority 0).
doc["name"] = "linux-plus"
for p, nic in (("ofed-cx7-test", "cx7"), ("nd-test", "nd")):
    doc["packages"].append({"id": p, "name": p, "version": "1", "source": "vendor/" + p,
                            "match": {"os": ["ubuntu-20.04"], "nic": [nic]},
                            "install": {"command": ["./" + p]}})
    open("%s/vendor/%s" % (d, p), "w").write("stand-in\n")
json.dump(doc, open(d + "/plus.json", "w"))
PY
	"$IBPACK" keygen -o "$d/k" >/dev/null
	"$IBPACK" build "$d/linux.json" -k "$d/k.key" -o "$d/linux.run" -q
	"$IBPACK" build "$d/plus.json" -k "$d/k.key" -o "$d/plus.run" -q
	# The 2026 Linux spec's rules, each package directory a stand-in without the vendor file.
	py - "$LINUX26" "$d" <<'PY'
import json, os, sys
spec, d = sys.argv[1:]
doc = json.load(open(spec))
for p in doc["packages"]:
    p.pop("sha256", None)
    p.pop("artifact", None)
    os.makedirs("%s/%s" % (d, p["source"]), exist_ok=True)
    open("%s/%s/stand-in" % (d, p["source"]), "w").write("stand-in for %s\n" % p["id"])
json.dump(doc, open(d + "/linux26.json", "w"))
PY
	"$IBPACK" build "$d/linux26.json" -k "$d/k.key" -o "$d/linux26.run" -q
}

real_bundle() { echo "$BATS_FILE_TMPDIR/real/${1:-linux}.run"; }

# detect BUNDLE SYSROOT-ARGS...: --detect --json against a fixture sysroot made from the args
# (mksysroot.sh; the `none` preset adds the devices every Azure VM has: VMBus NIC and disk, a
# non-Mellanox PCI function).
detect() {
	local b=$1
	shift
	rm -rf "$WORK/sr"
	sysroot "$WORK/sr" "$@"
	run --separate-stderr "$b" --detect --json --sysroot "$WORK/sr"
}

ETH_VF=(--pci 2f7a:00:02.0 0x15b3 0x1016 0x020000)   # accelerated networking (CX4 Lx VF)
ND_DEV=(--vmbus 5620e0c7-8062-4dce-aeb7-520c7ef76171 "$ND_CLASS")

# ---- the whole matrix ------------------------------------------------------------------------

@test "matrix: every Windows row of matrix-expected.tsv (package and exit code 0 or 100)" {
	run check_matrix "$WIN_SPEC"
	echo "$output"
	assert_status 0
}

@test "matrix: every Linux row of matrix-expected.tsv (package and exit code 0, 11 or 12)" {
	run check_matrix "$LINUX_SPEC"
	echo "$output"
	assert_status 0
}

@test "matrix: the seed's Windows table and the issue's Linux pairs are rows of the TSV" {
	for os in windows-10 windows-server-2019; do
		grep -qP "^azure-hpc-windows\t$os\tcx5\t-\twinof2-2.22$" "$MATRIX"
		grep -qP "^azure-hpc-windows\t$os\tcx6\t-\twinof2-2.22$" "$MATRIX"
		grep -qP "^azure-hpc-windows\t$os\tcx3pro\t-\tunsupported-nic$" "$MATRIX"
	done
	for v in 2012 2012r2 2016; do
		grep -qP "^azure-hpc-windows\twindows-server-$v\tcx3pro\t-\twinof-5.65-win$v$" "$MATRIX"
		grep -qP "^azure-hpc-windows\twindows-server-$v\tcx5\t-\twinof2-2.22$" "$MATRIX"
	done
	for os in ubuntu-18.04 ubuntu-20.04 rhel-7.4 rhel-7.5 rhel-7.6 rhel-7.7 rhel-7.8 rhel-7.9 \
		centos-7.4 centos-7.9 rhel-8.1 rhel-8.2 centos-8.1 centos-8.2; do
		d=${os//-/}
		d=${d/centos/rhel}
		grep -qP "^azure-hpc-linux\t$os\tcx5\t-\tmofed-5.5-$d$" "$MATRIX"
		grep -qP "^azure-hpc-linux\t$os\tcx6\t-\tmofed-5.5-$d$" "$MATRIX"
		grep -qP "^azure-hpc-linux\t$os\tcx3pro\t-\tmofed-4.9-$d$" "$MATRIX"
	done
}

# ---- detection cases rows cannot express -----------------------------------------------------

@test "detect: an Ethernet VF (accelerated networking) next to an InfiniBand VF selects by the InfiniBand one" {
	detect "$(real_bundle)" --os ubuntu 20.04 cx6-vf "${ETH_VF[@]}"
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "mofed-5.5-ubuntu20.04"' \
		'[x["infiniband"] for x in d["devices"] if x["device"] == "0x1016"] == [False]' \
		'"cx4lx" not in d["nics"]'
}

@test "detect: an Ethernet VF alone is no InfiniBand device (exit 11)" {
	detect "$(real_bundle)" --os ubuntu 20.04 none "${ETH_VF[@]}"
	assert_status 11
	json_assert "$output" 'd["selection"]["package"] is None' \
		'"no InfiniBand device found" in d["selection"]["reason"]'
}

@test "detect: a 0x1004 VF offers cx3pro and cx3 and gets the OFED 4.9 package" {
	detect "$(real_bundle)" --os rhel 7.9 cx3pro-vf
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "mofed-4.9-rhel7.9"' \
		'd["nics"] == ["cx3pro", "cx3"]' \
		'"ConnectX-3" in d["selection"]["reason"]' \
		'"also found" not in d["selection"]["reason"]'
}

@test "detect: a 0x1004 function of Ethernet class (older accelerated networking) is ignored" {
	detect "$(real_bundle)" --os rhel 7.9 none --pci 0002:00:02.0 0x15b3 0x1004 0x020000 \
		--pci 0003:00:02.0 0x15b3 0x1018 0x020700
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "mofed-5.5-rhel7.9"' 'd["nics"] == ["cx5"]'
}

@test "detect: an InfiniBand 0x101e VF is a ConnectX-7 or 8, which the seed's Linux spec does not support (exit 11)" {
	detect "$(real_bundle)" --os ubuntu 20.04 none --pci 0001:00:02.0 0x15b3 0x101e 0x020700
	assert_status 11
	json_assert "$output" 'd["nics"] == ["cx7", "cx8"]' \
		'd["selection"]["reason"].startswith("ConnectX-7 and ConnectX-8 are not supported by any package in this bundle")'
}

@test "detect: an InfiniBand 0x101e VF selects a cx7 package when the bundle has one" {
	detect "$(real_bundle plus)" --os ubuntu 20.04 none --pci 0001:00:02.0 0x15b3 0x101e 0x020700
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "ofed-cx7-test"'
}

@test "detect: a 0x101e Ethernet VF (ConnectX-6 Dx accelerated networking) next to a ConnectX-6 VF" {
	detect "$(real_bundle plus)" --os ubuntu 20.04 cx6-vf --pci 9a3c:00:02.0 0x15b3 0x101e 0x020000
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "mofed-5.5-ubuntu20.04"' 'd["nics"] == ["cx6"]'
}

@test "detect: two InfiniBand NICs of different models install one package: priority, then spec order" {
	detect "$(real_bundle)" --os rhel 7.5 cx3pro-vf --pci 0003:00:02.0 0x15b3 0x1018 0x020700
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "mofed-5.5-rhel7.5"'
	reason=$(json_get "$output" 'd["selection"]["reason"]')
	assert_contains "$reason" "wins over 'mofed-4.9-rhel7.5' (same priority, later in the spec)" \
		"also found ConnectX-3 Pro (cx3pro), which 'mofed-4.9-rhel7.5' would serve: one package is installed per run"
}

@test "plan: two NICs where a higher priority package exists for the second one" {
	new_spec
	spec_pkg ofed55 ubuntu-20.04 cx5
	spec_pkg ofed49 ubuntu-20.04 cx3pro,cx3 priority=10
	write_spec spec.json
	run "$IBPACK" plan spec.json --os ubuntu-20.04 --nic cx5 --nic cx3pro
	assert_status 0
	assert_output "package 'ofed49' matches ConnectX-3 Pro" "'ofed55' (lower priority 0)" \
		"also found ConnectX-5 (cx5), which 'ofed55' would serve"
}

@test "detect: ND over VMBus plus an SR-IOV VF on Linux selects OFED (the Linux bundle has no ND package)" {
	detect "$(real_bundle)" --os ubuntu 20.04 cx6-vf "${ND_DEV[@]}"
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "mofed-5.5-ubuntu20.04"' 'sorted(d["nics"]) == ["cx6", "nd"]' \
		'"NetworkDirect over VMBus (nd), which this bundle does not support on ubuntu-20.04" in d["selection"]["reason"]'
}

@test "detect: ND over VMBus alone on the Linux bundle is exit 11, naming NetworkDirect" {
	detect "$(real_bundle)" --os ubuntu 20.04 nd
	assert_status 11
	json_assert "$output" '"NetworkDirect over VMBus is not supported by any package" in d["selection"]["reason"]'
}

@test "detect: ND plus SR-IOV with an ND package at equal priority: spec order picks OFED" {
	detect "$(real_bundle plus)" --os ubuntu 20.04 cx6-vf "${ND_DEV[@]}"
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "mofed-5.5-ubuntu20.04"' \
		'"which '"'"'nd-test'"'"' would serve" in d["selection"]["reason"]'
	detect "$(real_bundle plus)" --os ubuntu 20.04 nd
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "nd-test"'
}

@test "plan: Windows ND plus SR-IOV picks WinOF-2; ND alone picks the pnputil package per OS" {
	run "$IBPACK" plan "$WIN_SPEC" --os windows-server-2016 --nic cx5 --nic nd --json
	assert_status 0
	json_assert "$output" 'd["package"] == "winof2-2.22"' '"which '"'"'nd-pnputil'"'"' would serve" in d["reason"]'
	run "$IBPACK" plan "$WIN_SPEC" --os windows-server-2012r2 --nic nd --json
	assert_status 0
	json_assert "$output" 'd["package"] == "nd-pnputil-legacy"'
}

@test "detect: the OS decides too: a ConnectX-6 on Ubuntu 22.04 is exit 12" {
	detect "$(real_bundle)" --os ubuntu 22.04 cx6-vf
	assert_status 12
	json_assert "$output" 'd["selection"]["reason"].startswith("ubuntu-22.04 is not supported by this bundle")'
}

# ---- reason texts --------------------------------------------------------------------------------

@test "reason: a NIC supported elsewhere but not on this OS names what is supported there" {
	run "$IBPACK" plan "$WIN_SPEC" --os windows-server-2019 --nic cx3pro
	assert_status 100
	assert_output "ConnectX-3 Pro is not supported on windows-server-2019 by this bundle; supported there: cx4, cx5, cx5ex, cx6, nd" \
		"ConnectX-3 Pro is supported on: windows-server-2016, windows-server-2012r2, windows-server-2012"
}

@test "reason: the matched rule is named (package, OS pattern, NIC, priority)" {
	run "$IBPACK" plan "$LINUX_SPEC" --os centos-7 --nic cx6
	assert_status 0
	assert_output "package 'mofed-5.5-rhel7.9' matches ConnectX-6 on centos-7 (rule: os \"centos-7\", nic \"cx6\", priority 0)"
}

@test "reason: an unsupported OS lists where the NIC is supported" {
	run "$IBPACK" plan "$WIN_SPEC" --os windows-server-2022 --nic cx6
	assert_status 100
	assert_output "windows-server-2022 is not supported by this bundle (no package lists it); ConnectX-6 is supported on: windows-10, windows-server-2012"
}

@test "reason: --detect prints the reason in plain output too" {
	rm -rf sr && sysroot sr --os ubuntu 20.04 cx6-vf
	run "$(real_bundle)" --detect --sysroot sr
	assert_status 0
	assert_output "package 'mofed-5.5-ubuntu20.04' matches ConnectX-6 on ubuntu-20.04 (rule: os \"ubuntu-20.04\""
	rm -rf sr && sysroot sr --os ubuntu 20.04 none
	run "$(real_bundle)" --detect --sysroot sr
	assert_status 11
	assert_output "no InfiniBand device found"
}

# ---- check: sources ----------------------------------------------------------------------------

# A spec with one present directory, one verified file, one missing file and one bad pin.
sources_spec() {
	mkdir -p vendor
	echo good >vendor/good.bin
	echo bad >vendor/bad.bin
	good=$(sha256sum vendor/good.bin | cut -c1-64)
	new_spec
	spec_pkg dir-pkg ubuntu-20.04 cx5
	spec_pkg pinned ubuntu-20.04 cx6 source=vendor/good.bin sha256="$good"
	spec_pkg absent ubuntu-20.04 cx4 source=vendor/absent.tgz json='{"url": "https://example.invalid/absent.tgz"}'
	spec_pkg corrupt ubuntu-20.04 cx3pro,cx3 source=vendor/bad.bin sha256="$good"
	write_spec spec.json
}

@test "check: present, verified, missing and corrupt sources; exit 3" {
	sources_spec
	run "$IBPACK" check spec.json --json
	assert_status 3
	json_assert "$output" '[s["status"] for s in d["sources"]] == ["present", "verified", "missing", "corrupt"]' \
		'd["summary"]["missing"] == 1 and d["summary"]["corrupt"] == 1 and d["summary"]["verified"] == 1' \
		'd["lint"] == [] and d["ok"] is False and d["exit_code"] == 3' \
		'd["sources"][3]["sha256"] != d["sources"][3]["sha256_pinned"]'
	run "$IBPACK" check spec.json
	assert_status 3
	assert_output "missing   absent" "vendor/absent.tgz  (download: https://example.invalid/absent.tgz)" \
		"corrupt   corrupt" "sha256 differs from the pinned one" "problems found"
}

@test "check: every source present and intact and a clean lint is exit 0" {
	sources_spec
	echo now-here >vendor/absent.tgz
	cp vendor/good.bin vendor/bad.bin
	run "$IBPACK" check spec.json
	assert_status 0
	assert_output "lint: clean" "ready to build"
}

@test "check: invalid sources (symlink, empty directory, pin on a directory); --hash prints digests" {
	mkdir -p empty pkgs/d
	echo x >pkgs/d/f
	echo payload >real.bin
	ln -s real.bin link.bin
	new_spec
	spec_pkg lnk ubuntu-20.04 cx5 source=link.bin
	spec_pkg emp ubuntu-20.04 cx6 source=empty
	spec_pkg pin ubuntu-20.04 cx4 source=pkgs/d sha256="$(printf '%064d' 0)"
	spec_pkg file ubuntu-20.04 cx3pro,cx3 source=real.bin
	write_spec spec.json
	run "$IBPACK" check spec.json --hash
	assert_status 3
	assert_output "is a symlink" "is an empty directory" "sha256 is pinned but the source is a directory" \
		"sha256 $(sha256sum real.bin | cut -c1-64)"
}

@test "check: the shipped specs lint clean and name every missing vendor file" {
	for spec in "$WIN_SPEC" "$LINUX_SPEC"; do
		run "$IBPACK" check "$spec" --json
		assert_status 3
		json_assert "$output" 'd["lint"] == []' \
			'all(s["status"] == "missing" for s in d["sources"])' \
			'all(s["path"].endswith(s["source"]) for s in d["sources"])' \
			'd["summary"]["missing"] == len(d["sources"])'
	done
	run "$IBPACK" check "$LINUX_SPEC"
	assert_output "missing   mofed-5.5-ubuntu20.04" "vendor/MLNX_OFED_LINUX-5.5-1.0.3.2-ubuntu20.04-x86_64.tgz" \
		"lint: clean"
}

@test "check: build of a shipped spec fails on the absent vendor file that check reports" {
	key k
	run "$IBPACK" build "$LINUX_SPEC" -k k.key -o out.run
	assert_status 3
	assert_output "MLNX_OFED_LINUX-5.5-1.0.3.2-ubuntu16.04-x86_64.tgz"
	[[ ! -e out.run ]]
	run "$IBPACK" check "$LINUX_SPEC"
	assert_output "missing   mofed-5.5-ubuntu16.04"
}

@test "air gap: fetch-list urls, files placed at their dest, check passes, build succeeds" {
	mkdir -p spec
	cp "$LINUX_SPEC" spec/linux.json
	run "$IBPACK" fetch-list spec/linux.json --format urls
	assert_status 0
	[[ $(wc -l <<<"$output") -eq 22 ]]
	while read -r url dest; do
		[[ $url == https://content.mellanox.com/ofed/MLNX_OFED-* ]]
		mkdir -p "$(dirname "$dest")"
		echo "stand-in for $url" >"$dest"
	done <<<"$output"
	run "$IBPACK" check spec/linux.json
	assert_status 0
	assert_output "22 present, 0 missing" "ready to build"
	key k
	"$IBPACK" build spec/linux.json -k k.key -o linux.run -q
	run "$IBPACK" list linux.run --json
	json_assert "$output" 'len(d["packages"]) == 22'
}

# ---- check: lint ---------------------------------------------------------------------------------

@test "lint: overlapping rules at equal priority are reported with OS and NIC" {
	new_spec
	spec_pkg a ubuntu-20.04,rhel-8.2 cx5,cx6
	spec_pkg b 'ubuntu-*' cx6,cx4
	spec_pkg c ubuntu-20.04 cx4 priority=1
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	assert_status 3
	json_assert "$output" '[f["kind"] for f in d["lint"]] == ["overlap"]' \
		'd["lint"][0]["packages"] == ["a", "b"]' \
		'"OS ubuntu-20.04 with NIC cx6" in d["lint"][0]["message"]'
}

@test "lint: a higher priority package removes the overlap" {
	new_spec
	spec_pkg a ubuntu-20.04 cx6
	spec_pkg b 'ubuntu-*' cx6 priority=2
	spec_pkg c ubuntu-18.04 cx6
	write_spec spec.json
	run "$IBPACK" check spec.json
	assert_status 3
	assert_output "unreachable: package 'a' is shadowed for every OS and NIC it matches: 'b' is chosen instead"
	assert_not_contains "$output" "overlap:"
}

@test "lint: unknown OS and NIC tokens, a wrong-target token and unreachable packages" {
	new_spec
	spec_pkg ok ubuntu-20.04 cx5
	spec_pkg typo ubuntu20.04,'foo*' cx5
	spec_pkg win windows-10 cx6
	spec_pkg nic ubuntu-20.04 cx9
	spec_pkg eth ubuntu-20.04 cx6dx,cx4lx
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	assert_status 3
	json_assert "$output" \
		'sorted((f["kind"], f["packages"][0]) for f in d["lint"]) == sorted([("unknown-os", "typo"), ("unknown-os", "typo"), ("wrong-target-os", "win"), ("unknown-nic", "nic"), ("unreachable", "typo"), ("unreachable", "win"), ("unreachable", "nic"), ("unreachable", "eth")])'
	run "$IBPACK" check spec.json
	assert_output "'ubuntu20.04' is not a known OS token" "OS pattern 'foo*' matches no known OS token" \
		"'cx9' is not a known NIC token" "lists only Ethernet-only models"
}

@test "lint: patterns with * are fine when they can match (ubuntu-*, *, windows-server-*)" {
	new_spec
	spec_pkg a 'ubuntu-*' cx5
	spec_pkg b '*' cx6
	spec_pkg c 'rhel-8.*' cx3pro,cx3
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	json_assert "$output" 'd["lint"] == []'
	assert_status 0
}

@test "lint: nd on a Linux target is reachable (the Linux stub detects the VMBus device)" {
	new_spec
	spec_pkg nd ubuntu-20.04 nd
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	assert_status 0
	json_assert "$output" 'd["lint"] == []'
}

@test "lint: cx3 and cx3pro sent to different packages is a shared-VF finding" {
	new_spec
	spec_pkg for-pro ubuntu-20.04 cx3pro
	spec_pkg for-cx3 ubuntu-20.04 cx3
	write_spec spec.json
	run "$IBPACK" check spec.json
	assert_status 3
	assert_output "shared-vf: ConnectX-3 selects 'for-cx3' and ConnectX-3 Pro selects 'for-pro' on ubuntu-20.04, but both share VF id 0x1004"
}

# ---- fetch-list --------------------------------------------------------------------------------

@test "fetch-list --json lists every package with file, version, url, sha256 and dest" {
	for spec in "$WIN_SPEC" "$LINUX_SPEC"; do
		run "$IBPACK" fetch-list "$spec" --json
		assert_status 0
		py - "$spec" "$output" <<'PY'
import json, os, sys
spec, out = sys.argv[1:]
doc, d = json.load(open(spec)), json.loads(out)
assert [p["id"] for p in d["packages"]] == [p["id"] for p in doc["packages"]], "ids"
for p, q in zip(doc["packages"], d["packages"]):
    assert q["url"] == p.get("url"), (q["id"], q["url"])
    assert q["file"] == os.path.basename(p["source"]), q
    assert q["version"] == p["version"] and q["sha256"] == p.get("sha256"), q
    assert q["dest"] == os.path.dirname(spec) + "/" + p["source"], q
    assert q["url"] is None or q["url"].startswith("https://"), q
PY
	done
}

@test "fetch-list: the Windows spec's packages without a download address are named" {
	run "$IBPACK" fetch-list "$WIN_SPEC" --json
	json_assert "$output" \
		'sorted(p["id"] for p in d["packages"] if p["url"] is None) == ["nd-pnputil", "nd-pnputil-legacy", "winof-5.65-win2012"]' \
		'd["files"] == 5' \
		'[p.get("same_file_as") for p in d["packages"] if p["id"] == "nd-pnputil-legacy"] == ["nd-pnputil"]'
	run --separate-stderr "$IBPACK" fetch-list "$WIN_SPEC" --format urls
	assert_status 0
	[[ $(wc -l <<<"$output") -eq 3 ]]
	assert_stderr "'winof-5.65-win2012' has no download address" "'nd-pnputil' has no download address"
	run "$IBPACK" fetch-list "$WIN_SPEC"
	assert_output "winof2-2.22" "  url      https://download.microsoft.com/" "  sha256   not pinned" \
		"(same file as 'nd-pnputil')"
}

@test "fetch-list and check: usage errors are exit 1, an unreadable spec exit 3" {
	run "$IBPACK" fetch-list
	assert_status 1
	run "$IBPACK" fetch-list "$WIN_SPEC" --format xml
	assert_status 1
	run "$IBPACK" check
	assert_status 1
	run "$IBPACK" check nosuch.json
	assert_status 3
	run "$IBPACK" check --help
	assert_status 0
	assert_output "0 every source present and intact and the lint clean; 3 problems found"
}

# ---- the 2026 specs: DOCA-Host, kernels, ConnectX-8 and BlueField ------------------------------

@test "matrix 2026: every Linux row of matrix-expected.tsv, kernels included (0, 11 or 12)" {
	run check_matrix "$LINUX26"
	echo "$output"
	assert_status 0
	assert_output "272 rows checked, 0 mismatches"
}

@test "matrix 2026: every Windows row of matrix-expected.tsv (0 or 100)" {
	run check_matrix "$WIN26"
	echo "$output"
	assert_status 0
}

@test "matrix 2026: the issue's stacks are rows (DOCA per distro, MLNX_OFED 24.10 for CX-4, 4.9 for CX-3, WinOF-2 25.10)" {
	grep -qP "^hpc-linux-2026\tubuntu-22.04\tcx7\t5.15.0-1089-azure\tdoca-3.2.1-ubuntu22.04$" "$MATRIX"
	grep -qP "^hpc-linux-2026\tubuntu-24.04\tcx8\t6.8.0-1044-azure\tdoca-3.2.3-ubuntu24.04$" "$MATRIX"
	grep -qP "^hpc-linux-2026\talmalinux-8.10\tcx6\t4.18.0-553.16.1.el8_10.x86_64\tdoca-3.2.1-el8$" "$MATRIX"
	grep -qP "^hpc-linux-2026\trocky-9.8\tbf3\t5.14.0-687.25.1.el9_8.x86_64\tdoca-3.2.2-el9$" "$MATRIX"
	grep -qP "^hpc-linux-2026\tazurelinux-3.0\tcx7\t6.6.96.1-2.azl3\tazl3-mlnx-ofa-kernel$" "$MATRIX"
	grep -qP "^hpc-linux-2026\tubuntu-22.04\tcx4\t5.15.0-1089-azure\tmofed-24.10-ubuntu22.04$" "$MATRIX"
	grep -qP "^hpc-linux-2026\tubuntu-22.04\tcx3pro\t5.15.0-1089-azure\tmofed-4.9-ubuntu22.04$" "$MATRIX"
	grep -qP "^hpc-linux-2026\tubuntu-22.04\tcx7\t6.8.0-1010-azure\tkernel_unsupported$" "$MATRIX"
	grep -qP "^hpc-linux-2026\tubuntu-20.04\tcx6\t-\tunsupported-os$" "$MATRIX"
	grep -qP "^hpc-windows-2026\twindows-server-2022\tcx7\t-\twinof2-25.10$" "$MATRIX"
	grep -qP "^hpc-windows-2026\twindows-server-2025\tcx7\t-\tunsupported-os$" "$MATRIX"
}

@test "plan: --kernel picks by kernel; another kernel is kernel_unsupported (exit 12) with the kernels the packages need" {
	run "$IBPACK" plan "$LINUX26" --os ubuntu-22.04 --nic cx7 --kernel 5.15.0-1089-azure --json
	assert_status 0
	json_assert "$output" 'd["package"] == "doca-3.2.1-ubuntu22.04"' 'd["matched_kernel"] == "5.15.0-*-azure"' \
		'd["kernel"] == "5.15.0-1089-azure"' 'd["result"] == "selected"'
	run "$IBPACK" plan "$LINUX26" --os ubuntu-22.04 --nic cx7 --kernel 6.8.0-1010-azure
	assert_status 12
	assert_output "nothing to install: no package of this bundle fits kernel 6.8.0-1010-azure on ubuntu-22.04 with ConnectX-7: 'doca-3.2.1-ubuntu22.04' needs kernel 5.15.0-*-azure; install a matching kernel, or build a bundle for this one"
	run "$IBPACK" plan "$LINUX26" --os ubuntu-22.04 --nic cx7 --json
	assert_status 0
	json_assert "$output" 'd["kernel"] is None' '"its kernel rule was not checked (no kernel given)" in d["reason"]'
}

@test "plan: a package for one exact kernel wins over the DKMS fallback, which serves every other kernel" {
	new_spec
	spec_pkg prebuilt ubuntu-22.04 cx7 priority=10 json='{"match": {"os": ["ubuntu-22.04"], "nic": ["cx7"], "kernel": ["5.15.0-1089-azure"]}}'
	spec_pkg dkms ubuntu-22.04 cx7 json='{"match": {"os": ["ubuntu-22.04"], "nic": ["cx7"], "kernel": ["5.15.0-*-azure", "6.8.0-*-azure"]}}'
	write_spec spec.json
	run "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx7 --kernel 5.15.0-1089-azure
	assert_status 0
	assert_output "package 'prebuilt' matches ConnectX-7 on ubuntu-22.04 (rule: os \"ubuntu-22.04\", nic \"cx7\", kernel \"5.15.0-1089-azure\", priority 10); it wins over 'dkms' (lower priority 0)"
	run "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx7 --kernel 6.8.0-1010-azure
	assert_status 0
	assert_output "package 'dkms' matches ConnectX-7" "kernel \"6.8.0-*-azure\"" "passed over: 'prebuilt' needs kernel 5.15.0-1089-azure"
	run "$IBPACK" plan spec.json --os ubuntu-22.04 --nic cx7 --kernel 6.11.0-1001-azure --json
	assert_status 12
	json_assert "$output" 'd["result"] == "kernel_unsupported"' \
		"\"'prebuilt' needs kernel 5.15.0-1089-azure; 'dkms' needs kernel 5.15.0-*-azure or 6.8.0-*-azure\" in d['reason']"
	run "$IBPACK" matrix spec.json
	assert_status 0
	assert_output "ubuntu-22.04  1/2" "1  prebuilt: Test prebuilt 1.0-prebuilt, kernel 5.15.0-1089-azure" "2  dkms: Test dkms 1.0-dkms, kernel 5.15.0-*-azure, 6.8.0-*-azure"
}

@test "plan: on Windows, kernel patterns match the build number" {
	new_spec
	spec_pkg w2022 windows-server-2022 cx7 json='{"match": {"os": ["windows-server-2022"], "nic": ["cx7"], "kernel": ["20348"]}}'
	write_spec spec.json windows
	py - spec.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["target"] = "windows-x86_64"; json.dump(d, open(sys.argv[1], "w"))
PY
	run "$IBPACK" plan spec.json --os windows-server-2022 --nic cx7 --kernel 10.0.20348
	assert_status 0
	run "$IBPACK" plan spec.json --os windows-server-2022 --nic cx7 --kernel 10.0.26100 --json
	assert_status 100
	json_assert "$output" 'd["result"] == "kernel_unsupported"'
}

@test "spec: a kernel pattern with a character outside [a-z0-9._-*+~] is a spec error naming the path" {
	new_spec
	spec_pkg a ubuntu-22.04 cx7 json='{"match": {"os": ["ubuntu-22.04"], "nic": ["cx7"], "kernel": ["5.15 azure"]}}'
	write_spec spec.json
	run "$IBPACK" check spec.json
	assert_status 3
	assert_output "packages[0].match.kernel: element 0"
}

@test "detect 2026: an InfiniBand 0x101e VF (cx7 or cx8) on Ubuntu 22.04 gets DOCA for its kernel, another kernel is exit 12" {
	detect "$(real_bundle linux26)" --os ubuntu 22.04 --kernel 5.15.0-1089-azure none --pci 0001:00:02.0 0x15b3 0x101e 0x020700
	assert_status 0
	json_assert "$output" 'd["selection"]["package"] == "doca-3.2.1-ubuntu22.04"' 'd["nics"] == ["cx7", "cx8"]' \
		'd["kernel"] == "5.15.0-1089-azure"' 'd["selection"]["kernel_rule"] == "5.15.0-*-azure"' \
		'"also found" not in d["selection"]["reason"]'
	detect "$(real_bundle linux26)" --os ubuntu 22.04 --kernel 6.8.0-1010-azure none --pci 0001:00:02.0 0x15b3 0x101e 0x020700
	assert_status 12
	json_assert "$output" 'd["result"] == "kernel_unsupported"' 'd["exit_code"] == 12' \
		'd["selection"]["reason"].startswith("no package of this bundle fits kernel 6.8.0-1010-azure on ubuntu-22.04")'
	# The running kernel can be named, as for an image: --kernel
	run "$(real_bundle linux26)" --detect --sysroot "$WORK/sr" --kernel 5.15.0-1090-azure
	assert_status 0
	assert_output "kernel 5.15.0-1090-azure" "kernel \"5.15.0-*-azure\""
}

@test "detect 2026: ConnectX-8 (0x1023), BlueField-2 (0xa2d6) and BlueField-3 (0xa2dc) physical functions" {
	for dev in 0x1023:cx8 0xa2d6:bf2 0xa2dc:bf3; do
		detect "$(real_bundle linux26)" --os ubuntu 24.04 --kernel 6.8.0-1044-azure none --pci 0001:00:00.0 0x15b3 "${dev%:*}" 0x020700
		assert_status 0
		json_assert "$output" "d['nics'] == ['${dev#*:}']" 'd["selection"]["package"] == "doca-3.2.3-ubuntu24.04"' \
			'[x["function"] for x in d["devices"] if x["vendor"] == "0x15b3"] == ["pf"]'
	done
	# The kernel rules travel in the signed manifest: ibpack list and the stub's --list show them
	run "$IBPACK" list "$(real_bundle linux26)" --json -p "$BATS_FILE_TMPDIR/real/k.pub"
	assert_status 0
	json_assert "$output" 'd["packages"][0]["kernel"] == ["5.15.0-*-azure"]' 'd["packages"][4]["kernel"] == ["6.6.*.azl3"]'
	run --separate-stderr "$(real_bundle linux26)" --list --json
	assert_status 0
	json_assert "$output" 'd["packages"][3]["kernel"] == ["5.14.0-*.el9_*.x86_64"]'
	run "$(real_bundle)" --list --json
	json_assert "$output" 'all("kernel" not in p for p in d["packages"])'
	# ConnectX-8 is not in the seed's Linux spec: exit 11 there
	detect "$(real_bundle)" --os ubuntu 20.04 none --pci 0001:00:00.0 0x15b3 0x1023 0x020700
	assert_status 11
	json_assert "$output" '"ConnectX-8 is not supported by any package" in d["selection"]["reason"]'
}

@test "check 2026: lint clean, every package listed by fetch-list with a well-formed pin or none, Azure Linux 3 without a download" {
	for spec in "$LINUX26" "$WIN26"; do
		run "$IBPACK" check "$spec" --json
		assert_status 3
		json_assert "$output" 'd["lint"] == []' 'all(s["status"] == "missing" for s in d["sources"])'
		run "$IBPACK" fetch-list "$spec" --json
		assert_status 0
		py - "$spec" "$output" <<'PY'
import json, os, re, sys
spec, out = sys.argv[1:]
doc, d = json.load(open(spec)), json.loads(out)
assert [p["id"] for p in d["packages"]] == [p["id"] for p in doc["packages"]]
for p, q in zip(doc["packages"], d["packages"]):
    assert q["sha256"] is None or re.fullmatch("[0-9a-f]{64}", q["sha256"]), q
    assert q["sha256"] == p.get("sha256"), q
    want = os.path.dirname(spec) + "/" + p["source"] + ("/" + p["artifact"] if "artifact" in p else "")
    assert q["dest"] == want, (q["dest"], want)
    assert q["file"] == p.get("artifact", os.path.basename(p["source"])), q
    assert q["url"] is None or q["url"].startswith("https://"), q
    for a in p["install"]["command"]:
        if a.startswith("./") and a.endswith(".sh"):
            assert os.path.isfile(os.path.join(os.path.dirname(spec), "vendor", a[2:])), a
PY
	done
	run "$IBPACK" fetch-list "$LINUX26" --json
	json_assert "$output" \
		'{p["id"]: p["sha256"] for p in d["packages"] if p["id"].startswith("doca-")} == {"doca-3.2.1-ubuntu22.04": "75b8d4258b7239ef5021abaa25e7eeb4fcbc0c8117cab89ce1a766d2d218c8a0", "doca-3.2.3-ubuntu24.04": "762a3dbc1c8c1e4b03867b022ccafcfafa95bffe461a58a5b6e38fc678263614", "doca-3.2.1-el8": "ce630bb2e98f4202ed041d8607c72caf9db2ea8a9d795b982823af5493e4cb4b", "doca-3.2.2-el9": "97d2ff3f271bd7e324e2c25b17ac12fb22e91be3e8a4bdf50a399ced1e5a7bc9"}' \
		'[p["url"] for p in d["packages"] if p["id"] == "azl3-mlnx-ofa-kernel"] == [None]'
	run --separate-stderr "$IBPACK" fetch-list "$LINUX26" --format urls
	assert_status 0
	[[ $(wc -l <<<"$output") -eq 9 ]]
	assert_output "https://www.mellanox.com/downloads/DOCA/DOCA_v3.2.1/host/doca-host_3.2.1-044000-25.10-ubuntu2204_amd64.deb  $REPO/bundles/vendor/doca-3.2.1-ubuntu22.04/doca-host_3.2.1-044000-25.10-ubuntu2204_amd64.deb"
	assert_stderr "'azl3-mlnx-ofa-kernel' has no download address"
}

@test "artifact: check and build verify the pinned file inside a directory source; a wrong or absent one is refused" {
	mkdir -p vendor/pkg
	echo 'the vendor file' >vendor/pkg/vendor.deb
	printf '#!/bin/sh\nexit 0\n' >vendor/pkg/install.sh
	good=$(sha256sum vendor/pkg/vendor.deb | cut -c1-64)
	new_spec
	spec_pkg a ubuntu-22.04 cx7 source=vendor/pkg sha256="$good" json='{"artifact": "vendor.deb"}'
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	assert_status 0
	json_assert "$output" 'd["sources"][0]["status"] == "verified"' 'd["sources"][0]["path"].endswith("vendor/pkg/vendor.deb")'
	key k
	run "$IBPACK" build spec.json -k k.key -o ok.run -q
	assert_status 0
	echo 'a damaged download' >vendor/pkg/vendor.deb
	run "$IBPACK" check spec.json
	assert_status 3
	assert_output "corrupt" "vendor/pkg/vendor.deb"
	run "$IBPACK" build spec.json -k k.key -o bad.run -q
	assert_status 3
	assert_output "'vendor.deb' in 'vendor/pkg' has sha256" "not the pinned one"
	[[ ! -e bad.run ]]
	rm vendor/pkg/vendor.deb
	run "$IBPACK" build spec.json -k k.key -o bad.run -q
	assert_status 3
	assert_output "has no file 'vendor.deb' (its artifact, pinned by sha256)"
	new_spec
	spec_pkg a ubuntu-22.04 cx7 source=vendor/pkg json='{"artifact": "../x.deb"}'
	write_spec spec.json
	run "$IBPACK" check spec.json
	assert_status 3
	assert_output "packages[0].artifact: must be a file name inside the source directory"
}

@test "root 2026: the image's newest installed kernel decides (headers alone do not count); --kernel replaces it" {
	mkdir -p img/etc img/usr/lib/modules img/var/tmp
	printf 'ID=ubuntu\nVERSION_ID="22.04"\n' >img/usr/lib/os-release
	ln -s ../usr/lib/os-release img/etc/os-release
	ln -s usr/lib img/lib # merged /usr: the link is not followed, usr/lib/modules is read
	mkdir -p img/usr/lib/modules/5.15.0-1089-azure img/usr/lib/modules/5.15.0-1100-azure/kernel \
		img/usr/lib/modules/6.8.0-1010-azure/build
	touch img/usr/lib/modules/5.15.0-1089-azure/modules.order
	run --separate-stderr "$(real_bundle linux26)" --root img --nic cx7 --detect --json
	assert_status 0
	json_assert "$output" 'd["kernel"] == "5.15.0-1100-azure"' 'd["selection"]["package"] == "doca-3.2.1-ubuntu22.04"'
	run "$(real_bundle linux26)" --root img --nic cx7 --detect
	assert_output "kernel 5.15.0-1100-azure (installed in the image)" "the image has more than one kernel"
	run --separate-stderr "$(real_bundle linux26)" --root img --nic cx7 --detect --kernel 6.8.0-1010-azure --json
	assert_status 12
	json_assert "$output" 'd["result"] == "kernel_unsupported"' 'd["kernel"] == "6.8.0-1010-azure"'
	rm -rf img/usr/lib/modules/*
	run "$(real_bundle linux26)" --root img --nic cx7 --detect
	assert_status 12
	assert_output "kernel unknown (none installed in the image; --kernel names it)"
	run "$(real_bundle linux26)" --stage --root img --kernel 5.15.0-1089-azure
	assert_status 1
	assert_output "takes no --nic, --os, --kernel"
}

@test "lint: kernel rules: disjoint kernels do not overlap, a kernel-bound package shadows nothing" {
	new_spec
	spec_pkg pre ubuntu-22.04 cx7 priority=5 json='{"match": {"os": ["ubuntu-22.04"], "nic": ["cx7"], "kernel": ["5.15.0-1089-azure"]}}'
	spec_pkg dkms ubuntu-22.04 cx7 json='{"match": {"os": ["ubuntu-22.04"], "nic": ["cx7"], "kernel": ["5.15.0-*-azure"]}}'
	spec_pkg a ubuntu-24.04 cx7 json='{"match": {"os": ["ubuntu-24.04"], "nic": ["cx7"], "kernel": ["6.8.0-*"]}}'
	spec_pkg b ubuntu-24.04 cx7 json='{"match": {"os": ["ubuntu-24.04"], "nic": ["cx7"], "kernel": ["6.14.0-*"]}}'
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	json_assert "$output" 'd["lint"] == []'
	new_spec
	spec_pkg b ubuntu-24.04 cx7 json='{"match": {"os": ["ubuntu-24.04"], "nic": ["cx7"], "kernel": ["6.14.0-*"]}}'
	spec_pkg c ubuntu-24.04 cx7 json='{"match": {"os": ["ubuntu-24.04"], "nic": ["cx7"], "kernel": ["6.14.0-1*"]}}'
	spec_pkg d ubuntu-24.04 cx8
	spec_pkg e ubuntu-24.04 cx7
	write_spec spec.json
	run "$IBPACK" check spec.json --json
	json_assert "$output" '[(f["kind"], f["packages"]) for f in d["lint"]] == [("overlap", ["b", "c"]), ("overlap", ["b", "e"]), ("overlap", ["c", "e"]), ("shared-vf", ["b", "d"])]'
}
