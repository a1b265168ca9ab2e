#!/usr/bin/env bats
# Windows installers as they really run, under Wine: verbatim command lines (InstallShield's
# /v"...", cmd.exe /d /s /c "..."), real MSI packages built with wixl and installed, repaired
# from their kept source and removed with Wine's msiexec, the Burn-style switches, the reason of
# every failure in --json, and the event log entry of a run.

load helpers
load wine

WSTUB=$IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
PRODUCT='{6A1E7B52-3C0F-4F7B-9E55-0B1D2C3E4F50}'

setup_file() {
	[[ -x $WINE ]] || skip "wine64 is not installed (apt-get install wine64): the Windows stub cannot run"
	if [[ ! -x $IBPACK || ! -f $WSTUB ]]; then
		echo "ibpack or the Windows stub is missing under $IBPACK_BUILD: run make && make stub-windows" >&2
		return 1
	fi
	export FILE_DIR=$BATS_FILE_TMPDIR
	export WINEPREFIX=$FILE_DIR/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
	# Installers get a fixed environment; these are the test installer's own inputs.
	export IBPACK_PASS_ENV=IBT_RECORD,IBT_CHILD,IBT_SLEEP,IBT_EXIT,IBT_CMDLINE,IBT_IF
	"$WINE" wineboot -i >/dev/null 2>&1 || { echo "cannot create a Wine prefix" >&2; return 1; }
	mkdir -p "$FILE_DIR/pkg"
	"$MINGW_CC" -std=c11 -O2 -Wall -Wextra -Wno-missing-field-initializers -Werror -municode -static \
		-o "$FILE_DIR/pkg/installer.exe" "$REPO/tests/win/installer.c" || return 1
	# A program that opens a window (msiexec does, even with /qn) makes Wine start its desktop
	# process, explorer.exe /desktop, when none is up; started from inside a bundle's job it
	# would keep the job busy until the timeout (Windows has no such process). A process that
	# holds the desktop for the whole file keeps it up outside any job; teardown_file's
	# wineserver -k ends it.
	("$WINE" "$FILE_DIR/pkg/installer.exe" --hold-desktop 3600 >/dev/null 2>&1 </dev/null &)
	"$IBPACK" keygen -o "$FILE_DIR/k" >/dev/null || return 1
	machine server:10.0:20348 pci:101c:020700 || return 1
}

teardown_file() {
	[[ -n ${WINEPREFIX:-} && -d ${WINEPREFIX:-/nonexistent} ]] && "$WINESERVER" -k 2>/dev/null
	return 0
}

setup() {
	WORK=$(mktemp -d "$FILE_DIR/t.XXXXXX")
	cd "$WORK" || return 1
	unset IBT_RECORD IBT_CHILD IBT_SLEEP IBT_EXIT IBT_CMDLINE IBPACK_SYSROOT
}

teardown() { :; }

# wbundle NAME INSTALL_JSON [SOURCE]: builds NAME.exe with one package "p" (source pkg by
# default, relative to $FILE_DIR) for windows-server-* and cx6 whose install object is
# INSTALL_JSON.
wbundle() {
	py - "$1" "$2" "${3:-pkg}" >"$FILE_DIR/$1.json" <<'PY' || return 1
import json, sys
inst = json.loads(sys.argv[2])
inst.setdefault("timeout", 120)
print(json.dumps({"name": sys.argv[1], "version": "1.0", "sequence": 1, "target": "windows-x86_64",
    "packages": [{"id": "p", "name": "Package", "version": "1.0", "source": sys.argv[3],
                  "match": {"os": ["windows-server-*"], "nic": ["cx6"]}, "install": inst}]}))
PY
	"$IBPACK" build "$FILE_DIR/$1.json" -k "$FILE_DIR/k.key" -o "$WORK/$1.exe" -q
}

# msi_pkg DIR: a real MSI built with wixl into DIR/fake-ofed.msi. It installs hello.txt into
# INSTALLDIR (default "Program Files\FakeDefault") and refuses to install when FAIL is set.
msi_pkg() {
	command -v wixl >/dev/null || skip "wixl is not installed (apt-get install wixl)"
	mkdir -p "$1" && echo "hello from fake ofed" >"$1/hello.txt"
	cat >"$1/fake-ofed.wxs" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="${PRODUCT:1:36}" Name="Fake OFED" Language="1033" Version="1.0.0"
           Manufacturer="ibpack tests" UpgradeCode="6A1E7B52-3C0F-4F7B-9E55-0B1D2C3E4F51">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="data.cab" EmbedCab="yes"/>
    <Condition Message="FAIL is set">NOT FAIL</Condition>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="FakeDefault">
          <Component Id="Hello" Guid="6A1E7B52-3C0F-4F7B-9E55-0B1D2C3E4F52" Win64="yes">
            <File Id="Hello" Name="hello.txt" Source="hello.txt" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Hello"/></Feature>
  </Product>
</Wix>
EOF
	(cd "$1" && wixl -a x64 -o fake-ofed.msi fake-ofed.wxs 2>/dev/null) && rm "$1/fake-ofed.wxs" "$1/hello.txt"
}

# wcmd FILE LINE: a batch file in the work dir, run as FILE (wrun would re-quote LINE's quotes).
wcmd() { printf '%s\r\n' "@$2" >"$1"; }

# ---- verbatim command lines ----------------------------------------------------------------

@test "command_line: InstallShield's /S /v\"...\" reaches the installer byte for byte" {
	line='installer.exe /S /v"/qn /norestart MT_SKIPFWUPGRD=1"'
	wbundle verbatim "$(py -c 'import json,sys; print(json.dumps({"command_line": sys.argv[1]}))' "$line")"
	IBT_CMDLINE=$(winpath "$WORK/cmdline.txt") wrun verbatim.exe --json
	assert_status 0
	[[ $(cat cmdline.txt) == "$line" ]] || { echo "got: $(cat cmdline.txt)"; return 1; }
	json_assert "$output" "d['result'] == 'installed'" "d['reason'] is None"
	grep -q 'command line: installer.exe /S /v"/qn /norestart MT_SKIPFWUPGRD=1"' "$WINEPREFIX/drive_c/ProgramData/ibpack/logs/verbatim.log"
}

@test "command_line: a quoted program path with spaces, in a subfolder of the package" {
	mkdir -p "$FILE_DIR/spaced/sub dir" && cp "$FILE_DIR/pkg/installer.exe" "$FILE_DIR/spaced/sub dir/my setup.exe"
	line='"sub dir\my setup.exe" /S /v"INSTALLDIR=\"C:\Program Files\x\" /qn"'
	wbundle spaced "$(py -c 'import json,sys; print(json.dumps({"command_line": sys.argv[1]}))' "$line")" spaced
	IBT_CMDLINE=$(winpath "$WORK/cmdline.txt") wrun spaced.exe
	assert_status 0
	[[ $(cat cmdline.txt) == "$line" ]] || { echo "got: $(cat cmdline.txt)"; return 1; }
}

@test "command_line: cmd.exe /d /s /c with quotes inside evaluates them as cmd.exe does" {
	# The bug this replaces: with argv quoting the test read if exist \"C:\Windows\", false.
	wbundle cmdif '{"command_line": "cmd.exe /d /s /c \"if exist \"C:\\Windows\\System32\" (echo yes>\"%IBT_IF%\") else (echo no>\"%IBT_IF%\")\""}'
	IBT_IF=$(winpath "$WORK/if.txt") wrun cmdif.exe
	assert_status 0
	[[ $(tr -d '\r ' <if.txt) == yes ]] || { cat if.txt; return 1; }
}

@test "command_line: cmd.exe starting the package's installer passes its quotes through" {
	wbundle cmdrun '{"command_line": "cmd.exe /d /s /c \"\"installer.exe\" /S /v\"/qn X=1\"\""}'
	IBT_CMDLINE=$(winpath "$WORK/cmdline.txt") wrun cmdrun.exe
	assert_status 0
	[[ $(cat cmdline.txt) == *'installer.exe" /S /v"/qn X=1"' ]] || { echo "got: $(cat cmdline.txt)"; return 1; }
}

@test "command_line: the program comes from the package or System32, never PATH or the current dir" {
	# installer.exe sits next to the bundle and on PATH, but not in the package: not found.
	mkdir -p "$FILE_DIR/empty" && echo x >"$FILE_DIR/empty/readme.txt"
	wbundle notfound '{"command_line": "installer.exe /S"}' empty
	cp "$FILE_DIR/pkg/installer.exe" .
	WINEPATH=$(winpath "$WORK") wrun notfound.exe --json
	assert_status 100
	json_assert "$output" "d['reason'] == 'installer_failed'" "'not found in the package or System32' in d['message']"
	# a System32 program by its bare name
	wbundle sys32 '{"command_line": "cmd.exe /d /c exit 7", "success_codes": [7]}' empty
	wrun sys32.exe
	assert_status 0
}

@test "check and build: one of command, command_line and msi; quotes in Windows argv are linted" {
	cd "$WORK"
	py - <<'PY' >both.json
import json
print(json.dumps({"name": "b", "version": "1", "sequence": 1, "target": "windows-x86_64",
    "packages": [{"id": "p", "name": "P", "version": "1", "source": "pkg",
                  "match": {"os": ["windows-server-*"], "nic": ["cx6"]},
                  "install": {"command": ["setup.exe"], "command_line": "setup.exe /S"}}]}))
PY
	mkdir pkg && echo x >pkg/setup.exe
	run "$IBPACK" build both.json -k "$FILE_DIR/k.key" -o x.exe
	assert_status 3
	assert_contains "$output" 'packages[0].install: give only one of "command", "command_line" and "msi"'
	run "$IBPACK" check both.json
	assert_status 3
	assert_contains "$output" 'give only one of'
	sed 's/"command": \["setup.exe"\], //; s/"command_line": "setup.exe \/S"/"timeout": 5/' both.json >neither.json
	run "$IBPACK" build neither.json -k "$FILE_DIR/k.key" -o x.exe
	assert_status 3
	assert_contains "$output" 'missing "command" (or, for Windows, "command_line" or "msi")'
	sed 's/"command_line": "setup.exe \/S"/"timeout": 5/; s/"setup.exe"\]/"setup.exe", "\/v\\"\/qn\\""]/' both.json >quoted.json
	run "$IBPACK" check quoted.json --json
	assert_status 3
	json_assert "$output" "any(f['kind'] == 'quoted-arg' and 'use command_line' in f['message'] for f in d['lint'])"
}

@test "check and build: Linux specs refuse exit codes a Linux exit status cannot carry" {
	cd "$WORK"
	mkdir pkg && echo x >pkg/install.sh
	printf '%s' '{"name": "l", "version": "1", "sequence": 1, "target": "linux-x86_64", "packages": [{"id": "p",
	  "name": "P", "version": "1", "source": "pkg", "match": {"os": ["*"], "nic": ["cx6"]},
	  "install": {"command": ["./install.sh"], "reboot_codes": [3010]}}]}' >l.json
	run "$IBPACK" check l.json
	assert_status 3
	assert_contains "$output" "reboot_codes: 3010 can never be observed on Linux" "it would arrive as 194"
	run "$IBPACK" build l.json -k "$FILE_DIR/k.key" -o l.run
	assert_status 3
	assert_contains "$output" "can never be observed on Linux"
	sed 's/"reboot_codes": \[3010\]/"command_line": "x"/; s/"command": \["\.\/install.sh"\], //' l.json >cl.json
	run "$IBPACK" check cl.json
	assert_status 3
	assert_contains "$output" "install.command_line: only for windows-x86_64 bundles"
}

# ---- the installer's environment ---------------------------------------------------------------

# env_check FILE: FILE (NAME=VALUE lines) holds the documented fixed set with system values, the
# IBPACK_* description, MY_VAR (handed through), and nothing of the caller's.
env_check() {
	py - "$1" <<'PY'
import re, sys
env = {}
for line in open(sys.argv[1], encoding="utf-8").read().splitlines():
    if line and not line.startswith("="):  # "=C:=..." entries are cmd.exe's own drive dirs
        name, _, value = line.partition("=")
        env[name] = value
# Wine adds its own WINE* variables to every process's environment; Windows does not.
names = {n for n in env if not n.startswith("WINE")}
fixed = {"ALLUSERSPROFILE", "APPDATA", "COMPUTERNAME", "ComSpec", "CommonProgramFiles",
         "CommonProgramFiles(x86)", "CommonProgramW6432", "HOMEDRIVE", "HOMEPATH", "LOCALAPPDATA",
         "NUMBER_OF_PROCESSORS", "OS", "PATH", "PATHEXT", "PROCESSOR_ARCHITECTURE", "ProgramData",
         "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432", "SystemDrive", "SystemRoot", "TEMP", "TMP",
         "USERPROFILE", "windir"}
ibpack = {"IBPACK_BUNDLE", "IBPACK_BUNDLE_VERSION", "IBPACK_SEQUENCE", "IBPACK_PACKAGE",
          "IBPACK_PACKAGE_VERSION", "IBPACK_OS", "IBPACK_NICS", "IBPACK_KERNEL"}
# cmd.exe adds PROMPT for its own use
extra = names - fixed - ibpack - {"MY_VAR", "PROMPT"}
missing = (fixed | ibpack | {"MY_VAR"}) - names
assert not extra and not missing, ("extra", sorted(extra), "missing", sorted(missing))
assert env["MY_VAR"] == "handed through", env["MY_VAR"]
low = {k.lower(): v for k, v in env.items()}
assert low["systemroot"].lower() == r"c:\windows" and low["windir"] == low["systemroot"], env
assert low["systemdrive"] == "C:" and low["comspec"].lower() == r"c:\windows\system32\cmd.exe", env
assert low["path"].lower().split(";")[:2] == [r"c:\windows\system32", r"c:\windows"], env["PATH"]
assert "evil" not in low["path"], env["PATH"]
assert low["programdata"].lower() == r"c:\programdata" == low["allusersprofile"].lower(), env
assert low["programfiles"].lower() == r"c:\program files", env
assert low["os"] == "Windows_NT" and low["processor_architecture"] == "AMD64", env
assert re.search(r"\\ibpack-[0-9a-f]{16}\\\.tmp$", low["temp"]) and low["tmp"] == low["temp"], env
assert env["IBPACK_PACKAGE"] == "p" and env["IBPACK_OS"] == "windows-server-2022", env
assert env["IBPACK_NICS"] == "cx6", env
PY
}

@test "environment: the installer gets the documented variables, TEMP in the private dir, not the caller's" {
	wbundle envcmd "$(py -c 'import json,sys; print(json.dumps({"command": ["installer.exe", "--dump-env", sys.argv[1]]}))' "$(winpath "$WORK/env.txt")")"
	IBT_SECRET=1 MY_VAR="handed through" PATH="/evil:$PATH" wrun envcmd.exe --pass-env MY_VAR
	assert_status 0
	env_check env.txt
	# sorted by name without regard to case, as Windows requires of an environment block
	py - env.txt <<'PY'
import sys
names = [l.partition("=")[0] for l in open(sys.argv[1], encoding="utf-8").read().splitlines()]
# Wine sets SystemDrive and SystemRoot again at process start, appending them to the block.
names = [n for n in names if not n.startswith("WINE") and n not in ("SystemDrive", "SystemRoot")]
assert names == sorted(names, key=str.upper), names
PY
	# the same through IBPACK_PASS_ENV, for callers that cannot add options
	IBT_SECRET=1 MY_VAR="handed through" IBPACK_PASS_ENV=MY_VAR wrun envcmd.exe --reinstall
	assert_status 0
	env_check env.txt
	# names the stub sets itself cannot be handed through, in any case
	for bad in temp Path SYSTEMROOT IBPACK_OS; do
		wrun envcmd.exe --pass-env "$bad"
		assert_status 1
		assert_contains "$stderr$output" "--pass-env '$bad'"
	done
}

@test "environment: a command line (cmd.exe set) sees the same fixed environment" {
	wbundle envline "$(py -c 'import json,sys; print(json.dumps({"command_line": "cmd.exe /d /s /c \"set >\"%s\"\"" % sys.argv[1]}))' "$(winpath "$WORK/set.txt")")"
	IBT_SECRET=1 MY_VAR="handed through" wrun envline.exe --pass-env MY_VAR
	assert_status 0
	env_check set.txt
}

@test "environment: a bare program name is looked up in the installer's PATH, never the caller's" {
	# takeown is a System32 program of Windows (so the spec may name it bare) that Wine lacks; a
	# copy of the test installer stands in for it in a folder only the caller's PATH names.
	mkdir -p bin && cp "$FILE_DIR/pkg/installer.exe" bin/takeown.exe
	wbundle barename "$(py -c 'import json,sys; print(json.dumps({"command": ["takeown", "--touch", sys.argv[1]]}))' "$(winpath "$WORK/ran")")"
	# WINEPATH puts the folder into the PATH of Wine's programs, the stub's included
	WINEPATH=$(winpath "$WORK/bin") wrun barename.exe
	assert_status 100
	assert_contains "$stderr$output" "cannot run 'takeown': not found in the package, System32 or PATH"
	[[ ! -e ran ]]
}

# ---- MSI packages ----------------------------------------------------------------------------

@test "msi: a real MSI installs into INSTALLDIR given with spaces, logs verbosely, msiexec /x removes it" {
	e2e_only
	msi_pkg "$FILE_DIR/msi"
	wbundle msi '{"msi": "fake-ofed.msi", "properties": {"INSTALLDIR": "C:\\Program Files\\Fake OFED"}}' msi
	wrun msi.exe --json
	assert_status 0
	installed="$WINEPREFIX/drive_c/Program Files/Fake OFED/hello.txt"
	[[ -f $installed ]] || { find "$WINEPREFIX/drive_c" -name hello.txt; echo "$output"; return 1; }
	json_assert "$output" "d['result'] == 'installed'" "d['installer']['exit_code'] == 0" \
		"d['installer_log'].endswith('msi-p.msi.log')" "'kept_source' not in d"
	log=$WINEPREFIX/drive_c/ProgramData/ibpack/logs
	iconv -f utf-16le -t utf-8 "$log/msi-p.msi.log" 2>/dev/null | grep -q 'INSTALLDIR = C:\\Program Files\\Fake OFED' ||
		grep -aq 'INSTALLDIR = C:\\Program Files\\Fake OFED' "$log/msi-p.msi.log"
	grep -q '/i "C:.*\\p\\fake-ofed.msi" /qn /norestart /l\*v ".*msi-p.msi.log" INSTALLDIR="C:\\Program Files\\Fake OFED"' "$log/msi.log"
	! grep -q "still running" "$log/msi.log" # the install ended with msiexec, not at the timeout
	# Wine's msiexec resolves directories afresh on removal (Windows reads the component
	# registration), so the removal is told INSTALLDIR again.
	wcmd remove.cmd "msiexec /x $PRODUCT /qn INSTALLDIR=\"C:\Program Files\Fake OFED\""
	wrun remove.cmd
	assert_status 0
	[[ ! -e $installed ]]
}

@test "msi: a failing MSI exits 100 with reason installer_failed and its msiexec code" {
	e2e_only
	msi_pkg "$FILE_DIR/msi"
	wbundle msifail '{"msi": "fake-ofed.msi", "properties": {"FAIL": "1"}}' msi
	# the bill of materials names what runs
	run "$IBPACK" sbom msifail.exe --trust "$FILE_DIR/k.pub"
	assert_status 0
	json_assert "$output" "any(p['name'] == 'ibpack:install:msi' and p['value'] == 'fake-ofed.msi' for c in d['components'] for p in c.get('properties', []))"
	wrun msifail.exe --json
	assert_status 100
	json_assert "$output" "d['reason'] == 'installer_failed'" "d['installer']['exit_code'] == 1603" \
		"d['result'] == 'failed'"
	grep -q 'reason installer_failed' "$WINEPREFIX/drive_c/ProgramData/ibpack/logs/msifail.log"
}

@test "msi: keep leaves the verified MSI where the record says; Windows Installer lists it as the source" {
	e2e_only
	msi_pkg "$FILE_DIR/msi"
	wbundle msikeep '{"msi": "fake-ofed.msi", "keep": true, "properties": {"INSTALLDIR": "C:\\Program Files\\Kept OFED"}}' msi
	wrun msikeep.exe --json
	assert_status 0
	kept='C:\ProgramData\ibpack\packages\msikeep'
	json_assert "$output" "d['kept_source'] == r'$kept\p'"
	[[ -f $WINEPREFIX/drive_c/ProgramData/ibpack/packages/msikeep/p/fake-ofed.msi ]]
	json_assert "$(cat "$WINEPREFIX/drive_c/ProgramData/ibpack/state.json")" \
		"d['bundles']['msikeep']['kept_source'] == r'$kept\\p'"
	# Windows Installer recorded the kept folder as the product's source (InstallSource and the
	# source list), which is where a repair or a patch looks. (Wine's msiexec does not implement
	# repair by product code, /f, so the repair itself cannot run here.)
	"$WINE" reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Installer\UserData\S-1-5-18\Products' /s \
		2>/dev/null | tr -d '\r' | grep -i 'InstallSource' | grep -qiF "$kept\\p\\"
	"$WINE" reg query 'HKLM\Software\Classes\Installer\Products' /s 2>/dev/null | tr -d '\r' |
		grep -i 'LastUsedSource' | grep -qiF "$kept\\p\\"
	wrun msikeep.exe --uninstall-data --json
	assert_status 0
	json_assert "$output" "d['action'] == 'uninstall-data'" "'removed the kept packages' in d['message']"
	[[ ! -e $WINEPREFIX/drive_c/ProgramData/ibpack/packages/msikeep ]]
	wcmd remove.cmd "msiexec /x $PRODUCT /qn INSTALLDIR=\"C:\Program Files\Kept OFED\""
	wrun remove.cmd
	assert_status 0
	[[ ! -e "$WINEPREFIX/drive_c/Program Files/Kept OFED/hello.txt" ]]
}

@test "keep: --keep-source keeps any package; a failed install keeps the earlier one" {
	kept=$WINEPREFIX/drive_c/ProgramData/ibpack/packages/keepsrc
	wbundle keepsrc '{"command": ["installer.exe", "--env"]}'
	wrun keepsrc.exe --keep-source --json
	assert_status 0
	json_assert "$output" "d['kept_source'] == r'C:\ProgramData\ibpack\packages\keepsrc\p'"
	[[ -f $kept/p/installer.exe ]]
	echo marker >"$kept/p/first-run"
	IBT_EXIT=5 wrun keepsrc.exe --keep-source --reinstall --json
	assert_status 100
	json_assert "$output" "'kept_source' not in d"
	[[ -f $kept/p/first-run && ! -e $kept.previous ]]
	wrun keepsrc.exe --keep-source --reinstall
	assert_status 0
	[[ -f $kept/p/installer.exe && ! -e $kept/p/first-run && ! -e $kept.previous ]]
	wrun keepsrc.exe --reinstall --json
	assert_status 0
	json_assert "$output" "'kept_source' not in d"
}

# ---- Burn-style switches -----------------------------------------------------------------------

@test "burn switches: /quiet /log C:\\x.log installs silently into that log" {
	wbundle burn '{"command": ["installer.exe", "--print", "hello from the installer"]}'
	wrun burn.exe /quiet /log 'C:\x.log'
	assert_status 0
	[[ -z $output ]] || { echo "not quiet: $output"; return 1; }
	grep -q "hello from the installer" "$WINEPREFIX/drive_c/x.log"
	grep -q "installed" "$WINEPREFIX/drive_c/x.log"
	wrun burn.exe -QUIET -norestart -passive /repair
	assert_status 0
	[[ -z $output ]]
	wrun burn.exe /log 'C:\y.log' /repair /quiet
	grep -q "^hello from the installer" "$WINEPREFIX/drive_c/y.log" # /repair ran it again
	wrun burn.exe /log 'C:\z.log' /quiet
	grep -q "is installed already" "$WINEPREFIX/drive_c/z.log"
}

@test "burn switches: /layout C:\\out extracts every package; /? and /help show them" {
	wbundle layout '{"command": ["installer.exe"]}'
	wrun layout.exe /layout 'C:\out'
	assert_status 0
	[[ -f $WINEPREFIX/drive_c/out/p/installer.exe ]]
	wrun layout.exe '/?'
	assert_status 0
	assert_contains "$output" "/quiet" "/passive" "/norestart" "/log FILE" "/layout DIR" "--extract DIR"
	wrun layout.exe /help
	assert_status 0
	assert_contains "$output" "/layout DIR"
	wrun layout.exe /log
	assert_status 1
	assert_contains "$stderr" "'/log' needs a file"
	wrun layout.exe /nosuch
	assert_status 1
}

# ---- why a run failed -----------------------------------------------------------------------

@test "exit reasons: every cause of a failure is named in --json, the log and the event log" {
	wbundle reasons '{"command": ["installer.exe", "--env"], "timeout": 60}'
	machine server:10.0:20348
	wrun reasons.exe --json
	assert_status 100
	json_assert "$output" "d['reason'] == 'no_device'"
	grep -q "reason no_device" "$WINEPREFIX/drive_c/ProgramData/ibpack/logs/reasons.log"
	machine server:10.0:17763 pci:101c:020700
	wrun reasons.exe --json --os windows-10
	assert_status 100
	json_assert "$output" "d['reason'] == 'os_unsupported'"
	IBT_EXIT=1603 wrun reasons.exe --json
	assert_status 100
	json_assert "$output" "d['reason'] == 'installer_failed'"
	IBT_SLEEP=30 wrun reasons.exe --json --timeout 1
	assert_status 240
	json_assert "$output" "d['reason'] == 'timeout'"
	cp reasons.exe bad.exe
	flip bad.exe "$(( $(stat -c %s "$WSTUB") + 100 ))"
	wrun bad.exe --json
	assert_status 2
	json_assert "$output" "d['reason'] == 'integrity'"
	# The event log: Wine keeps no log, but traces what ReportEventW was given.
	WINEDEBUG=-all,+eventlog IBT_EXIT=1603 wrun reasons.exe
	assert_status 100
	assert_contains "$stderr" "err:eventlog:ReportEventW" \
		"ibpack bundle 'reasons' 1.0: failed; exit code 100, reason installer_failed: installer exited with 1603"
	WINEDEBUG=-all,+eventlog wrun reasons.exe
	assert_status 0
	assert_contains "$stderr" "trace:eventlog:ReportEventW" "ibpack bundle 'reasons' 1.0: installed; exit code 0"
	machine server:10.0:20348 pci:101c:020700
}
