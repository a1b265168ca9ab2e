#!/usr/bin/env bats
# The bundle as an Azure VM extension handler: `ibpack extension` packages, the stub's
# --extension commands driven the way the guest agents drive handlers, and every handler manifest
# and status file judged by the Linux agent's own code (tests/ext/agent_check.py, from the Debian
# package waagent). The Windows handler runs under Wine at the end of this file.
#
# Layout per test, as on a VM: $WORK/lib/Test.InfiniBand-1.0.0/ (the handler, unpacked by the
# agent's code), $WORK/log/Test.InfiniBand/ (its log folder), $WORK/root (the fixture machine the
# stub detects through IBPACK_SYSROOT), $WORK/status-line (IBPACK_EXT_STATUS_LINE).

# shellcheck disable=SC2030,SC2031,SC2016,SC2154,SC2034 # per-test BASE; child scripts; regions; run's vars

load helpers

AGENT_CHECK=$REPO/tests/ext/agent_check.py
HANDLER=Test.InfiniBand
HVER=1.0.0

setup_file() {
	/usr/bin/python3 -c 'import azurelinuxagent.ga.exthandlers' 2>/dev/null ||
		skip "the agent's code is missing: apt-get install waagent python3-distro (scripts/setup.sh test)"
}

teardown_file() {
	if [[ -n ${WINEPREFIX:-} && -d $WINEPREFIX ]]; then
		/usr/lib/wine/wineserver64 -k 2>/dev/null
	fi
	return 0
}

# ---- the agent's side ---------------------------------------------------------------------------

# agent_py ARGS...: tests/ext/agent_check.py with this test's agent directories.
agent_py() {
	AGENT_LIB_DIR=$WORK/lib AGENT_LOG_DIR=$WORK/log AGENT_HANDLER=$HANDLER AGENT_VERSION=${AGENT_VERSION:-$HVER} \
		/usr/bin/python3 "$AGENT_CHECK" "$@"
}

# handler_setup [PRESET] [BUNDLE]: the standard bundle (or BUNDLE) as handler.zip, unpacked by the
# agent's code into $BASE, a fixture machine (default: ConnectX-6 VF on Ubuntu 22.04) and empty
# settings for sequence 0.
handler_setup() {
	local bundle=${2:-b.run}
	[[ -n ${2:-} ]] || std_bundle
	sysroot root "${1:-cx6-vf}"
	"$IBPACK" extension "$bundle" -o handler.zip --publisher Test --type InfiniBand --version "$HVER" >/dev/null
	BASE=$(agent_py unzip "$WORK/handler.zip") || return 1
	settings 0 null
	export IBPACK_SYSROOT=$WORK/root IBPACK_EXT_STATUS_LINE=$WORK/status-line TMPDIR=$WORK/tmp
}

# settings SEQ PUBLIC_JSON [PROTECTED]: config/SEQ.settings, written by the agent's code.
settings() { agent_py settings "$@"; }

# plain_settings SEQ PUBLIC_JSON: the same file in the agent's format, written here (quicker where
# a test needs many).
plain_settings() {
	printf '{"runtimeSettings": [{"handlerSettings": {"publicSettings": %s, "protectedSettings": null, "protectedSettingsCertThumbprint": null}}]}' \
		"$2" >"$BASE/config/$1.settings"
}

# agent OP [SEQ]: runs handler command OP as the Linux agent does: the command line from
# HandlerManifest.json, `sh -c "<base>/<command>"` with the base dir as working directory, the
# agent's environment, in a process group of its own that is killed (SIGKILL) at the agent's
# timeout for OP. Sets $status, $output, $stderr. AGENT_TAIL="sleep N" keeps the group alive after
# the handler exits (to see what the kill reaches); AGENT_TIMEOUT overrides the timeout.
agent() {
	local op=$1 seq=${2:-0} t cmd
	case $op in enable | uninstall) t=300 ;; *) t=900 ;; esac
	cmd=$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["handlerManifest"][sys.argv[2] + "Command"])' \
		"$BASE/HandlerManifest.json" "$op") || return 1
	# shellcheck disable=SC2086 # AGENT_ENV holds several NAME=VALUE words
	run --separate-stderr env ConfigSequenceNumber="$seq" AZURE_GUEST_AGENT_EXTENSION_PATH="$BASE" \
		AZURE_GUEST_AGENT_EXTENSION_VERSION="$HVER" AZURE_GUEST_AGENT_WIRE_PROTOCOL_ADDRESS=168.63.129.16 \
		AZURE_GUEST_AGENT_UNINSTALL_CMD_EXIT_CODE=NOT_RUN ${AGENT_ENV:-} \
		bash -c 'cd "$1" && exec timeout -s KILL "$2" sh -c "$1/$3${4:+; $4}"' _ "$BASE" "${AGENT_TIMEOUT:-$t}" "$cmd" \
		"${AGENT_TAIL:-}"
}

# status_is [SEQ] EXPR...: the agent's code reads status/SEQ.status (default 0) as written, and every
# Python EXPR holds for what it read (d: seq, file, status, code, operation, message, substatus).
status_is() {
	local seq=0 st
	[[ ${1:-} =~ ^[0-9]+$ ]] && { seq=$1; shift; }
	st=$(agent_py status "$seq") || { echo "the agent did not accept status/$seq.status:"; cat "$BASE/status/$seq.status"; return 1; }
	json_assert "$st" "$@"
}

# gone PID: PID no longer runs (a zombie counts as gone: nobody may reap it in a container).
gone() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ $state == Z ]]
}

# wait_status SEQ STATUS...: waits up to 60 s until status/SEQ.status holds one of STATUS.
wait_status() {
	local seq=$1 i
	shift
	for ((i = 0; i < 300; i++)); do
		for s in "$@"; do
			grep -q "\"status\":[[:space:]]*\"$s\"" "$BASE/status/$seq.status" 2>/dev/null && return 0
		done
		sleep 0.2
	done
	echo "status/$seq.status never became $*:"
	cat "$BASE/status/$seq.status"
	return 1
}

# ---- ibpack extension -------------------------------------------------------------------------------

@test "extension: a handler zip the agent unpacks and reads: manifest, five commands, JSON booleans, the bundle" {
	std_bundle
	run "$IBPACK" extension b.run -o handler.zip --publisher Test --type InfiniBand --version "$HVER"
	assert_status 0
	assert_output "handler Test.InfiniBand 1.0.0 for linux-x86_64" "bin/testbundle.run"
	# Entries in byte order, one fixed time, no symlinks: what the agent's zipfile sees.
	py - handler.zip <<'PY'
import stat, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = [i.filename for i in z.infolist()]
assert names == ["HandlerManifest.json", "bin/", "bin/testbundle.run"], names
assert len({i.date_time for i in z.infolist()}) == 1
for i in z.infolist():
    assert not stat.S_ISLNK(i.external_attr >> 16), i.filename
PY
	BASE=$(agent_py unzip "$WORK/handler.zip")
	cmp b.run "$BASE/bin/testbundle.run"
	run agent_py manifest
	assert_status 0
	json_assert "$output" "d['commands']['enable'] == 'bin/testbundle.run --extension enable'" \
		"sorted(d['commands']) == ['disable', 'enable', 'install', 'uninstall', 'update']" \
		"all(c == 'bin/testbundle.run --extension ' + op for op, c in d['commands'].items())" \
		"d['updateMode'] == 'UpdateWithInstall'" "set(d['flags'].values()) == {False}"
}

@test "extension: the same bundle gives the same zip (fixed times, any time zone); SOURCE_DATE_EPOCH sets the time" {
	std_bundle
	"$IBPACK" extension b.run -o a.zip --publisher Test --type InfiniBand --version 1.0 >/dev/null
	sleep 1
	TZ=America/Los_Angeles "$IBPACK" extension b.run -o b.zip --publisher Test --type InfiniBand --version 1.0 >/dev/null
	cmp a.zip b.zip
	SOURCE_DATE_EPOCH=1700000000 "$IBPACK" extension b.run -o c.zip --publisher Test --type InfiniBand --version 1.0 >/dev/null
	py -c 'import sys, zipfile; assert zipfile.ZipFile(sys.argv[1]).infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)' c.zip
}

@test "extension: names with '-', bad versions, a missing option and an existing output are refused" {
	std_bundle
	run "$IBPACK" extension b.run -o h.zip --publisher My-Org --type InfiniBand --version 1.0.0
	assert_status 1
	assert_output "cannot hold '-'"
	run "$IBPACK" extension b.run -o h.zip --publisher Test --type Infini-Band --version 1.0.0
	assert_status 1
	run "$IBPACK" extension b.run -o h.zip --publisher .Test --type InfiniBand --version 1.0.0
	assert_status 1
	for v in 1.0.0-beta 1..0 1.2.3.4.5 v1 ''; do
		run "$IBPACK" extension b.run -o h.zip --publisher Test --type InfiniBand --version "$v"
		assert_status 1
	done
	run "$IBPACK" extension b.run -o h.zip --publisher Test --version 1.0.0
	assert_status 1
	[[ ! -e h.zip ]]
	echo old >h.zip
	run "$IBPACK" extension b.run -o h.zip --publisher Test --type InfiniBand --version 1.0.0
	assert_status 3
	assert_output "exists (use --force"
	[[ $(cat h.zip) == old ]]
	run "$IBPACK" extension b.run -o h.zip --publisher Test --type InfiniBand --version 1.0.0 --force
	assert_status 0
	run "$IBPACK" extension b.run -o no/such/dir/h.zip --publisher Test --type InfiniBand --version 1.0.0
	assert_status 3
	assert_output "cannot write 'no/such/dir/h.zip': directory 'no/such/dir'"
	py -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).testzip()' h.zip
}

@test "extension: a damaged bundle is never wrapped (exit 2, no zip)" {
	std_bundle
	eval "$(regions b.run)"
	cp b.run p.run
	flip p.run $((PKG_OFF_ofed_rhel + 10))
	run "$IBPACK" extension p.run -o h.zip --publisher Test --type InfiniBand --version 1.0.0
	assert_status 2
	assert_output "does not match"
	cp b.run s.run
	flip s.run 1000
	run "$IBPACK" extension s.run -o h.zip --publisher Test --type InfiniBand --version 1.0.0
	assert_status 2
	assert_output "stub"
	# Neither the zip nor its temp file is left behind.
	[[ -z $(compgen -G 'h.zip*') ]]
}

# ---- the handler commands, driven as the agent drives them --------------------------------------

@test "handler: install is trivial; enable installs the driver and reports success with the NIC and package" {
	handler_setup
	agent install
	assert_status 0
	status_is "d['operation'] == 'Install'" "d['status'] == 'success'" "d['code'] == 0"
	[[ ! -e $OUT/ofed-ubuntu.args ]] # install runs nothing
	agent enable
	assert_status 0
	status_is "d['operation'] == 'Enable'" "d['status'] == 'success'" "d['code'] == 0" \
		"'installed' in d['message']" "d['substatus'][0]['name'] == 'driver'" \
		"d['substatus'][0]['status'] == 'success'" "d['substatus'][0]['code'] == 0" \
		"'ConnectX-6 VF (cx6) at 0101:00:00.0' in d['substatus'][0]['message']" \
		"'package: ofed-ubuntu (Test ofed-ubuntu 1.0-ofed-ubuntu)' in d['substatus'][0]['message']"
	[[ $(cat "$OUT/ofed-ubuntu.args") == $'--from\nofed-ubuntu\ntwo words' ]]
	dir_empty "$WORK/tmp"
	# The log is in the handler environment's log folder, with the installer's output.
	grep -q "installer ofed-ubuntu: exit 0" "$WORK/log/$HANDLER/ibpack.log"
	grep -q "Enable success (code 0)" "$WORK/log/$HANDLER/ibpack.log"
	# One status line per operation, as the existing extension keeps them.
	run cat "$WORK/status-line"
	[[ ${#lines[@]} -eq 3 ]]
	[[ ${lines[0]} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\ Install\ success\ 0\ handler\ installed ]]
	[[ ${lines[1]} == *" Enable transitioning 0 verifying the bundle"* ]]
	[[ ${lines[2]} == *" Enable success 0 Test ofed-ubuntu 1.0-ofed-ubuntu installed" ]]
}

@test "handler: a repeated enable for the same sequence number is a no-op; a new one finds the driver installed; reinstall runs it" {
	handler_setup
	agent enable
	assert_status 0
	[[ $(cat "$BASE/mrseq") == 0 ]]
	cp "$BASE/status/0.status" first.status
	rm -f "$OUT"/*
	sleep 1
	agent enable
	assert_status 0
	assert_output "was handled already"
	[[ -z $(ls "$OUT") ]]
	cmp first.status "$BASE/status/0.status"
	settings 1 '{"timeout": 100}'
	agent enable 1
	assert_status 0
	[[ -z $(ls "$OUT") ]]
	status_is 1 "d['status'] == 'success'" "'is installed already' in d['message']"
	[[ $(cat "$BASE/mrseq") == 1 ]]
	settings 2 '{"reinstall": true}'
	agent enable 2
	assert_status 0
	[[ -e $OUT/ofed-ubuntu.args ]]
	status_is 2 "d['status'] == 'success'"
}

@test "handler: no InfiniBand device is error 11, an OS not in the bundle error 12, each naming what was found" {
	handler_setup eth-vf
	agent enable
	assert_status 11
	status_is "d['status'] == 'error'" "d['code'] == 11" "'no InfiniBand device' in d['message']" \
		"d['substatus'][0]['status'] == 'error'" "d['substatus'][0]['code'] == 11" \
		"'NIC: no InfiniBand device found; package: none' in d['substatus'][0]['message']"
	sysroot root2 --os rhel 9.3 cx6-vf
	settings 1 null
	AGENT_ENV="IBPACK_SYSROOT=$WORK/root2" agent enable 1
	assert_status 12
	status_is 1 "d['status'] == 'error'" "d['code'] == 12" "'rhel-9.3' in d['message']" \
		"'ConnectX-6 (cx6)' in d['substatus'][0]['message']"
	[[ -z $(ls "$OUT") ]]
}

@test "handler: an installer failure is error 14 with the installer's code; a reboot code is success" {
	handler_setup
	AGENT_ENV="IBT_RC=3" agent enable
	assert_status 14
	assert_stderr "installer exited with 3"
	status_is "d['status'] == 'error'" "d['code'] == 14" "'installer exited with 3' in d['message']" \
		"d['substatus'][0]['status'] == 'error'"
	grep -q " Enable error 14 installer exited with 3" "$WORK/status-line"
	settings 1 null
	AGENT_ENV="IBT_RC=194" agent enable 1
	assert_status 0
	status_is 1 "d['status'] == 'success'" "d['code'] == 0" "'reboot required' in d['message']"
}

@test "handler: an installer past its timeout (public setting) is error 240 and its processes are gone" {
	handler_setup
	settings 0 '{"timeout": 2}'
	start=$SECONDS
	AGENT_ENV="IBT_SLEEP=60" agent enable
	assert_status 240
	((SECONDS - start < 20))
	status_is "d['status'] == 'error'" "d['code'] == 240" "'did not finish within 2 s' in d['message']"
	gone "$(cat "$OUT/ofed-ubuntu.pid")"
	gone "$(cat "$OUT/ofed-ubuntu.child")"
	dir_empty "$WORK/tmp"
}

@test "handler: a tampered bundle is error 2 and nothing runs" {
	handler_setup
	eval "$(regions "$BASE/bin/testbundle.run")"
	flip "$BASE/bin/testbundle.run" $((PKG_OFF_ofed_ubuntu + 100))
	agent enable
	assert_status 2
	status_is "d['status'] == 'error'" "d['code'] == 2" "'does not match the signed manifest' in d['message']"
	[[ -z $(ls "$OUT") ]]
	flip "$BASE/bin/testbundle.run" $((PKG_OFF_ofed_ubuntu + 100))
	flip "$BASE/bin/testbundle.run" $((MANIFEST_OFF + 30))
	settings 1 null
	agent enable 1
	assert_status 2
	status_is 1 "d['status'] == 'error'" "d['code'] == 2" \
		"d['substatus'][0]['message'].startswith('NIC: not detected')"
	[[ -z $(ls "$OUT") ]]
}

@test "handler: an install that may outlast the agent's 300 s detaches, survives the group kill and reports at the end" {
	new_spec
	spec_pkg slow ubuntu-22.04 cx6 timeout=600
	write_spec long.json longbundle 3
	build_bundle long.json long.run
	handler_setup cx6-vf long.run
	# The agent kills the handler's process group 2 s in (the handler's shell lingers), as at
	# its enable timeout; the installer needs 4 s.
	start=$SECONDS
	AGENT_ENV="IBT_SLEEP=4" AGENT_TIMEOUT=2 AGENT_TAIL="sleep 30" agent enable 9>"$WORK/held"
	assert_status 137
	((SECONDS - start < 10))
	# The worker (and the installer it runs) keep no descriptor of the agent's: whoever waits for
	# the handler's output to end would wait for the install too.
	[[ -e $OUT/slow.pid ]]
	kill -0 "$(cat "$OUT/slow.pid")" # the installer still runs
	[[ -z $(find /proc/[0-9]*/fd -lname "$WORK/held" 2>/dev/null) ]]
	status_is "d['status'] == 'transitioning'" "d['code'] == 0" "'detached process' in d['message']" \
		"'600 s' in d['message']" "'package: slow' in d['substatus'][0]['message']"
	# While it runs, the agent's next enable for the sequence changes nothing.
	agent enable
	assert_status 0
	assert_output "was handled already"
	wait_status 0 success error
	status_is "d['status'] == 'success'" "d['code'] == 0" "'Test slow' in d['message']" \
		"'ConnectX-6 VF (cx6)' in d['substatus'][0]['message']"
	[[ $(grep -c "installer slow: exit 0" "$WORK/log/$HANDLER/ibpack.log") -eq 1 ]]
	grep -q "detached worker for sequence 0 started" "$WORK/log/$HANDLER/ibpack.log"
	[[ $(grep -c " Enable success 0 Test slow" "$WORK/status-line") -eq 1 ]]
	for _ in $(seq 50); do [[ -z $(ls -A "$WORK/tmp") ]] && break; sleep 0.1; done
	dir_empty "$WORK/tmp"
	kill "$(cat "$OUT/slow.child")" # the test installer's own leftover
}

@test "handler: a detached install that fails reports error with its exit code" {
	new_spec
	spec_pkg slow ubuntu-22.04 cx6 timeout=600
	write_spec long.json longbundle 3
	build_bundle long.json long.run
	handler_setup cx6-vf long.run
	AGENT_ENV="IBT_RC=5" agent enable
	assert_status 0
	wait_status 0 success error
	status_is "d['status'] == 'error'" "d['code'] == 14" "'installer exited with 5' in d['message']"
}

@test "handler: public settings choose the package, OS and NICs; protected settings are ignored" {
	handler_setup
	settings 0 '{"package": "ofed-rhel"}' 'MIIBprotectedbase64=='
	agent enable
	assert_status 0
	[[ -e $OUT/ofed-rhel.args && ! -e $OUT/ofed-ubuntu.args ]]
	status_is "d['status'] == 'success'" "'package: ofed-rhel' in d['substatus'][0]['message']"
	grep -q "protected settings are ignored" "$WORK/log/$HANDLER/ibpack.log"
	sysroot none-root none
	# the same package is installed already (the record is this machine's, whatever the sysroot):
	# reinstall makes the installer run with the new timeout
	settings 1 '{"os": "rhel-8.2", "nic": ["cx5"], "timeout": 30, "allowDowngrade": false, "reinstall": true}'
	AGENT_ENV="IBPACK_SYSROOT=$WORK/none-root" agent enable 1
	assert_status 0
	status_is 1 "d['status'] == 'success'" "'package: ofed-rhel' in d['substatus'][0]['message']" \
		"'OS: rhel-8.2' in d['substatus'][0]['message']"
	grep -q "running './install.sh' (timeout 30 s)" "$WORK/log/$HANDLER/ibpack.log"
}

@test "handler: an unknown or mistyped public setting is error 1 and installs nothing" {
	handler_setup
	local n=0 s
	for s in '{"pakage": "ofed-rhel"}' '{"timeout": "60"}' '{"timeout": 1.5}' '{"timeout": 0}' \
		'{"nic": ["cx99"]}' '{"nic": []}' '{"allowDowngrade": "yes"}' '{"package": "no-such-package"}' '["x"]'; do
		plain_settings $n "$s"
		agent enable $n
		assert_status 1 || { echo "settings: $s"; return 1; }
		n=$((n + 1))
	done
	printf '{"runtimeSettings": 5}' >"$BASE/config/9.settings"
	agent enable 9
	assert_status 1
	# A key that is not UTF-8 is named in the message, as text the agent can decode.
	plain_settings 10 $'{"bad\xff\xed\xa0\x80key": 1}'
	agent enable 10
	assert_status 1
	# Settings the handler cannot read: too large (over 1 MiB), not a file.
	head -c $((1100 * 1024)) /dev/zero | tr '\0' ' ' >"$BASE/config/11.settings"
	agent enable 11
	assert_status 1
	mkdir "$BASE/config/12.settings"
	agent enable 12
	assert_status 1
	run agent_py status 0 1 2 3 4 5 6 7 8 9 10 11 12
	json_assert "$output" "all(s['status'] == 'error' and s['code'] == 1 for s in d)" \
		"\"'pakage' is not a setting\" in d[0]['message']" "'no-such-package' in d[7]['message']" \
		"'must be a JSON object' in d[8]['message']" "'is not {\"runtimeSettings\"' in d[9]['message']" \
		"\"'bad????key' is not a setting\" in d[10]['message']" "'larger than' in d[11]['message']" \
		"'not a regular file' in d[12]['message']"
	[[ -z $(ls "$OUT") ]]
}

@test "handler: allowDowngrade lets an older bundle replace a newer one (update to a new handler version)" {
	handler_setup
	agent enable
	assert_status 0
	# An older bundle (sequence 5 < 7) as handler version 1.0.1, which the agent updates to.
	sed 's/"sequence": 7/"sequence": 5/' spec.json >old.json
	build_bundle old.json old.run
	"$IBPACK" extension old.run -o old.zip --publisher Test --type InfiniBand --version 1.0.1 >/dev/null
	BASE=$(AGENT_VERSION=1.0.1 agent_py unzip "$WORK/old.zip")
	AGENT_VERSION=1.0.1 agent_py settings 0 null
	AGENT_ENV="VERSION=1.0.1 AZURE_GUEST_AGENT_UPDATING_FROM_VERSION=1.0.0" agent update
	assert_status 0
	AGENT_VERSION=1.0.1 run agent_py status 0
	json_assert "$output" "d['operation'] == 'Update'" "d['status'] == 'success'" "'from version 1.0.0' in d['message']"
	agent enable
	assert_status 15
	AGENT_VERSION=1.0.1 run agent_py status 0
	json_assert "$output" "d['status'] == 'error'" "d['code'] == 15" "'downgrade' in d['message']"
	AGENT_VERSION=1.0.1 agent_py settings 1 '{"allowDowngrade": true}'
	agent enable 1
	assert_status 0
	AGENT_VERSION=1.0.1 run agent_py status 1
	json_assert "$output" "d['status'] == 'success'"
}

@test "handler: without ConfigSequenceNumber the most recently modified settings file decides, as for the agent" {
	handler_setup
	settings 3 null
	settings 1 '{"package": "ofed-rhel"}'
	touch -d '-1 hour' "$BASE/config/3.settings" "$BASE/config/0.settings"
	run --separate-stderr bash -c 'cd "$1" && sh -c "$1/bin/testbundle.run --extension enable"' _ "$BASE"
	assert_status 0
	[[ -e $OUT/ofed-rhel.args ]]
	[[ -e $BASE/status/1.status && ! -e $BASE/status/3.status ]]
	# The agent's own choice of file to read is the same one.
	run agent_py status
	json_assert "$output" "d['seq'] == 1" "d['status'] == 'success'"
	AGENT_ENV="ConfigSequenceNumber=x1" agent enable
	assert_status 1
	assert_stderr "ConfigSequenceNumber 'x1'"
	grep -q " Enable error 1 ConfigSequenceNumber 'x1' is not a sequence number" "$WORK/status-line"
}

@test "handler: disable, update and uninstall succeed, keep the driver and report where the agent reads" {
	handler_setup
	agent enable
	assert_status 0
	rm -f "$OUT"/*
	agent disable
	assert_status 0
	status_is "d['operation'] == 'Disable'" "d['status'] == 'success'" "'stays installed' in d['message']"
	AGENT_ENV="VERSION=1.0.0 AZURE_GUEST_AGENT_UPDATING_FROM_VERSION=0.9.0" agent update
	assert_status 0
	status_is "d['operation'] == 'Update'" "d['status'] == 'success'"
	cp "$BASE/status/0.status" before
	agent uninstall
	assert_status 0
	cmp before "$BASE/status/0.status" # the agent removes the folder right after
	[[ -z $(ls "$OUT") ]]
	run cut -d' ' -f2-4 "$WORK/status-line"
	[[ $output == *$'Disable success 0\nUpdate success 0\nUninstall success 0' ]]
}

@test "handler: the agent's own code runs install, enable, disable, update and uninstall" {
	handler_setup
	# Sequence 1 fails (a package the bundle does not have): the agent's error 1009 with our message.
	settings 1 '{"package": "no-such-package"}'
	run agent_py run install 0 enable 0 enable 1
	assert_status 3
	json_assert "$output" "[r['ok'] for r in d] == [True, True, False]" "d[2]['code'] == 1009" \
		"'no package' in d[2]['error']"
	run agent_py status 0 1
	json_assert "$output" "d[0]['status'] == 'success'" "d[0]['operation'] == 'Enable'" \
		"d[1]['status'] == 'error'" "d[1]['code'] == 1"
	# The installer ran with the fixed installer environment, not the agent's (only the handler
	# reads ConfigSequenceNumber and the AZURE_GUEST_AGENT_* variables).
	grep -q "^IBPACK_PACKAGE=ofed-ubuntu$" "$OUT/ofed-ubuntu.env"
	! grep -q "^ConfigSequenceNumber=" "$OUT/ofed-ubuntu.env"
	! grep -q "^AZURE_GUEST_AGENT_EXTENSION_PATH=" "$OUT/ofed-ubuntu.env"
	run agent_py run disable 1 update 1 uninstall 1
	assert_status 0
	json_assert "$output" "all(r['ok'] for r in d)"
}

@test "handler: outside a handler folder, with a broken environment or bad usage it says so (exit 1)" {
	handler_setup
	run --separate-stderr ./b.run --extension enable
	assert_status 1
	assert_stderr "no HandlerEnvironment.json"
	run --separate-stderr "$BASE/bin/testbundle.run" --extension start
	assert_status 1
	assert_stderr "unknown --extension command 'start'"
	run --separate-stderr "$BASE/bin/testbundle.run" --extension enable --detect
	assert_status 1
	cp "$BASE/HandlerEnvironment.json" env.json
	echo '{"handlerEnvironment": {}}' >"$BASE/HandlerEnvironment.json"
	agent install
	assert_status 1
	assert_stderr "is not an array"
	py - env.json "$BASE/HandlerEnvironment.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
e[0]["handlerEnvironment"]["logFolder"] = "/x" * 2100
json.dump(e, open(sys.argv[2], "w"))
PY
	agent install
	assert_status 1
	assert_stderr "logFolder is too long"
	# Without ConfigSequenceNumber the settings folder is read: here it cannot be.
	py - env.json "$BASE/HandlerEnvironment.json" "$WORK/env.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
e[0]["handlerEnvironment"]["configFolder"] = sys.argv[3]
json.dump(e, open(sys.argv[2], "w"))
PY
	run --separate-stderr bash -c 'cd "$1" && sh -c "$1/bin/testbundle.run --extension install"' _ "$BASE"
	assert_status 1
	assert_stderr "cannot read the settings folder"
}

@test "handler: a status folder that cannot be written fails the command instead of hiding it" {
	handler_setup
	rmdir "$BASE/status"
	echo "not a folder" >"$BASE/status"
	agent install
	assert_status 14
	assert_stderr "status"
	agent enable
	assert_status 14
	[[ -e $OUT/ofed-ubuntu.args ]] # the driver is installed; only the report failed
}

@test "handler: without a name in HandlerEnvironment.json the folder <name>-<version> names the handler" {
	handler_setup
	py - "$BASE/HandlerEnvironment.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
del e[0]["name"]
json.dump(e, open(sys.argv[1], "w"))
PY
	agent install
	assert_status 0
	status_is "d['status'] == 'success'" # the agent's check: name == Test.InfiniBand
}

@test "handler: a status line file that cannot be written is a warning, not a failure" {
	handler_setup
	AGENT_ENV="IBPACK_EXT_STATUS_LINE=$WORK/no/such/dir/line" agent install
	assert_status 0
	assert_stderr "cannot append to the status line file"
	status_is "d['status'] == 'success'"
}

# ---- the Windows handler, under Wine ------------------------------------------------------------

WINE=/usr/lib/wine/wine64
WPLUGIN='C:\Packages\Plugins\Test.InfiniBand\1.0.0'

# wine_setup: (once per file) a private Wine prefix, the test installer (tests/win/installer.c,
# driven by IBT_* variables) and two Windows bundles of it: wintest (timeout 60 s) and wintestslow
# (timeout 600 s). Then, per test: the machine (Windows Server 2019 with a ConnectX-6 VF, or none
# with "none"), and handler.zip of BUNDLE unpacked into C:\Packages\Plugins\Test.InfiniBand\1.0.0
# with the Windows agent's HandlerEnvironment.json, RuntimeSettings\ and Status\ ($WBASE on Linux).
wine_setup() {
	local bundle=${1:-wintest} dev=${2:-pci}
	[[ -x $WINE ]] || skip "wine64 is not installed: the Windows handler cannot run"
	[[ -f $IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe ]] || skip "no Windows stub: make stub-windows"
	export WINEPREFIX=$BATS_FILE_TMPDIR/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
	# Installers get a fixed environment; these are the test installer's own inputs.
	export IBPACK_PASS_ENV=$IBPACK_PASS_ENV,IBT_RECORD,IBT_EXIT
	local W=$BATS_FILE_TMPDIR/win
	if [[ ! -f $W/wintestslow.exe ]]; then
		"$WINE" wineboot -i >/dev/null 2>&1 || { echo "cannot create a Wine prefix" >&2; return 1; }
		mkdir -p "$W/pkg"
		x86_64-w64-mingw32-gcc -std=c11 -O2 -municode -static -o "$W/pkg/installer.exe" "$REPO/tests/win/installer.c"
		"$IBPACK" keygen -o "$W/k" >/dev/null
		for b in wintest:60 wintestslow:600; do
			py - "${b%:*}" "${b#*:}" >"$W/${b%:*}.json" <<'PY'
import json, sys
print(json.dumps({"name": sys.argv[1], "version": "1.0", "sequence": 1, "target": "windows-x86_64",
    "packages": [{"id": "winof2", "name": "WinOF-2", "version": "2.22", "source": "pkg",
        "match": {"os": ["windows-server-*"], "nic": ["cx5", "cx6"]},
        "install": {"command": ["installer.exe", "--env"], "timeout": int(sys.argv[2]),
                    "success_codes": [0], "reboot_codes": [3010, 1641]}}]}))
PY
			"$IBPACK" build "$W/${b%:*}.json" -k "$W/k.key" -o "$W/${b%:*}.exe" -q
		done
	fi
	cp "$W/$bundle.exe" "$WORK/$bundle.exe"
	# each test starts on a machine with nothing installed (runs are idempotent)
	rm -f "$WINEPREFIX/drive_c/ProgramData/ibpack/state.json"
	py - "$dev" >m.reg <<'PY'
import sys
ENUM = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Enum\PCI\VEN_15B3&DEV_101C&SUBSYS_000815B3&REV_00"
def multi(strings):
    data = "".join(s + "\0" for s in strings) + "\0"
    return "hex(7):" + ",".join("%02x" % b for b in data.encode("utf-16-le"))
out = ["Windows Registry Editor Version 5.00", "", "[-%s]" % ENUM, "",
       r"[HKEY_CURRENT_USER\Software\Wine]", '"Version"=-', "",
       r"[HKEY_LOCAL_MACHINE\Software\Microsoft\Windows NT\CurrentVersion]",
       '"CurrentVersion"="10.0"', '"CurrentBuildNumber"="17763"', '"CurrentBuild"="17763"', "",
       r"[HKEY_LOCAL_MACHINE\System\CurrentControlSet\Control\ProductOptions]", '"ProductType"="ServerNT"', ""]
if sys.argv[1] == "pci":
    out += [ENUM.join(["[", r"\5&2c5e6b4c&0&0000]"]), '"ClassGUID"="{4d36e972-e325-11ce-bfc1-08002be10318}"',
            '"HardwareID"=' + multi([r"PCI\VEN_15B3&DEV_101C&SUBSYS_000815B3&REV_00"]),
            '"CompatibleIDs"=' + multi([r"PCI\VEN_15B3&DEV_101C", r"PCI\VEN_15B3&CC_020700", r"PCI\CC_020700"]), ""]
sys.stdout.buffer.write(("\ufeff" + "\r\n".join(out) + "\r\n").encode("utf-16-le"))
PY
	"$WINE" reg import m.reg >/dev/null 2>&1 || { echo "reg import failed" >&2; return 1; }
	"$IBPACK" extension "$bundle.exe" -p "$W/k.pub" -o handler.zip --publisher Test --type InfiniBand \
		--version "$HVER" >/dev/null
	WBASE=$WINEPREFIX/drive_c/Packages/Plugins/$HANDLER/$HVER
	WLOG=$WINEPREFIX/drive_c/WindowsAzure/Logs/Plugins/$HANDLER/$HVER
	rm -rf "$WINEPREFIX/drive_c/Packages" "$WINEPREFIX/drive_c/WindowsAzure"
	mkdir -p "$WBASE/RuntimeSettings" "$WBASE/Status" "$WLOG"
	py -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' handler.zip "$WBASE"
	cat >"$WBASE/HandlerEnvironment.json" <<JSON
[{"name": "$HANDLER", "seqNo": "0", "version": 1.0, "handlerEnvironment": {
  "logFolder": "C:\\\\WindowsAzure\\\\Logs\\\\Plugins\\\\$HANDLER\\\\$HVER",
  "configFolder": "C:\\\\Packages\\\\Plugins\\\\$HANDLER\\\\$HVER\\\\RuntimeSettings",
  "statusFolder": "C:\\\\Packages\\\\Plugins\\\\$HANDLER\\\\$HVER\\\\Status",
  "heartbeatFile": "C:\\\\Packages\\\\Plugins\\\\$HANDLER\\\\$HVER\\\\Status\\\\HeartBeat.Json",
  "deploymentid": "00000000-0000-0000-0000-000000000000", "rolename": "_vm", "instance": "_vm",
  "hostResolverAddress": null}}]
JSON
	wsettings 0 null
}

# wsettings SEQ PUBLIC_JSON: RuntimeSettings\SEQ.settings.
wsettings() {
	printf '{"runtimeSettings": [{"handlerSettings": {"publicSettings": %s, "protectedSettings": null, "protectedSettingsCertThumbprint": null}}]}' \
		"$2" >"$WBASE/RuntimeSettings/$1.settings"
}

# wagent OP [SEQ]: the handler command OP from HandlerManifest.json, run through cmd.exe from the
# handler's folder with ConfigSequenceNumber, as the Windows agent runs it. $status is the full
# 32-bit exit code (%ERRORLEVEL%), $output stdout, $stderr stderr.
wagent() {
	local cmd
	cmd=$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["handlerManifest"][sys.argv[2] + "Command"])' \
		"$WBASE/HandlerManifest.json" "$1") || return 1
	# The Windows handler keeps its record in the prefix's %ProgramData%\ibpack.
	ConfigSequenceNumber=${2:-0} AZURE_GUEST_AGENT_EXTENSION_PATH="$WPLUGIN" IBPACK_STATE_DIR= \
		"$WINE" cmd /c "cd /d $WPLUGIN && $cmd & echo ibpack-rc=%ERRORLEVEL%" >.out 2>.err </dev/null || true
	output=$(tr -d '\r' <.out | sed 's/ibpack-rc=-\{0,1\}[0-9]*$//')
	stderr=$(tr -d '\r' <.err)
	status=$(tr -d '\r' <.out | grep -o 'ibpack-rc=-\{0,1\}[0-9]*$' | tail -1 | cut -d= -f2)
	[[ -n $status ]] || { echo "cmd.exe printed no exit code"; cat .out .err; return 1; }
}

# wstatus_is SEQ EXPR...: Status\SEQ.status, read by the agent's reader and parser, and EXPRs hold.
wstatus_is() {
	local st
	st=$(AGENT_HANDLER=$HANDLER /usr/bin/python3 "$AGENT_CHECK" statusfile "$WBASE/Status/$1.status") ||
		{ cat "$WBASE/Status/$1.status"; return 1; }
	shift
	json_assert "$st" "$@"
}

@test "windows handler: commands with Windows paths; enable installs and reports success; repeated enable is a no-op" {
	wine_setup
	py -c 'import json, sys; hm = json.load(open(sys.argv[1]))[0]["handlerManifest"]; assert hm["enableCommand"] == "bin\\wintest.exe --extension enable", hm' \
		"$WBASE/HandlerManifest.json"
	wagent install
	assert_status 0
	wstatus_is 0 "d['operation'] == 'Install'" "d['status'] == 'success'"
	IBT_RECORD="$(printf 'Z:%s' "${WORK//\//\\}")\\rec.txt" wagent enable
	assert_status 0
	wstatus_is 0 "d['operation'] == 'Enable'" "d['status'] == 'success'" "d['code'] == 0" \
		"'WinOF-2 2.22 installed' in d['message']" "'ConnectX-6 VF (cx6)' in d['substatus'][0]['message']" \
		"'package: winof2' in d['substatus'][0]['message']" "'OS: windows-server-2019' in d['substatus'][0]['message']"
	[[ -s rec.txt ]]
	grep -q "Enable success (code 0)" "$WLOG/ibpack.log"
	rm rec.txt
	IBT_RECORD="$(printf 'Z:%s' "${WORK//\//\\}")\\rec.txt" wagent enable
	assert_status 0
	[[ ! -e rec.txt ]]
	grep -q "sequence number 0 was handled already" "$WLOG/ibpack.log"
	wagent disable
	assert_status 0
	wstatus_is 0 "d['operation'] == 'Disable'" "d['status'] == 'success'"
}

@test "windows handler: 3010 is success with code 3010; an installer failure is error 100; a tampered bundle error 2" {
	wine_setup
	IBT_EXIT=3010 wagent enable 0
	assert_status 3010
	wstatus_is 0 "d['status'] == 'success'" "d['code'] == 3010" "'reboot required' in d['message']"
	wsettings 1 '{"reinstall": true}' # installed (reboot pending): run the installer again
	IBT_EXIT=1 wagent enable 1
	assert_status 100
	wstatus_is 1 "d['status'] == 'error'" "d['code'] == 100" "'installer exited with 1' in d['message']"
	wsettings 2 null
	flip "$WBASE/bin/wintest.exe" $(($(stat -c %s "$WBASE/bin/wintest.exe") - 2000))
	wagent enable 2
	assert_status 2
	wstatus_is 2 "d['status'] == 'error'" "d['code'] == 2"
}

@test "windows handler: no InfiniBand device is error 100 naming what was found" {
	wine_setup wintest none
	# Without a name, the folder ...\Test.InfiniBand\1.0.0 names the handler.
	sed -i 's/"name": "[^"]*", //' "$WBASE/HandlerEnvironment.json"
	! grep -q '"name"' "$WBASE/HandlerEnvironment.json" || return 1
	wagent enable
	assert_status 100
	wstatus_is 0 "d['status'] == 'error'" "d['code'] == 100" \
		"d['substatus'][0]['message'].startswith('NIC: no InfiniBand device found; package: none')"
}

@test "windows handler: a long install runs in a detached process and reports at the end" {
	wine_setup wintestslow
	start=$SECONDS
	IBT_SLEEP=4 wagent enable
	assert_status 0
	((SECONDS - start < 15))
	wstatus_is 0 "d['status'] == 'transitioning'" "'600 s' in d['message']"
	for _ in $(seq 300); do
		grep -q '"status":[[:space:]]*"success"' "$WBASE/Status/0.status" && break
		sleep 0.2
	done
	wstatus_is 0 "d['status'] == 'success'" "d['code'] == 0" "'WinOF-2 2.22 installed' in d['message']"
	grep -q "detached worker for sequence 0 started" "$WLOG/ibpack.log"
}
