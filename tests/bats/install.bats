#!/usr/bin/env bats
# The stub's install path: extraction into a private temp dir, running the installer, exit codes,
# temp dir cleanup, timeouts, logging, JSON results and refusal of damaged or hostile bundles.

load helpers

# install_setup [PRESET]: std bundle + fixture sysroot "root" (default ConnectX-6 VF, Ubuntu 22.04).
install_setup() {
	std_bundle
	sysroot root "${1:-cx6-vf}"
}

# wait_gone PID: true once PID no longer runs (gone or a zombie), waiting up to 3 s.
wait_gone() {
	local i state
	for ((i = 0; i < 30; i++)); do
		state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
		[[ $state == Z ]] && return 0
		sleep 0.1
	done
	echo "process $1 is still running ($(cat "/proc/$1/cmdline" 2>/dev/null | tr '\0' ' '))"
	return 1
}

@test "install: runs the selected installer in its package dir with the command's arguments" {
	install_setup
	run stub ./b.run --sysroot root
	assert_status 0
	assert_output "ofed-ubuntu" "installed" "installer ofed-ubuntu: running with 3 arguments"
	# arguments exactly as in the spec, one per line ("two words" stays one argument)
	[[ $(cat "$OUT/ofed-ubuntu.args") == $'--from\nofed-ubuntu\ntwo words' ]]
	# working directory: <private temp dir under --tmpdir>/<package id>
	[[ $(cat "$OUT/ofed-ubuntu.cwd") == "$WORK"/tmp/*/ofed-ubuntu ]]
	# the environment reaches the installer
	grep -q "^IBT_OUT=$OUT\$" "$OUT/ofed-ubuntu.env"
	# only that package ran, and the temp dir is gone
	[[ $(ls "$OUT") == $'ofed-ubuntu.args\nofed-ubuntu.cwd\nofed-ubuntu.env' ]]
	dir_empty tmp
}

@test "install: the private temp dir is mode 0700 and holds the verified package while it runs" {
	install_setup
	new_spec
	spec_pkg probe ubuntu-22.04 cx6 command='["/bin/sh", "-c", "stat -c %a .. > \"$IBT_OUT/mode\"; ls -A > \"$IBT_OUT/files\""]'
	write_spec probe.json
	build_bundle probe.json p.run
	run stub ./p.run --sysroot root
	assert_status 0
	[[ $(cat "$OUT/mode") == 700 ]]
	[[ $(cat "$OUT/files") == $'README\ndoc\ninstall.sh' ]]
	dir_empty tmp
}

@test "install: the temp dir defaults to \$TMPDIR and is removed afterwards" {
	install_setup
	mkdir -p t2
	TMPDIR=$WORK/t2 run ./b.run --sysroot root --log-file "$WORK/install.log"
	assert_status 0
	[[ $(cat "$OUT/ofed-ubuntu.cwd") == "$WORK"/t2/ibpack.*/ofed-ubuntu ]]
	dir_empty t2
}

@test "install: --json result has action, result, exit_code, selection and installer" {
	install_setup
	run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 0
	json_assert "$output" "d['action'] == 'install'" "d['result'] == 'installed'" "d['exit_code'] == 0" \
		"d['selection']['package'] == 'ofed-ubuntu'" "d['selection']['version'] == '1.0-ofed-ubuntu'" \
		"'cx6' in d['selection']['reason']" "d['installer']['exit_code'] == 0" \
		"d['installer']['timed_out'] is False" "d['reboot_required'] is False" \
		"d['log_file'] == '$WORK/install.log'" "d['bundle']['name'] == 'testbundle'" "d['os'] == 'ubuntu-22.04'"
	# progress and installer output go to stderr, so stdout is exactly one JSON object
	assert_stderr "installer ofed-ubuntu"
}

@test "install: a reboot code exits 0 and reports reboot_required" {
	install_setup
	IBT_RC=194 run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 0
	json_assert "$output" "d['reboot_required'] is True" "d['result'] == 'reboot_required'" \
		"d['exit_code'] == 0" "d['installer']['exit_code'] == 194" "'reboot required' in d['message']"
	dir_empty tmp
}

@test "install: a reboot code from the spec is reported in the human output" {
	new_spec
	spec_pkg rb ubuntu-22.04 cx6 reboot=42
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	IBT_RC=42 run stub ./b.run --sysroot root
	assert_status 0
	assert_output "reboot required" "exit 42"
	grep -q "reboot required" install.log
}

@test "install: an extra success code from the spec counts as success" {
	new_spec
	spec_pkg ok5 ubuntu-22.04 cx6 success=0,5
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	IBT_RC=5 run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 0
	json_assert "$output" "d['result'] == 'installed'" "d['installer']['exit_code'] == 5"
}

@test "install: an installer failure code exits 14" {
	install_setup
	IBT_RC=1 run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 14
	json_assert "$output" "d['result'] == 'failed'" "d['exit_code'] == 14" \
		"d['installer']['exit_code'] == 1" "'exited with 1' in d['message']" "'ofed-ubuntu' in d['message']"
	[[ -f $OUT/ofed-ubuntu.args ]]
	dir_empty tmp
}

@test "install: the exit code can come from a file in the package" {
	new_spec
	spec_pkg f ubuntu-22.04 cx6
	write_spec spec.json
	echo 7 >pkgs/f/exit_code
	build_bundle
	sysroot root cx6-vf
	run stub ./b.run --sysroot root
	assert_status 14
	assert_output "exited with 7"
}

@test "install: an installer that cannot be executed exits 14" {
	new_spec
	spec_pkg bad ubuntu-22.04 cx6 command='["./not-executable.sh"]'
	write_spec spec.json
	printf '#!/bin/sh\nexit 0\n' >pkgs/bad/not-executable.sh
	chmod 644 pkgs/bad/not-executable.sh
	build_bundle
	sysroot root cx6-vf
	run stub ./b.run --sysroot root
	assert_status 14
	assert_output "not-executable.sh"
	dir_empty tmp
}

@test "install: an installer killed by a signal exits 14" {
	new_spec
	spec_pkg sig ubuntu-22.04 cx6 command='["/bin/sh", "-c", "kill -9 $$"]'
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 14
	json_assert "$output" "d['installer']['signal'] == 9" "d['installer']['exit_code'] is None"
}

@test "install: an installer past --timeout exits 240 and its whole process group is killed" {
	install_setup
	start=$SECONDS
	IBT_SLEEP=60 run --separate-stderr stub ./b.run --sysroot root --timeout 1 --json 3>&-
	assert_status 240
	((SECONDS - start < 15))
	json_assert "$output" "d['result'] == 'timeout'" "d['exit_code'] == 240" \
		"d['installer']['timed_out'] is True"
	[[ -s $OUT/ofed-ubuntu.pid && -s $OUT/ofed-ubuntu.child ]]
	wait_gone "$(cat "$OUT/ofed-ubuntu.pid")"
	wait_gone "$(cat "$OUT/ofed-ubuntu.child")" # the `sleep 300 &` it started
	dir_empty tmp
}

@test "install: the package's own timeout applies without --timeout" {
	new_spec
	spec_pkg slow ubuntu-22.04 cx6 timeout=1
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	IBT_SLEEP=60 run stub ./b.run --sysroot root 3>&-
	assert_status 240
	assert_output "1 s"
	wait_gone "$(cat "$OUT/slow.child")"
	dir_empty tmp
}

@test "install: the timeout also holds for an installer that closed its output" {
	new_spec
	spec_pkg quiet ubuntu-22.04 cx6 command='["/bin/sh", "-c", "echo $$ > \"$IBT_OUT/pid\"; exec >/dev/null 2>&1; sleep 30"]'
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	start=$SECONDS
	run stub ./b.run --sysroot root --timeout 1 3>&-
	assert_status 240
	((SECONDS - start < 10))
	wait_gone "$(cat "$OUT/pid")"
	dir_empty tmp
}

@test "install: a daemon left running by a successful installer does not hold up the stub" {
	new_spec
	spec_pkg d ubuntu-22.04 cx6 command='["/bin/sh", "-c", "sleep 30 & echo $! > \"$IBT_OUT/daemon\"; echo started"]'
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	start=$SECONDS
	run stub ./b.run --sysroot root --timeout 20 3>&-
	kill "$(cat "$OUT/daemon")" 2>/dev/null || true
	assert_status 0
	((SECONDS - start < 10))
	assert_output "started"
}

@test "install: SIGTERM stops the installer's group and removes the temp dir" {
	install_setup
	# the bundle itself in the background (not a shell function), so $! is the stub
	IBT_SLEEP=60 ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" \
		>stub.out 2>&1 3>&- &
	spid=$!
	for ((i = 0; i < 50; i++)); do [[ -s $OUT/ofed-ubuntu.child ]] && break; sleep 0.1; done
	[[ -s $OUT/ofed-ubuntu.child ]]
	kill -TERM "$spid"
	rc=0
	wait "$spid" || rc=$?
	[[ $rc -eq 14 ]] || { echo "exit $rc"; cat stub.out; false; }
	grep -q "interrupted" stub.out
	wait_gone "$(cat "$OUT/ofed-ubuntu.pid")"
	wait_gone "$(cat "$OUT/ofed-ubuntu.child")"
	dir_empty tmp
}

@test "install: --keep keeps the temp dir with the extracted package" {
	install_setup
	run --separate-stderr stub ./b.run --sysroot root --keep --json
	assert_status 0
	kept=$(json_get "$output" "d['kept_tmpdir']")
	[[ $kept == "$WORK"/tmp/ibpack.* ]]
	diff -r pkgs/ofed-ubuntu "$kept/ofed-ubuntu"
	[[ $(cat "$OUT/ofed-ubuntu.cwd") == "$kept/ofed-ubuntu" ]]
}

@test "install: --package forces a package regardless of detection" {
	install_setup none
	run --separate-stderr stub ./b.run --sysroot root --package ofed-rhel --json
	assert_status 0
	json_assert "$output" "d['selection']['package'] == 'ofed-rhel'" "'--package' in d['selection']['reason']"
	[[ -f $OUT/ofed-rhel.args && ! -f $OUT/ofed-ubuntu.args ]]
	dir_empty tmp
}

@test "install: --package with an unknown id exits 1 and runs nothing" {
	install_setup
	run stub ./b.run --sysroot root --package nosuch
	assert_status 1
	assert_output "nosuch"
	[[ -z $(ls -A "$OUT") ]]
}

@test "install: --trust with the signing key installs, with another key exits 2 and runs nothing" {
	install_setup
	key other
	run stub ./b.run --sysroot root --trust other.pub
	assert_status 2
	assert_output "$(key_id k | cut -c1-16)" "$(key_id other | cut -c1-16)"
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
	run stub ./b.run --sysroot root --trust k.pub
	assert_status 0
	[[ -f $OUT/ofed-ubuntu.args ]]
}

@test "install: --trust with an unreadable key file fails and runs nothing" {
	install_setup
	run stub ./b.run --sysroot root --trust nosuch.pub
	[[ $status -ne 0 ]]
	assert_output "nosuch.pub"
	[[ -z $(ls -A "$OUT") ]]
}

@test "install: a flipped byte in the selected package's payload exits 2 and runs nothing" {
	install_setup
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_ubuntu + PKG_LEN_ofed_ubuntu / 2))
	run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 2
	json_assert "$output" "d['result'] == 'invalid'" "d['exit_code'] == 2" "'ofed-ubuntu' in d['message']" \
		"'installer' not in d"
	[[ ! -e $OUT/ofed-ubuntu.args ]]
	dir_empty tmp
}

@test "install: a flipped byte in a later chunk of the selected package exits 2 and runs nothing" {
	new_spec
	spec_pkg big ubuntu-22.04 cx6 compression=none
	write_spec spec.json
	head -c 2500000 /dev/urandom >pkgs/big/zz-firmware.bin
	build_bundle
	sysroot root cx6-vf
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_big + 2 * 1048576 + 1))
	run stub ./b.run --sysroot root
	assert_status 2
	assert_output "package 'big'" "chunk 2"
	[[ ! -e $OUT/big.args ]]
	dir_empty tmp
}

@test "install: a flipped byte in another package's payload still installs the selected one" {
	install_setup
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_rhel + 3))
	flip b.run $((PKG_OFF_nd_driver + 3))
	run stub ./b.run --sysroot root
	assert_status 0
	[[ -f $OUT/ofed-ubuntu.args ]]
	dir_empty tmp
}

@test "install: a flipped manifest byte exits 2 and runs nothing" {
	install_setup
	eval "$(regions b.run)"
	flip b.run $((MANIFEST_OFF + MANIFEST_LEN - 10))
	run stub ./b.run --sysroot root
	assert_status 2
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
}

@test "install: a truncated bundle exits 2 and runs nothing" {
	install_setup
	truncate_by b.run 1
	run stub ./b.run --sysroot root
	assert_status 2
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
}

@test "install: --log-file receives the log and the installer's output" {
	install_setup
	run stub ./b.run --sysroot root --log-file "$WORK/custom.log"
	assert_status 0
	log=$(cat custom.log)
	assert_contains "$log" "installer ofed-ubuntu: running with 3 arguments" "installer ofed-ubuntu: exit 0" \
		"ofed-ubuntu" "installed" "ubuntu-22.04"
	# timestamped lines
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \[info\]' custom.log
}

@test "install: --log-file also records failures" {
	install_setup
	IBT_RC=2 run stub ./b.run --sysroot root --log-file "$WORK/fail.log"
	assert_status 14
	grep -q "\[error\].*exited with 2" fail.log
}

@test "install: the default log file is /var/log/ibpack/<bundle-name>.log" {
	[[ $(id -u) == 0 ]] || skip "needs root to write /var/log/ibpack"
	name=ibpack-bats-$$-$RANDOM
	new_spec
	spec_pkg a ubuntu-22.04 cx6
	write_spec spec.json "$name"
	build_bundle
	sysroot root cx6-vf
	run ./b.run --sysroot root --tmpdir "$WORK/tmp"
	log=/var/log/ibpack/$name.log
	text=$(cat "$log" 2>/dev/null || true)
	rm -f "$log"
	assert_status 0
	assert_contains "$text" "installer a: running" "[info]"
}

@test "install: --quiet prints nothing on stdout" {
	install_setup
	run --separate-stderr stub ./b.run --sysroot root --quiet
	assert_status 0
	[[ -z $output ]]
	[[ -f $OUT/ofed-ubuntu.args ]]
}

@test "install: no InfiniBand device exits 11 and runs nothing" {
	install_setup eth-vf
	run stub ./b.run --sysroot root
	assert_status 11
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
}

@test "install: an unsupported OS exits 12 and runs nothing" {
	std_bundle
	sysroot root cx6-vf --os debian 12
	run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 12
	json_assert "$output" "d['result'] == 'os_unsupported'" "d['os'] == 'debian-12'"
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
}

@test "install: a --tmpdir that does not exist fails and runs nothing" {
	install_setup
	run ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/nosuch"
	assert_status 14
	assert_output "nosuch"
	[[ -z $(ls -A "$OUT") ]]
}

# in_noexec DIR CMD...: runs CMD in a private mount namespace where DIR is a fresh noexec tmpfs
# (nothing leaks to the host's mounts). noexec_ok: whether this machine allows that.
in_noexec() {
	local dir=$1
	shift
	unshare -m sh -c 'mount -t tmpfs -o noexec,size=16m tmpfs "$0" && exec "$@"' "$dir" "$@"
}
noexec_ok() { mkdir -p "$WORK/probe" && in_noexec "$WORK/probe" true 2>/dev/null; }

@test "install: a --tmpdir on a noexec mount is refused and nothing runs" {
	noexec_ok || skip "cannot mount a tmpfs in a private namespace here"
	install_setup
	mkdir -p ne
	run in_noexec "$WORK/ne" ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/ne"
	assert_status 14
	assert_output "noexec"
	[[ -z $(ls -A "$OUT") ]]
}

@test "install: a noexec \$TMPDIR is skipped for an exec-capable temp dir" {
	noexec_ok || skip "cannot mount a tmpfs in a private namespace here"
	install_setup
	mkdir -p ne
	TMPDIR=$WORK/ne run in_noexec "$WORK/ne" ./b.run --sysroot root --log-file "$WORK/install.log"
	assert_status 0
	cwd=$(cat "$OUT/ofed-ubuntu.cwd")
	[[ $cwd == /var/tmp/ibpack.*/ofed-ubuntu || $cwd == /tmp/ibpack.*/ofed-ubuntu ]]
	[[ ! -e $(dirname "$cwd") ]]
}

# ---- hostile archives in a correctly signed bundle --------------------------------------------------

# hostile PYCODE: a one-package bundle h.run whose payload is install.sh followed by PYCODE's
# entries, re-signed with k; then runs it and expects exit 14, no installer run and no leftovers.
hostile() {
	new_spec
	spec_pkg h ubuntu-22.04 cx6
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	forge_bundle b.run h.run k "add('install.sh', open('pkgs/h/install.sh', 'rb').read(), mode=0o755)
$1"
	run "$IBPACK" verify h.run # the forgery is signed and chunk-consistent
	assert_status 0
	run stub ./h.run --sysroot root
	assert_status 14
	[[ ! -e $OUT/h.args ]]
	dir_empty tmp
}

@test "hostile: the forging helper itself yields an installable bundle" {
	new_spec
	spec_pkg h ubuntu-22.04 cx6
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	forge_bundle b.run h.run k "add('install.sh', open('pkgs/h/install.sh', 'rb').read(), mode=0o755)
add('extra/file.txt', b'hello')"
	run "$IBPACK" verify h.run
	assert_status 0
	run stub ./h.run --sysroot root
	assert_status 0
	[[ -f $OUT/h.args ]]
}

@test "hostile: an absolute path is refused (exit 14)" {
	hostile "add('$WORK/evil', b'x')"
	assert_output "absolute path"
	[[ ! -e $WORK/evil ]]
}

@test "hostile: a '..' path is refused (exit 14)" {
	hostile "add('../../evil', b'x')"
	assert_output "'..'"
	[[ ! -e $WORK/evil && ! -e $WORK/tmp/evil ]]
}

@test "hostile: a symlink is refused (exit 14)" {
	hostile "add('link', type=tarfile.SYMTYPE, linkname='/etc')"
	assert_output "symlink"
}

@test "hostile: a hardlink is refused (exit 14)" {
	hostile "add('hard', type=tarfile.LNKTYPE, linkname='install.sh')"
	assert_output "hardlink"
}

@test "hostile: a device node is refused (exit 14)" {
	hostile "add('null', type=tarfile.CHRTYPE)"
	assert_output "device"
}

@test "hostile: a duplicate path is refused (exit 14)" {
	hostile "add('install.sh', b'#!/bin/sh\necho replaced\n', mode=0o755)"
	assert_output "duplicate" "install.sh"
}

@test "hostile: a setuid file is refused (exit 14)" {
	hostile "add('suid', b'x', mode=0o4755)"
	assert_output "setuid"
}

@test "hostile: ibpack extract refuses it too and leaves no DIR/<id>" {
	new_spec
	spec_pkg h ubuntu-22.04 cx6
	write_spec spec.json
	build_bundle
	forge_bundle b.run h.run k "add('install.sh', b'x')
add('../escape', b'x')"
	run "$IBPACK" extract h.run -o layout
	[[ $status -ne 0 ]]
	assert_output "'..'"
	[[ ! -e layout/h && ! -e escape && ! -e layout/escape ]]
}

# ---- every exit code the issue lists, in one place ------------------------------------------------

@test "stub exit codes: 0 1 2 11 12 14 240" {
	std_bundle
	sysroot ok cx6-vf
	sysroot nodev eth-vf
	sysroot badOS cx6-vf --os fedora 39
	cp b.run bad.run
	eval "$(regions bad.run)"
	flip bad.run $((PKG_OFF_ofed_ubuntu + 1))
	check() {
		local want=$1
		shift
		run "$@"
		[[ $status -eq $want ]] || { echo "expected $want from: $*"; echo "got $status: $output"; return 1; }
	}
	check 0 stub ./b.run --sysroot ok
	check 1 ./b.run --bogus
	check 2 stub ./bad.run --sysroot ok
	check 11 stub ./b.run --sysroot nodev
	check 12 stub ./b.run --sysroot badOS
	IBT_RC=9 check 14 stub ./b.run --sysroot ok --reinstall
	IBT_SLEEP=30 check 240 stub ./b.run --sysroot ok --reinstall --timeout 1 3>&-
	dir_empty tmp
}

@test "install reads only the selected package's blob and chunk table from the payload (strace)" {
	strace_ok || skip "strace is not usable here"
	install_setup
	eval "$(regions b.run)"
	trace_io install.trace ./b.run --sysroot root \
		--log-file "$WORK/install.log" --tmpdir "$WORK/tmp" >/dev/null
	[[ -f $OUT/ofed-ubuntu.args ]]
	reads=$(payload_reads b.run install.trace)
	[[ -n $reads ]]
	while read -r off n; do
		((off >= PKG_OFF_ofed_ubuntu && off + n <= PKG_OFF_ofed_ubuntu + PKG_LEN_ofed_ubuntu)) ||
			((off == TABLE_OFF_ofed_ubuntu && n == TABLE_LEN_ofed_ubuntu)) || {
			echo "read of $n bytes at $off is outside package ofed-ubuntu and its chunk table"
			false
		}
	done <<<"$reads"
	grep -qx "$TABLE_OFF_ofed_ubuntu $TABLE_LEN_ofed_ubuntu" <<<"$reads"
}
