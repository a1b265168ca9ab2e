#!/usr/bin/env bats
# The Windows stub's install record, rollback rule and install lock, under Wine: the record in
# %ProgramData%\ibpack\state.json, exit 100 for a downgrade or a busy lock (Windows has no code of
# its own for them), --allow-downgrade. One private Wine prefix serves the whole file.

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
IBPACK_BUILD=${IBPACK_BUILD:-$REPO/build}
IBPACK=$IBPACK_BUILD/bin/ibpack
WSTUB=$IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}

winpath() { printf 'Z:%s' "${1//\//\\}"; }

setup_file() {
	[[ -x $WINE ]] || skip "wine64 is not installed: the Windows stub cannot run"
	[[ -x $IBPACK && -f $WSTUB ]] || { echo "run make && make stub-windows" >&2; return 1; }
	export FILE_DIR=$BATS_FILE_TMPDIR
	export WINEPREFIX=$FILE_DIR/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
	# Installers get a fixed environment; these are the test installer's own inputs.
	export IBPACK_PASS_ENV=IBT_RECORD,IBT_SLEEP,IBT_EXIT
	"$WINE" wineboot -i >/dev/null 2>&1 || { echo "cannot create a Wine prefix" >&2; return 1; }
	mkdir -p "$FILE_DIR/pkg"
	"$MINGW_CC" -std=c11 -O2 -municode -static -o "$FILE_DIR/pkg/installer.exe" "$REPO/tests/win/installer.c" ||
		return 1
	"$IBPACK" keygen -o "$FILE_DIR/k" >/dev/null || return 1
	for seq in 5 7; do
		cat >"$FILE_DIR/spec$seq.json" <<EOF
{ "name": "winhard", "version": "1.$seq", "sequence": $seq, "target": "windows-x86_64",
  "packages": [ { "id": "w", "name": "W", "version": "1", "source": "pkg",
    "match": { "os": ["windows-*"], "nic": ["cx6"] },
    "install": { "command": ["installer.exe", "--env"], "timeout": 60 } } ] }
EOF
		"$IBPACK" build "$FILE_DIR/spec$seq.json" -k "$FILE_DIR/k.key" -o "$FILE_DIR/s$seq.exe" -q || return 1
	done
}

teardown_file() {
	[[ -n ${WINEPREFIX:-} && -d ${WINEPREFIX:-/nonexistent} ]] && "$WINESERVER" -k 2>/dev/null
	return 0
}

setup() {
	WORK=$(mktemp -d "$FILE_DIR/t.XXXXXX")
	cd "$WORK" || return 1
	STATE=$WINEPREFIX/drive_c/ProgramData/ibpack/state.json
	rm -rf "$WINEPREFIX/drive_c/ProgramData/ibpack"
	unset IBT_RECORD IBT_SLEEP IBT_EXIT
}

# wstub BUNDLE ARGS...: runs a bundle under Wine with --package w (no detection needed) and a log
# in the work dir; the exit code fits in 8 bits here (0 or 100).
wstub() {
	local b=$1
	shift
	"$WINE" "$FILE_DIR/$b" --package w --log-file "$(winpath "$WORK/log")" "$@"
}

@test "windows: a successful install is recorded in %ProgramData%\\ibpack\\state.json" {
	run wstub s7.exe
	[[ $status -eq 0 ]] || { echo "exit $status: $output"; false; }
	grep -q '"sequence":	7' "$STATE"
	grep -q '"package":	"w"' "$STATE"
	[[ -z $(compgen -G "$STATE.tmp*") ]]
}

@test "windows: --state-dir and IBPACK_STATE_DIR keep the record and lock in that folder instead" {
	run wstub s7.exe --state-dir "$(winpath "$WORK/st")"
	[[ $status -eq 0 ]] || { echo "exit $status: $output"; false; }
	grep -q '"sequence":	7' st/state.json
	[[ -e st/lock && ! -e $STATE ]]
	# the same folder holds the rollback record: an older sequence is refused there only
	run wstub s5.exe --state-dir "$(winpath "$WORK/st")"
	[[ $status -eq 100 && $output == *"sequence 5"*"sequence 7"* ]] || { echo "exit $status: $output"; false; }
	IBPACK_STATE_DIR=$(winpath "$WORK/st2") run wstub s5.exe
	[[ $status -eq 0 ]] || { echo "exit $status: $output"; false; }
	grep -q '"sequence":	5' st2/state.json
	[[ ! -e $STATE ]]
}

@test "windows: an older sequence exits 100 naming both; --allow-downgrade installs it" {
	run wstub s7.exe
	[[ $status -eq 0 ]]
	IBT_RECORD=$(winpath "$WORK/ran") run wstub s5.exe --json
	[[ $status -eq 100 ]] || { echo "exit $status: $output"; false; }
	[[ $output == *'"result":"downgrade_refused"'* && $output == *"sequence 5"*"sequence 7"* ]]
	[[ ! -e ran ]]
	IBT_RECORD=$(winpath "$WORK/ran") run wstub s5.exe --allow-downgrade
	[[ $status -eq 0 && -e ran ]] || { echo "exit $status: $output"; false; }
	grep -q '"sequence":	5' "$STATE"
}

@test "windows: a second install while one runs exits 100 (locked) with --lock-wait 0" {
	IBT_SLEEP=6 IBT_RECORD=$(winpath "$WORK/first") wstub s7.exe >first.out 2>&1 3>&- &
	first=$!
	for ((i = 0; i < 200; i++)); do [[ -e first ]] && break; sleep 0.05; done
	[[ -e first ]]
	run wstub s7.exe --lock-wait 0 --json
	[[ $status -eq 100 ]] || { echo "exit $status: $output"; false; }
	[[ $output == *'"result":"locked"'* && $output == *"held by pid"*"winhard"* ]]
	rc=0
	wait "$first" || rc=$?
	[[ $rc -eq 0 ]] || { echo "first: $rc"; cat first.out; false; }
}

@test "windows: a second run is already_installed and runs nothing; --reinstall runs the installer again" {
	run wstub s7.exe --json
	[[ $status -eq 0 ]] || { echo "exit $status: $output"; false; }
	[[ $output == *'"result":"installed"'* && $output == *'"plan":"install"'* ]]
	IBT_RECORD=$(winpath "$WORK/ran") run --separate-stderr wstub s7.exe --json
	[[ $status -eq 0 ]] || { echo "exit $status: $output"; false; }
	[[ $output == *'"result":"already_installed"'* && $output == *'"reboot_pending":false'* && ! -e ran ]]
	[[ $(printf '%s\n' "$output" | wc -l) -eq 1 ]]
	IBT_RECORD=$(winpath "$WORK/ran") run wstub s7.exe --reinstall --json
	[[ $status -eq 0 && -e ran && $output == *'"plan":"reinstall"'* ]] || { echo "exit $status: $output"; false; }
}

@test "windows: the folder ACL rule, on security descriptors as Windows folders carry them" {
	# Wine does not keep NTFS ACLs: the rule is checked on descriptors built from SDDL strings.
	"$MINGW_CC" -std=c11 -D_WIN32_WINNT=0x0602 -DUNICODE -D_UNICODE -D__USE_MINGW_ANSI_STDIO=1 -O2 -Wall -Wextra \
		-Wno-missing-field-initializers -Werror -static -o test_acl.exe "$REPO/tests/win/test_acl.c" \
		"$REPO/base/fs_win.c" "$REPO/base/fileio_win.c" "$REPO/base/err.c" "$REPO/base/util.c" -ladvapi32
	run "$WINE" test_acl.exe
	echo "$output"
	[[ $status -eq 0 ]]
	[[ $output == *"ok 5 - %SystemRoot%\Temp: trusted"* && $output == *"ok 8 - C:\ProgramData: trusted"* ]]
	[[ $output != *"not ok"* ]]
}

@test "windows: a temp base, an ancestor, the current dir or the bundle's folder others may rename things in is refused" {
	# Wine gives a folder with mode 0777 an ACE that lets Everyone write, delete and delete children.
	mkdir -p ww/base && chmod 777 ww && chmod 755 ww/base
	IBT_RECORD=$(winpath "$WORK/ran") run wstub s7.exe --tmpdir "$(winpath "$WORK/ww")"
	[[ $status -eq 255 ]] # -1: the same error Linux reports with 14
	[[ $output == *"temp base '$(winpath "$WORK/ww")' is unsafe: '$(winpath "$WORK/ww")': Everyone (S-1-1-0) may rename, delete or re-permission what is in it"* ]]
	IBT_RECORD=$(winpath "$WORK/ran") run wstub s7.exe --tmpdir "$(winpath "$WORK/ww/base")"
	[[ $status -eq 255 ]]
	[[ $output == *"temp base '$(winpath "$WORK/ww/base")' is unsafe: '$(winpath "$WORK/ww")': Everyone"* ]]
	# the current directory
	(cd ww && IBT_RECORD=$(winpath "$WORK/ran") "$WINE" "$FILE_DIR/s7.exe" --package w \
		--log-file "$(winpath "$WORK/log")") >cwd.out 2>&1 && false
	grep -qF "the current directory '$(winpath "$WORK/ww")' is unsafe: Everyone" cwd.out
	# the bundle's own folder
	cp "$FILE_DIR/s7.exe" ww/s7.exe
	IBT_RECORD=$(winpath "$WORK/ran") run "$WINE" ww/s7.exe --package w --log-file "$(winpath "$WORK/log")"
	[[ $status -eq 255 ]]
	[[ $output == *"the bundle's folder '$(winpath "$WORK/ww")' is unsafe: Everyone"* ]]
	[[ ! -e ran ]]
	[[ -z $(ls ww/base) ]]
	# the default temp base (the user's Temp folder in the Wine prefix, and its ancestors) passes.
	# (A --tmpdir below Z:\tmp cannot: Wine shows the sticky /tmp as a folder Everyone may change.)
	IBT_RECORD=$(winpath "$WORK/ran") run wstub s7.exe
	[[ $status -eq 0 ]]
	[[ -e ran ]]
}
