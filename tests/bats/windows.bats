#!/usr/bin/env bats
# The Windows stub under Wine: OS and NIC detection through the Windows APIs, installs through a
# job object, every Windows exit code, tamper detection and the Authenticode round trip.
#
# One private Wine prefix serves the whole file. What the stub detects is set per test through
# Wine's registry (see `machine`). Exit codes are read through cmd.exe (`wrun`), because a Wine
# process's Linux exit status keeps only 8 bits (3010 would arrive as 194, -1 as 255).

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
IBPACK_BUILD=${IBPACK_BUILD:-$REPO/build}
IBPACK=$IBPACK_BUILD/bin/ibpack
WSTUB=$IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
ND_CLASS='{8c2eaf3d-32a7-4b09-ab99-bd1f1c86b501}'

load wine

setup_file() {
	[[ -x $WINE ]] || skip "wine64 is not installed (apt-get install wine64): the Windows stub cannot run"
	if [[ ! -x $IBPACK || ! -f $WSTUB ]]; then
		echo "ibpack or the Windows stub is missing under $IBPACK_BUILD: run make && make stub-windows" >&2
		return 1
	fi
	command -v "$MINGW_CC" >/dev/null || { echo "$MINGW_CC is missing (gcc-mingw-w64-x86-64)" >&2; return 1; }
	export FILE_DIR=$BATS_FILE_TMPDIR
	export WINEPREFIX=$FILE_DIR/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
	# Installers get a fixed environment; these are the test installer's own inputs.
	export IBPACK_PASS_ENV=IBT_RECORD,IBT_CHILD,IBT_SLEEP,IBT_EXIT
	"$WINE" wineboot -i >/dev/null 2>&1 || { echo "cannot create a Wine prefix" >&2; return 1; }
	# The test installer, built for this run only.
	mkdir -p "$FILE_DIR/pkg"
	"$MINGW_CC" -std=c11 -O2 -Wall -Wextra -Wno-missing-field-initializers -Werror -municode -static \
		-o "$FILE_DIR/pkg/installer.exe" "$REPO/tests/win/installer.c" || return 1
	"$IBPACK" keygen -o "$FILE_DIR/k" >/dev/null || return 1
	(cd "$FILE_DIR" && std_spec >spec.json &&
		"$IBPACK" build spec.json --target windows-x86_64 -k k.key -o std.exe -q) || return 1
}

teardown_file() {
	[[ -n ${WINEPREFIX:-} && -d ${WINEPREFIX:-/nonexistent} ]] && "$WINESERVER" -k 2>/dev/null
	return 0
}

setup() {
	WORK=$(mktemp -d "$FILE_DIR/t.XXXXXX")
	cd "$WORK" || return 1
	unset IBT_RECORD IBT_CHILD IBT_SLEEP IBT_EXIT IBPACK_SYSROOT
	# every test starts on a machine with nothing installed (runs are idempotent)
	rm -f "$WINEPREFIX/drive_c/ProgramData/ibpack/state.json"
}

# std_spec: the bundle most tests use (printed). Package winof2 runs the test installer with
# arguments that exercise command-line quoting; its behaviour comes from IBT_* variables.
std_spec() {
	python3 - <<'PY'
import json
args = ["installer.exe", "--print", "installer says hello", "--env", "--",
        "a b", 'q"x', "tr\\", "", 'x\\"y', "tab\there", "\u00e9t\u00e9"]
pkg = lambda id_, os_, nic, **kw: dict({
    "id": id_, "name": "Test " + id_, "version": "1.0", "source": "pkg",
    "match": {"os": os_, "nic": nic},
    "install": {"command": args, "timeout": 60, "success_codes": [0], "reboot_codes": [3010, 1641]}}, **kw)
print(json.dumps({
    "name": "wintest", "version": "1.0", "sequence": 1, "target": "windows-x86_64",
    "packages": [
        pkg("winof2", ["windows-10", "windows-11", "windows-server-*"], ["cx4", "cx5", "cx6"]),
        pkg("nd", ["windows-server-2012r2", "windows-server-2016", "windows-server-2019"], ["nd"],
            priority=5),
    ]}))
PY
}

# region BUNDLE NAME: byte offset of a footer field (stub_len, manifest_off), parsed here.
region() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
end = len(d)
l = struct.unpack_from("<I", d, 0x3c)[0]
cert_off, cert_len = struct.unpack_from("<II", d, l + 24 + 112 + 32)
if cert_len and cert_off + cert_len == end:
    end = cert_off  # Authenticode table after the bundle
f = d[end - 64:end]
assert f[:8] == b"IBPKFTR1", "no footer"
stub_len, manifest_off = struct.unpack_from("<QQ", f, 16)
print({"stub_len": stub_len, "manifest_off": manifest_off}[sys.argv[2]])
PY
}

flip() { printf "$(printf '\\%03o' $(( $(od -An -tu1 -j "$2" -N1 "$1") ^ 1 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

@test "windows stub: PE32+ with ASLR and DEP, importing only Windows system DLLs" {
	run x86_64-w64-mingw32-objdump -p "$WSTUB"
	[[ $status -eq 0 ]]
	assert_contains "$output" "(PE32+)" DYNAMIC_BASE NX_COMPAT HIGH_ENTROPY_VA
	dlls=$(grep 'DLL Name' <<<"$output" | awk '{print tolower($3)}' | sort -u | tr '\n' ' ')
	for d in $dlls; do
		case $d in
		advapi32.dll | kernel32.dll | msvcrt.dll | ntdll.dll | setupapi.dll | user32.dll) ;;
		*) echo "unexpected import: $d (all: $dlls)"; return 1 ;;
		esac
	done
}

@test "windows stub: --version, --help, and a usage error is exit 1" {
	wrun "$(winpath "$FILE_DIR/std.exe")" --version
	assert_status 0
	assert_contains "$output" "windows-x86_64"
	wrun "$(winpath "$FILE_DIR/std.exe")" --help
	assert_status 0
	assert_contains "$output" "3010" "100" "-1 unexpected"
	wrun "$(winpath "$FILE_DIR/std.exe")" --no-such-option
	assert_status 1
	assert_contains "$stderr" "unknown option"
}

@test "windows stub: RtlGetVersion and the product type map to the OS tokens" {
	# (Wine 8's own "win7" and "win2008r2" presets report each other's product type, so the
	# 6.1 rows use the NT registry keys.)
	local cases=(
		"wine:win10 windows-10 10.0.18362" "wine:win81 windows-8.1 6.3.9600" "wine:win8 windows-8 6.2.9200"
		"client:6.1:7601 windows-7 6.1.7601" "client:10.0:22631 windows-11 10.0.22631"
		"client:10.0:17763 windows-10 10.0.17763" "server:6.2:9200 windows-server-2012 6.2.9200"
		"server:6.3:9600 windows-server-2012r2 6.3.9600" "server:10.0:14393 windows-server-2016 10.0.14393"
		"server:10.0:17763 windows-server-2019 10.0.17763" "dc:10.0:20348 windows-server-2022 10.0.20348"
		"server:10.0:26100 windows-server-2025 10.0.26100"
		"server:10.0:25398 windows-server-10.0.25398 10.0.25398")
	for c in "${cases[@]}"; do
		read -r os token kernel <<<"$c"
		machine "$os"
		wrun "$(winpath "$FILE_DIR/std.exe")" --detect --json
		json_assert "$output" "d['os'] == '$token'" "d['kernel'] == '$kernel'" || { echo "case: $c"; return 1; }
	done
}

@test "windows stub: only InfiniBand-class Mellanox functions count; ND comes from VMBus" {
	machine server:10.0:17763 pci:101c:020700 pci:1016:020000 pci:1018:0207 nd
	wrun "$(winpath "$FILE_DIR/std.exe")" --detect --json
	assert_status 0
	# pci[id]: the device entry for a PCI device id (SetupAPI's order is not the test's).
	json_assert "$output" "d['result'] == 'selected'" "sorted(d['nics']) == ['cx5', 'cx6', 'nd']" \
		"d['selection']['package'] == 'nd'" "len(d['devices']) == 4" \
		"[x['device'] for x in d['devices'] if x['bus'] == 'pci'] == sorted(['0x101c', '0x1016', '0x1018'])" \
		"all(x['infiniband'] == (x.get('device') != '0x1016') for x in d['devices'])" \
		"[(x['class'], x['function'], x['models']) for x in d['devices'] if x.get('device') == '0x101c'] == [('0x020700', 'vf', ['cx6'])]" \
		"[(x['class'], x['models']) for x in d['devices'] if x.get('device') == '0x1018'] == [('0x020700', ['cx5'])]" \
		"[x['class'] for x in d['devices'] if x.get('device') == '0x1016'] == ['0x020000']" \
		"'not InfiniBand' in [x for x in d['devices'] if x.get('device') == '0x1016'][0]['note']" \
		"[x['address'].lower() for x in d['devices'] if x['bus'] == 'vmbus'] == ['vmbus:{99221fa0-24ad-11e2-be98-001aa01bbf6e}']" \
		"[x['models'] for x in d['devices'] if x['bus'] == 'vmbus'] == [['nd']]"
}

@test "windows stub: no InfiniBand device is exit 100" {
	machine server:10.0:17763 pci:1016:020000
	wrun "$(winpath "$FILE_DIR/std.exe")" --json
	assert_status 100
	json_assert "$output" "d['result'] == 'no_device'" "d['exit_code'] == 100" "d['nics'] == []"
}

@test "windows stub: an OS no package names is exit 100" {
	machine wine:win81 pci:101c:020700
	wrun "$(winpath "$FILE_DIR/std.exe")" --json
	assert_status 100
	json_assert "$output" "d['result'] == 'os_unsupported'" "d['os'] == 'windows-8.1'"
}

@test "windows stub: --sysroot is refused (exit 1)" {
	machine server:10.0:17763 pci:101c:020700
	wrun "$(winpath "$FILE_DIR/std.exe")" --detect --sysroot 'C:\'
	assert_status 1
	assert_contains "$stderr" "not supported on Windows"
}

@test "windows stub: install runs the installer with exact arguments in the package dir, logs its output, removes the temp dir" {
	machine server:10.0:17763 pci:101c:020700
	export IBT_RECORD=$(winpath "$WORK/rec.txt")
	wrun "$(winpath "$FILE_DIR/std.exe")"
	assert_status 0
	assert_contains "$output" "installer says hello" "Test winof2 1.0 installed"
	# Every argument arrives unchanged: spaces, quotes, trailing backslash, empty, tab, UTF-8.
	python3 - "$WORK/rec.txt" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
want = ["--print", "installer says hello", "--env", "--", "a b", 'q"x', "tr\\", "", 'x\\"y', "tab\there",
        "\u00e9t\u00e9"]
assert lines[:len(want)] == want, lines
assert re.fullmatch(r"cwd=C:\\users\\[^\\]+\\Temp\\ibpack-[0-9a-f]{16}\\winof2", lines[len(want)]), lines
PY
	log=$WINEPREFIX/drive_c/ProgramData/ibpack/logs/wintest.log
	grep -q "installer says hello" "$log"
	grep -q "command line: .*installer.exe --print \"installer says hello\" --env -- \"a b\" \"q\\\\\"x\" tr\\\\ \"\"" "$log"
	run ls "$WINEPREFIX/drive_c/users/"*/Temp/
	[[ $output != *ibpack-* ]]
}

@test "windows stub: installer reboot code 3010 is exit 3010" {
	machine server:10.0:17763 pci:101c:020700
	export IBT_EXIT=3010
	wrun "$(winpath "$FILE_DIR/std.exe")" --json
	assert_status 3010
	json_assert "$output" "d['result'] == 'reboot_required'" "d['reboot_required'] is True" \
		"d['installer']['exit_code'] == 3010" "d['exit_code'] == 3010"
}

@test "windows stub: an installer failure is exit 100 and its 32-bit code is reported" {
	machine server:10.0:17763 pci:101c:020700
	export IBT_EXIT=1
	wrun "$(winpath "$FILE_DIR/std.exe")"
	assert_status 100
	assert_contains "$stderr" "installer exited with 1"
	export IBT_EXIT=0xC0000005
	wrun "$(winpath "$FILE_DIR/std.exe")" --json
	assert_status 100
	json_assert "$output" "d['result'] == 'failed'" "d['installer']['exit_code'] == -1073741819"
}

@test "windows stub: timeout is exit 240 and the job object kills the installer's child too" {
	machine server:10.0:17763 pci:101c:020700
	export IBT_SLEEP=60 IBT_CHILD="5 $(winpath "$WORK/child-survived")"
	start=$SECONDS
	wrun "$(winpath "$FILE_DIR/std.exe")" --timeout 2 --json
	assert_status 240
	json_assert "$output" "d['result'] == 'timeout'" "d['installer']['timed_out'] is True"
	(( SECONDS - start < 30 ))
	# The child would create its marker 5 s after it started, had it survived the job.
	sleep $(( 7 - (SECONDS - start) > 0 ? 7 - (SECONDS - start) : 0 ))
	[[ ! -e $WORK/child-survived ]]
}

@test "windows stub: an install ends when the installer's whole process tree has" {
	machine server:10.0:17763 pci:101c:020700
	export IBT_EXIT=0 IBT_CHILD="2 $(winpath "$WORK/child-done")"
	wrun "$(winpath "$FILE_DIR/std.exe")"
	assert_status 0
	[[ -e $WORK/child-done ]]
}

@test "windows stub: an unexpected error is exit -1" {
	machine server:10.0:17763 pci:101c:020700
	wrun "$(winpath "$FILE_DIR/std.exe")" --tmpdir 'C:\no\such\dir'
	assert_status -1
	assert_contains "$stderr" "--tmpdir"
}

@test "windows stub: a flipped byte in payload, manifest or stub is exit 2" {
	machine server:10.0:17763 pci:101c:020700
	cp "$FILE_DIR/std.exe" p.exe
	cp "$FILE_DIR/std.exe" m.exe
	cp "$FILE_DIR/std.exe" s.exe
	flip p.exe $(( $(region p.exe stub_len) + 200 ))
	flip m.exe $(( $(region m.exe manifest_off) + 40 ))
	flip s.exe 80 # "This program cannot be run in DOS mode": harmless to run, covered by the stub hash
	wrun p.exe
	assert_status 2
	assert_contains "$stderr" "does not match the signed manifest"
	wrun p.exe --verify
	assert_status 2
	wrun m.exe --detect
	assert_status 2
	wrun s.exe --verify
	assert_status 2
	assert_contains "$stderr" "stub"
}

@test "windows stub: the bundle cannot be written while the stub has it open" {
	machine server:10.0:17763 pci:101c:020700
	cp "$FILE_DIR/std.exe" b.exe
	before=$(sha256sum <b.exe)
	export IBT_RECORD=$(winpath "$WORK/rec.txt") IBT_SLEEP=3
	"$WINE" b.exe --quiet >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 100); do [[ -s rec.txt ]] && break; sleep 0.1; done
	[[ -s rec.txt ]]
	unset IBT_RECORD IBT_SLEEP
	# Another Windows program appending to the bundle: refused (no FILE_SHARE_WRITE). Wine's
	# cmd.exe reports it but leaves ERRORLEVEL at 0, so the bytes are what is checked.
	wrun 'echo tampered>>b.exe'
	wait "$pid"
	[[ $(sha256sum <b.exe) == "$before" ]]
	# The same append once the stub has exited does change the file.
	wrun 'echo tampered>>b.exe'
	[[ $(sha256sum <b.exe) != "$before" ]]
}

@test "windows stub: archive names Windows would misread are refused at extraction" {
	machine server:10.0:17763 pci:101c:020700
	mkdir -p bad/notes
	cp "$FILE_DIR/pkg/installer.exe" bad/
	echo x >bad/notes/aux.txt
	std_spec | sed 's/"source": "pkg"/"source": "bad"/g' >spec.json
	"$IBPACK" build spec.json -k "$FILE_DIR/k.key" -o bad.exe -q
	wrun bad.exe
	assert_status 100
	assert_contains "$stderr" "aux.txt' is not a valid Windows file name"
}

@test "windows stub: --extract writes the packages below a new directory" {
	machine server:10.0:17763
	wrun "$(winpath "$FILE_DIR/std.exe")" --extract 'C:\ibpack-out' --package nd
	assert_status 0
	cmp "$FILE_DIR/pkg/installer.exe" "$WINEPREFIX/drive_c/ibpack-out/nd/installer.exe"
	rm -rf "$WINEPREFIX/drive_c/ibpack-out"
}

@test "windows stub: --extract removes a temp folder an earlier, killed extraction left behind" {
	machine server:10.0:17763
	local out=$WINEPREFIX/drive_c/ibpack-stale
	# A dead extraction's folder (its lock file unheld, its pid not running), and one that is not
	# ibpack's (another name): only the first goes.
	mkdir -p "$out/.ibpack-tmp.99999/nd" "$out/.ibpack-tmp-other"
	: >"$out/.ibpack-tmp.99999/.ibpack-lock"
	printf 'half\n' >"$out/.ibpack-tmp.99999/nd/installer.exe"
	wrun "$(winpath "$FILE_DIR/std.exe")" --extract 'C:\ibpack-stale' --package nd
	assert_status 0
	cmp "$FILE_DIR/pkg/installer.exe" "$out/nd/installer.exe"
	[[ $(ls -A "$out") == $'.ibpack-tmp-other\nnd' ]]
	rm -rf "$out"
}

@test "windows stub: UTF-8 file names extract identically; an existing package folder is refused up front" {
	machine server:10.0:17763
	mkdir -p "u/日本語"
	cp "$FILE_DIR/pkg/installer.exe" u/
	printf 'cv\n' >"u/résumé.txt"
	printf 'data\n' >"u/日本語/データ ✓.txt"
	std_spec | sed 's/"source": "pkg"/"source": "u"/g' >spec.json
	LC_ALL=C "$IBPACK" build spec.json -k "$FILE_DIR/k.key" -o u.exe -q
	wrun u.exe --extract 'C:\ibpack-utf8' --package nd
	assert_status 0
	diff -r u "$WINEPREFIX/drive_c/ibpack-utf8/nd"
	# All or nothing: with nd/ already there, nothing else is written and nd/ is untouched.
	rm -rf "$WINEPREFIX/drive_c/ibpack-utf8/nd/日本語"
	wrun u.exe --extract 'C:\ibpack-utf8'
	[[ $status -ne 0 ]]
	assert_contains "$stderr" "'nd' already exists in the output directory"
	[[ $(ls -A "$WINEPREFIX/drive_c/ibpack-utf8") == nd && ! -e "$WINEPREFIX/drive_c/ibpack-utf8/nd/日本語" ]]
	rm -rf "$WINEPREFIX/drive_c/ibpack-utf8"
}

@test "windows stub: a file whose bytes differ from its signed sha256 is refused at extraction" {
	# the manifest re-signed with a wrong file hash: signature and chunks still check
	python3 "$BATS_TEST_DIRNAME/resign.py" "$FILE_DIR/std.exe" bad.exe "$FILE_DIR/k" \
		'm["packages"][1]["files"][0]["sha256"] = "0" * 64'
	machine server:10.0:17763
	wrun "$(winpath "$WORK/bad.exe")" --extract 'C:\ibpack-bad' --package nd
	assert_status 2
	assert_contains "$output$stderr" "package 'nd': 'installer.exe' does not match its signed sha256"
	[[ ! -e $WINEPREFIX/drive_c/ibpack-bad/nd ]]
	rm -rf "$WINEPREFIX/drive_c/ibpack-bad"
}

@test "windows stub: run from the Azure agent's plugin folder it logs to the extension log folder" {
	machine server:10.0:17763 pci:101c:020700
	dir=$WINEPREFIX/drive_c/Packages/Plugins/Test.InfiniBand/1.0.0
	mkdir -p "$dir"
	cp "$FILE_DIR/std.exe" "$dir/bundle.exe"
	wrun 'C:\Packages\Plugins\Test.InfiniBand\1.0.0\bundle.exe' --quiet
	assert_status 0
	grep -q "installer says hello" "$WINEPREFIX/drive_c/WindowsAzure/Logs/Plugins/Test.InfiniBand/wintest.log"
}

@test "windows stub: Authenticode signing keeps the bundle whole (osslsigncode round trip)" {
	machine server:10.0:17763 pci:101c:020700
	openssl req -x509 -newkey rsa:2048 -nodes -keyout cs.key -out cs.pem -days 2 -subj "/CN=ibpack test signer" \
		-addext "extendedKeyUsage=codeSigning" 2>/dev/null
	osslsigncode sign -certs cs.pem -key cs.key -n "ibpack test" -in "$FILE_DIR/std.exe" -out signed.exe >/dev/null
	# The certificate table now follows the footer.
	(( $(stat -c %s signed.exe) > $(stat -c %s "$FILE_DIR/std.exe") ))
	run osslsigncode verify -CAfile cs.pem -in signed.exe
	[[ $status -eq 0 ]] || { echo "$output"; return 1; }
	run "$IBPACK" verify signed.exe -p "$FILE_DIR/k.pub"
	[[ $status -eq 0 ]] || { echo "$output"; return 1; }
	wrun signed.exe --verify
	assert_status 0
	assert_contains "$output" "bundle is valid"
	export IBT_EXIT=3010
	wrun signed.exe
	assert_status 3010
	# After signing, a payload change breaks both signatures.
	flip signed.exe $(( $(region signed.exe stub_len) + 200 ))
	run osslsigncode verify -CAfile cs.pem -in signed.exe
	[[ $status -ne 0 ]]
	wrun signed.exe --verify
	assert_status 2
}

# forge_certdir IN OUT PYEXPR: OUT is IN with PYEXPR's bytes appended and the PE security
# directory entry pointing at them (both are left out of the stub hash and the signature).
forge_certdir() {
	python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
src, dst, expr = sys.argv[1:]
d = bytearray(open(src, "rb").read())
l = struct.unpack_from("<I", d, 0x3c)[0]
extra = eval(expr, {"struct": struct})
struct.pack_into("<II", d, l + 24 + 112 + 32, len(d), len(extra))
open(dst, "wb").write(bytes(d) + extra)
PY
}

@test "windows stub: bytes appended behind a forged security directory entry are refused by verify and the stub" {
	machine server:10.0:17763 pci:101c:020700
	# anything that is not a WIN_CERTIFICATE list: refused, by ibpack and by the stub under Wine
	forge_certdir "$FILE_DIR/std.exe" forged.exe 'b"hidden payload!" * 64'
	run "$IBPACK" verify forged.exe -p "$FILE_DIR/k.pub"
	[[ $status -eq 2 ]] || { echo "$output"; return 1; }
	assert_contains "$output" "malformed WIN_CERTIFICATE"
	wrun forged.exe --verify
	assert_status 2
	wrun forged.exe
	assert_status 2
	# a table that stops short of the end of the file: refused too
	forge_certdir "$FILE_DIR/std.exe" short.exe 'struct.pack("<IHH", 24, 0x200, 2) + bytes(16)'
	printf 'trailing' >>short.exe
	run "$IBPACK" verify short.exe -p "$FILE_DIR/k.pub"
	[[ $status -eq 2 ]]
	assert_contains "$output" "does not name a certificate table that ends the file"
	wrun short.exe --verify
	assert_status 2
	# a well-formed entry whose content is no PKCS#7: a valid bundle, but not "authenticode_signed",
	# and osslsigncode agrees it is not signed
	forge_certdir "$FILE_DIR/std.exe" junk.exe 'struct.pack("<IHH", 40, 0x200, 2) + b"not a pkcs7 signature".ljust(32, b"\0")'
	run "$IBPACK" verify junk.exe -p "$FILE_DIR/k.pub" --json
	[[ $status -eq 0 ]] || { echo "$output"; return 1; }
	json_assert "$output" "d['authenticode_signed'] is False" "d['file_size'] > d['size']"
	run osslsigncode verify -in junk.exe
	[[ $status -ne 0 ]]
}
