#!/usr/bin/env bats
# Hardening: the install record and the rollback rule, the install lock, faults (full disk,
# unwritable temp dir, signals during extraction and install, a killed installer), hostile
# archives inside correctly signed bundles, and what the builder refuses.

load helpers

# The record lives in the per-test state dir (IBPACK_STATE_DIR, helpers.bash), never in the sysroot.
STATE=state/state.json

# setup_std: the standard bundle b.run (sequence 7) and a ConnectX-6 Ubuntu 22.04 sysroot.
setup_std() {
	std_bundle
	sysroot root cx6-vf
}

# seq_bundle SEQ OUT [NAME]: the standard spec rebuilt with another sequence (and bundle name).
seq_bundle() {
	py - "$1" "${3:-testbundle}" <<'PY'
import json, sys
d = json.load(open("spec.json"))
d["sequence"], d["name"] = int(sys.argv[1]), sys.argv[2]
json.dump(d, open("spec-%s-%s.json" % (sys.argv[2], sys.argv[1]), "w"))
PY
	build_bundle "spec-${3:-testbundle}-$1.json" "$2" k
}

# state_seq [NAME]: the recorded sequence of bundle NAME (default testbundle), or "none".
state_seq() {
	[[ -f $STATE ]] || { echo none; return; }
	json_get "$(cat "$STATE")" "d['bundles'].get('${1:-testbundle}', {}).get('sequence', 'none')"
}

# ---- the install record and the rollback rule -----------------------------------------------------

@test "state: a successful install records bundle, sequence, version, package and time (0644 in a 0755 dir)" {
	setup_std
	run stub ./b.run --sysroot root
	assert_status 0
	assert_output "recorded 'testbundle' sequence 7"
	[[ $(file_mode "$STATE") == 644 && $(file_mode state) == 755 ]]
	json_assert "$(cat "$STATE")" "d['format'] == 1" "list(d['bundles']) == ['testbundle']" \
		"d['bundles']['testbundle']['sequence'] == 7" "d['bundles']['testbundle']['version'] == '1.2.3'" \
		"d['bundles']['testbundle']['package'] == 'ofed-ubuntu'" \
		"d['bundles']['testbundle']['package_version'] == '1.0-ofed-ubuntu'" \
		"__import__('re').fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', d['bundles']['testbundle']['installed'])" \
		"d['bundles']['testbundle']['reboot_required'] is False"
	[[ -z $(compgen -G "$STATE.tmp*") ]]
}

@test "state: a reboot-required install is recorded as such" {
	setup_std
	IBT_RC=194 run stub ./b.run --sysroot root
	assert_status 0
	json_assert "$(cat "$STATE")" "d['bundles']['testbundle']['reboot_required'] is True"
}

@test "state: the write is atomic: temp file, fsync, then rename over state.json (strace)" {
	strace_ok || skip "strace is not usable here"
	setup_std
	# (LeakSanitizer cannot run under ptrace: sanitizer builds run without it here)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o trace -e trace=openat,fsync,rename,renameat,renameat2 \
		./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" >/dev/null
	py - trace <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
idx = lambda pat: next(i for i, l in enumerate(lines) if re.search(pat, l))
o = idx(r'openat\(.*state\.json\.tmp\.\w{6}", O_RDWR\|O_CREAT\|O_EXCL')
fd = re.search(r'= (\d+)$', lines[o]).group(1)
f = idx(r'fsync\(%s\)' % fd)
r = idx(r'rename(at2?)?\(.*state\.json\.tmp\.\w{6}".*state\.json"')
assert o < f < r, (o, f, r)
PY
}

@test "rollback: an older sequence exits 15 naming both sequences, runs nothing, keeps the record" {
	setup_std
	seq_bundle 5 old.run
	run stub ./b.run --sysroot root
	assert_status 0
	before=$(cat "$STATE")
	rm -f "$OUT"/*
	run --separate-stderr stub ./old.run --sysroot root --json
	assert_status 15
	json_assert "$output" "d['result'] == 'downgrade_refused'" "d['exit_code'] == 15" \
		"'sequence 5' in d['message'] and 'sequence 7' in d['message']" "'--allow-downgrade' in d['message']" \
		"d['installed_before']['sequence'] == 7" "d['installed_before']['package'] == 'ofed-ubuntu'"
	assert_stderr "refusing a downgrade"
	[[ -z $(ls -A "$OUT") ]]
	dir_empty tmp
	[[ $(cat "$STATE") == "$before" ]]
}

@test "rollback: --allow-downgrade installs the older bundle and records its sequence" {
	setup_std
	seq_bundle 5 old.run
	run stub ./b.run --sysroot root
	assert_status 0
	run stub ./old.run --sysroot root --allow-downgrade
	assert_status 0
	assert_output "because of --allow-downgrade" "installed"
	[[ -f $OUT/ofed-ubuntu.args && $(state_seq) == 5 ]]
}

@test "rollback: an equal sequence is installed already (--reinstall runs it), a newer one installs and replaces the record" {
	setup_std
	seq_bundle 9 new.run
	run stub ./b.run --sysroot root
	assert_status 0
	rm -f "$OUT"/*
	run stub ./b.run --sysroot root
	assert_status 0
	[[ ! -f $OUT/ofed-ubuntu.args && $(state_seq) == 7 ]]
	run stub ./b.run --sysroot root --reinstall
	assert_status 0
	[[ -f $OUT/ofed-ubuntu.args && $(state_seq) == 7 ]]
	run stub ./new.run --sysroot root
	assert_status 0
	[[ $(state_seq) == 9 ]]
	run stub ./b.run --sysroot root
	assert_status 15
}

@test "rollback: bundle names are independent records" {
	setup_std
	seq_bundle 1 other.run otherbundle
	run stub ./b.run --sysroot root
	assert_status 0
	run stub ./other.run --sysroot root
	assert_status 0
	[[ $(state_seq) == 7 && $(state_seq otherbundle) == 1 ]]
}

@test "rollback: a failed, timed-out, signal-killed or interrupted install records nothing" {
	setup_std
	seq_bundle 9 new.run
	IBT_RC=9 run stub ./b.run --sysroot root
	assert_status 14
	[[ ! -e $STATE ]]
	IBT_SLEEP=30 run stub ./b.run --sysroot root --timeout 1 3>&-
	assert_status 240
	[[ ! -e $STATE ]]
	# with a record: a failing newer bundle leaves it as it was
	run stub ./b.run --sysroot root
	assert_status 0
	before=$(cat "$STATE")
	IBT_RC=9 run stub ./new.run --sysroot root
	assert_status 14
	[[ $(cat "$STATE") == "$before" ]]
	dir_empty tmp
}

@test "rollback: --detect reports the record and exits as the install would (15 for an older bundle)" {
	setup_std
	seq_bundle 5 old.run
	run --separate-stderr stub ./b.run --sysroot root --detect --json
	assert_status 0
	json_assert "$output" "d['installed_before'] is None" "d['state_file'] == '$WORK/state/state.json'"
	run stub ./b.run --sysroot root --detect
	assert_output "no earlier install of 'testbundle' recorded"
	run stub ./b.run --sysroot root
	assert_status 0
	run stub ./old.run --sysroot root --detect
	assert_status 15
	assert_output "installed before: 'testbundle' 1.2.3 (sequence 7, package 'ofed-ubuntu'" "refusing a downgrade"
	run stub ./old.run --sysroot root --detect --allow-downgrade
	assert_status 0
	[[ $(state_seq) == 7 ]] # --detect writes nothing
}

@test "rollback: a corrupt state file exits 15 naming it and the way out; --allow-downgrade replaces it" {
	setup_std
	mkdir -p state
	cases=(
		'not json at all'
		'[1, 2, 3]'
		'{"format": 1}'
		'{"format": 2, "bundles": {}}'
		'{"format": 1, "bundles": {"testbundle": {"sequence": -1, "version": "1", "package": "p", "installed": "t"}}}'
		'{"format": 1, "bundles": {"testbundle": {"sequence": 1.5, "version": "1", "package": "p", "installed": "t"}}}'
		'{"format": 1, "bundles": {"x": {"sequence": 1, "version": 7, "package": "p", "installed": "t"}}}'
		'{"format": 1, "bundles": {"x": []}}'
	)
	for c in "${cases[@]}" big; do
		if [[ $c == big ]]; then
			head -c $((5 << 20)) /dev/zero | tr '\0' ' ' >"$STATE"
		else
			printf '%s' "$c" >"$STATE"
		fi
		run stub ./b.run --sysroot root
		[[ $status -eq 15 ]] || { echo "case $c: exit $status"; echo "$output"; false; }
		assert_output "install state" "state.json' is unusable" "remove it" "--allow-downgrade"
		[[ -z $(ls -A "$OUT") ]]
	done
	printf 'garbage' >"$STATE"
	run stub ./b.run --sysroot root --allow-downgrade
	assert_status 0
	[[ $(state_seq) == 7 && $(cat "$STATE.corrupt") == garbage ]]
	# the documented way out without the option: remove the file
	printf 'garbage' >"$STATE"
	rm "$STATE"
	run stub ./b.run --sysroot root
	assert_status 0
}

@test "rollback: a state.json that is a directory is reported, not a crash" {
	setup_std
	mkdir -p "$STATE"
	run stub ./b.run --sysroot root
	assert_status 15
	assert_output "unusable" "not a regular file"
	[[ -z $(ls -A "$OUT") ]]
}

@test "state: a record that cannot be written after a successful install is a warning (exit 0)" {
	setup_std
	unshare -m true 2>/dev/null || skip "no private mount namespace here"
	mkdir -p state
	# A full file system holds the state directory: the lock file fits, the record does not.
	run unshare -m sh -c 'mount -t tmpfs -o size=8k,nr_inodes=16,mode=0755 tmpfs state &&
		: >state/lock && head -c 65536 /dev/zero >state/fill 2>/dev/null
		exec "$@"' sh ./b.run --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --sysroot root
	assert_status 0
	assert_output "installed, but the install state was not recorded" "state.json"
	[[ -f $OUT/ofed-ubuntu.args && ! -e $STATE ]]
}

@test "state: the record is /var/lib/ibpack/state.json by default, with or without --sysroot (private mount namespace)" {
	mkdir -p "$WORK/probe"
	unshare -m true 2>/dev/null && unshare -m sh -c 'mount -t tmpfs tmpfs "$0"' "$WORK/probe" 2>/dev/null ||
		skip "cannot mount a tmpfs in a private namespace here"
	std_bundle
	# /var/lib is an empty tmpfs in the namespace: the host's is never touched
	unset IBPACK_STATE_DIR
	run unshare -m sh -c 'mount -t tmpfs tmpfs /var/lib && "$@" && cat /var/lib/ibpack/state.json && \
		stat -c %a /var/lib/ibpack /var/lib/ibpack/state.json' sh \
		./b.run --os ubuntu-22.04 --nic cx6 --log-file "$WORK/install.log" --tmpdir "$WORK/tmp"
	assert_status 0
	assert_output "recorded 'testbundle' sequence 7 in /var/lib/ibpack/state.json" '"package":	"ofed-ubuntu"' \
		$'755\n644'
	# --sysroot is where detection reads: the installer runs on this machine, so its record is
	# this machine's too, and nothing is written below the sysroot.
	sysroot root cx6-vf
	run unshare -m sh -c 'mount -t tmpfs tmpfs /var/lib && "$@" && cat /var/lib/ibpack/state.json' sh \
		./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp"
	assert_status 0
	assert_output "recorded 'testbundle' sequence 7 in /var/lib/ibpack/state.json"
	[[ ! -e root/var/lib/ibpack ]]
}

@test "state: --state-dir and \$IBPACK_STATE_DIR hold the record; a linked, foreign or writable one is refused" {
	setup_std
	run --separate-stderr stub ./b.run --sysroot root --state-dir "$WORK/mine" --json
	assert_status 0
	json_assert "$output" "d['state_file'] == '$WORK/mine/state.json'"
	[[ -f mine/state.json && ! -e $STATE && ! -e root/var/lib/ibpack ]]
	run --separate-stderr stub ./b.run --sysroot root --json
	json_assert "$output" "d['state_file'] == '$WORK/state/state.json'" "d['result'] == 'installed'"
	ln -s mine linked
	run stub ./b.run --sysroot root --state-dir "$WORK/linked" --reinstall
	assert_status 14
	assert_output "state directory '$WORK/linked' is a symbolic link"
	mkdir -p open && chmod 777 open
	run stub ./b.run --sysroot root --state-dir "$WORK/open" --reinstall
	assert_status 14
	assert_output "state directory '$WORK/open' is writable by others"
	mkdir -p foreign && chown 65534 foreign
	IBPACK_STATE_DIR=$WORK/foreign run stub ./b.run --sysroot root --reinstall
	assert_status 14
	assert_output "state directory '$WORK/foreign' is owned by another user"
	: >plain
	run stub ./b.run --sysroot root --state-dir "$WORK/plain" --detect
	assert_output "state directory '$WORK/plain' is not a directory"
	[[ -z $(ls -A open)$(ls -A foreign) ]]
}

# ---- the install lock ------------------------------------------------------------------------------

# start_first SECONDS: starts the standard bundle in the background with an installer that sleeps
# SECONDS (SLOW_PID is the stub) and waits until that installer runs, holding the lock.
start_first() {
	IBT_SLEEP=$1 ./b.run --sysroot root --log-file "$WORK/first.log" --tmpdir "$WORK/tmp" \
		>first.out 2>&1 3>&- &
	SLOW_PID=$!
	for ((i = 0; i < 200; i++)); do
		[[ -s $OUT/ofed-ubuntu.pid ]] && return 0
		sleep 0.05
	done
	echo "the first install did not start"
	cat first.out
	return 1
}

# end_first: waits for the first install (expecting exit 0) and stops the `sleep 300` it left.
end_first() {
	local rc=0
	wait "$SLOW_PID" || rc=$?
	kill "$(cat "$OUT/ofed-ubuntu.child")" 2>/dev/null || true
	[[ $rc -eq ${1:-0} ]] || { echo "first install exited $rc"; cat first.out; return 1; }
}

@test "lock: a second install while one runs exits 16 at once with --lock-wait 0, naming the holder" {
	setup_std
	start_first 3
	mkdir -p out2
	IBT_OUT=$WORK/out2 run --separate-stderr stub ./b.run --sysroot root --lock-wait 0 --json
	assert_status 16
	json_assert "$output" "d['result'] == 'locked'" "d['exit_code'] == 16" \
		"'held by pid $SLOW_PID (bundle \\'testbundle\\', since' in d['message']" "'--lock-wait 0' in d['message']"
	[[ -z $(ls -A out2) ]]
	end_first
	grep -q "installed" first.out
}

@test "lock: a second install waits for the first, then finds it installed; with --reinstall it installs" {
	setup_std
	start_first 2
	mkdir -p out2
	IBT_OUT=$WORK/out2 run stub ./b.run --sysroot root
	first_done=0
	kill -0 "$SLOW_PID" 2>/dev/null || first_done=1
	assert_status 0
	assert_output "another install is running (pid $SLOW_PID" "waiting up to 300 s" "is installed already"
	[[ ! -f out2/ofed-ubuntu.args && $first_done == 1 ]]
	end_first
	IBT_OUT=$WORK/out2 run stub ./b.run --sysroot root --reinstall
	assert_status 0
	[[ -f out2/ofed-ubuntu.args ]]
}

@test "lock: the wait is bounded: --lock-wait 1 exits 16 after about a second" {
	setup_std
	start_first 10
	start=$SECONDS
	run stub ./b.run --sysroot root --lock-wait 1 --log-file "$WORK/second.log"
	assert_status 16
	assert_output "gave up waiting"
	((SECONDS - start < 6))
	kill -TERM "$SLOW_PID"
	end_first 14
}

@test "lock: a stub killed with SIGKILL leaves no stale lock" {
	setup_std
	start_first 30
	kill -KILL "$SLOW_PID"
	wait "$SLOW_PID" || true
	# the orphaned installer keeps running (nobody is left to stop it): stop its group here
	kill -- -"$(cat "$OUT/ofed-ubuntu.pid")" 2>/dev/null || true
	rm -rf tmp/* "$OUT"/*
	run stub ./b.run --sysroot root --lock-wait 0
	assert_status 0
}

@test "lock: --detect, --list and --verify do not wait for an install; SIGTERM while waiting exits 14" {
	setup_std
	start_first 4
	run stub ./b.run --sysroot root --detect --lock-wait 0
	assert_status 0
	run ./b.run --list
	assert_status 0
	run ./b.run --verify
	assert_status 0
	mkdir -p out2
	IBT_OUT=$WORK/out2 ./b.run --sysroot root --log-file "$WORK/second.log" --tmpdir "$WORK/tmp" >second.out 2>&1 3>&- &
	second=$!
	for ((i = 0; i < 100; i++)); do grep -q "waiting up to" second.out && break; sleep 0.05; done
	kill -TERM "$second"
	rc=0
	wait "$second" || rc=$?
	[[ $rc -eq 14 ]] || { echo "exit $rc"; cat second.out; false; }
	grep -q "interrupted while waiting for the install lock" second.out
	[[ -z $(ls -A out2) ]]
	end_first
}

@test "lock: a bad --lock-wait is a usage error" {
	setup_std
	run ./b.run --lock-wait -1
	assert_status 1
	run ./b.run --lock-wait soon
	assert_status 1
	assert_output "--lock-wait"
}

# ---- faults ----------------------------------------------------------------------------------------

# in_tmpfs DIR OPTIONS CMD...: runs CMD in a private mount namespace where DIR is a fresh tmpfs
# mounted with OPTIONS; afterwards writes what is left in DIR to $WORK/left and keeps CMD's exit.
in_tmpfs() {
	local dir=$1 opts=$2
	shift 2
	unshare -m sh -c 'mount -t tmpfs -o "$1" tmpfs "$0" || exit 99; shift; "$@"; rc=$?
		ls -A "$0" >"$WORK/left"; exit $rc' "$dir" "$opts" "$@"
}
tmpfs_ok() { mkdir -p "$WORK/probe" && WORK=$WORK in_tmpfs "$WORK/probe" size=1m true 2>/dev/null; }

@test "fault: a full disk while extracting exits 14 with a clear message; temp dir removed, nothing run or recorded" {
	tmpfs_ok || skip "cannot mount a tmpfs in a private namespace here"
	new_spec
	spec_pkg big ubuntu-22.04 cx6 compression=none
	write_spec spec.json
	head -c 3000000 /dev/urandom >pkgs/big/firmware.bin
	build_bundle
	sysroot root cx6-vf
	mkdir -p small
	export WORK
	run in_tmpfs "$WORK/small" size=1m ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/small"
	assert_status 14
	assert_output "no space left while extracting package 'big'" "--tmpdir"
	[[ ! -s $WORK/left && -z $(ls -A "$OUT") && ! -e $STATE ]]
}

@test "fault: running out of inodes while extracting exits 14 the same way" {
	tmpfs_ok || skip "cannot mount a tmpfs in a private namespace here"
	new_spec
	spec_pkg many ubuntu-22.04 cx6
	write_spec spec.json
	for i in $(seq 1 40); do echo "$i" >"pkgs/many/doc/f$i"; done
	build_bundle
	sysroot root cx6-vf
	mkdir -p small
	export WORK
	run in_tmpfs "$WORK/small" size=16m,nr_inodes=12 ./b.run --sysroot root --log-file "$WORK/install.log" \
		--tmpdir "$WORK/small"
	assert_status 14
	assert_output "no space left while extracting package 'many'"
	[[ ! -s $WORK/left && -z $(ls -A "$OUT") ]]
}

@test "fault: a read-only --tmpdir is refused before extracting (exit 14), nothing runs" {
	tmpfs_ok || skip "cannot mount a tmpfs in a private namespace here"
	setup_std
	mkdir -p ro
	export WORK
	run in_tmpfs "$WORK/ro" ro ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/ro"
	assert_status 14
	assert_output "--tmpdir '$WORK/ro' is not a writable directory"
	[[ -z $(ls -A "$OUT") && ! -e $STATE ]]
}

@test "fault: an unwritable \$TMPDIR is skipped for another temp dir" {
	tmpfs_ok || skip "cannot mount a tmpfs in a private namespace here"
	setup_std
	mkdir -p ro
	export WORK
	TMPDIR=$WORK/ro run in_tmpfs "$WORK/ro" ro ./b.run --sysroot root --log-file "$WORK/install.log"
	assert_status 0
	cwd=$(cat "$OUT/ofed-ubuntu.cwd")
	[[ $cwd == /var/tmp/ibpack.*/ofed-ubuntu || $cwd == /tmp/ibpack.*/ofed-ubuntu ]]
	[[ ! -e $(dirname "$cwd") ]]
}

# big_bundle: big.run, one zstd package whose 256 MiB file of zeros takes a while to extract.
big_bundle() {
	new_spec
	spec_pkg big ubuntu-22.04 cx6 compression=zstd
	write_spec spec.json
	truncate -s 256M pkgs/big/zeros.bin
	build_bundle spec.json big.run
	rm pkgs/big/zeros.bin
	sysroot root cx6-vf
}

# interrupt_extraction SIGNAL: runs big.run, stops it as soon as it says it is extracting, checks
# that extraction is under way, sends SIGNAL and lets it continue; the stub must stop, clean up
# and exit 14 without running or recording anything.
interrupt_extraction() {
	mkfifo out.fifo
	./big.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" >out.fifo 2>stub.err 3>&- &
	spid=$!
	exec 4<out.fifo
	while IFS= read -r line <&4; do
		[[ $line == *"extracting package 'big'"* ]] && break
	done
	# stop it once the big file is being written, then check it is only partly there
	shopt -s nullglob
	for ((i = 0; i < 2000; i++)); do
		f=(tmp/ibpack.*/big/zeros.bin)
		((${#f[@]})) && [[ -s ${f[0]} ]] && break
	done
	kill -STOP "$spid"
	((${#f[@]})) && [[ -s ${f[0]} ]] || { echo "extraction did not start"; false; }
	size=$(stat -c %s "${f[0]}")
	((size < 256 << 20)) || { echo "extraction had already finished"; false; }
	[[ ! -e $OUT/big.args ]]
	kill "-$1" "$spid"
	kill -CONT "$spid"
	cat <&4 >stub.out
	exec 4<&-
	rc=0
	wait "$spid" || rc=$?
	[[ $rc -eq 14 ]] || { echo "exit $rc"; cat stub.out stub.err; false; }
	grep -q "interrupted by a signal while extracting" stub.err
	grep -q "interrupted by SIG$1; cleaning up" stub.err
	dir_empty tmp
	[[ -z $(ls -A "$OUT") && ! -e $STATE ]]
}

@test "fault: SIGTERM during extraction stops it, removes the temp dir, runs and records nothing" {
	big_bundle
	interrupt_extraction TERM
}

@test "fault: SIGINT during extraction does the same" {
	big_bundle
	interrupt_extraction INT
}

@test "fault: SIGINT during the install kills the installer's group, removes the temp dir, keeps the record" {
	setup_std
	seq_bundle 9 new.run
	run stub ./b.run --sysroot root
	assert_status 0
	before=$(cat "$STATE")
	rm -f "$OUT"/*
	IBT_SLEEP=60 ./new.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" >stub.out 2>&1 3>&- &
	spid=$!
	for ((i = 0; i < 100; i++)); do [[ -s $OUT/ofed-ubuntu.child ]] && break; sleep 0.05; done
	kill -INT "$spid"
	rc=0
	wait "$spid" || rc=$?
	[[ $rc -eq 14 ]] || { echo "exit $rc"; cat stub.out; false; }
	grep -q "interrupted by SIGINT" stub.out
	for p in "$(cat "$OUT/ofed-ubuntu.pid")" "$(cat "$OUT/ofed-ubuntu.child")"; do
		for ((i = 0; i < 30; i++)); do
			[[ ! -e /proc/$p || $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) == Z ]] && break
			sleep 0.1
		done
		[[ ! -e /proc/$p || $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) == Z ]]
	done
	dir_empty tmp
	[[ $(cat "$STATE") == "$before" ]]
}

@test "fault: an installer killed by a signal exits 14 naming the signal, and nothing is recorded" {
	new_spec
	spec_pkg sig ubuntu-22.04 cx6 command='["/bin/sh", "-c", "kill -9 $$"]'
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	run stub ./b.run --sysroot root
	assert_status 14
	assert_output "installer was killed by signal 9 (SIGKILL)"
	[[ ! -e $STATE ]]
	dir_empty tmp
}

# ---- hostile archives in correctly signed bundles ---------------------------------------------------

# forge_ex IN OUT KEY PYCODE: like forge_bundle, plus: PYCODE may set `compression` ("none",
# "zstd", "gzip": the tar stream is compressed with that tool), `files`/`size` (the counts the
# manifest declares, computed from the entries otherwise) and `blob_file` (a file holding the
# finished blob, already compressed as `compression` says, for streams too big for memory).
forge_ex() {
	py - "$@" <<'PY'
import hashlib, io, json, os, struct, subprocess, sys, tarfile
src, dst, key, code = sys.argv[1:5]
data = open(src, "rb").read()
_, _, stub, moff, mlen, soff, slen, _ = struct.unpack("<IIQQQQQQ", data[-56:])
m = json.loads(data[moff:moff + mlen])
sigblock = bytearray(data[soff:soff + slen])
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT)
files = size = 0
compression, blob_file = "none", None
def add(name, data=b"", type=tarfile.REGTYPE, mode=0o644, linkname=""):
    global files, size
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.linkname, ti.mtime = type, mode, linkname, 0
    if type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        ti.devmajor, ti.devminor = 1, 3
    ti.size = len(data) if type in (tarfile.REGTYPE, tarfile.AREGTYPE) else 0
    t.addfile(ti, io.BytesIO(data) if ti.size else None)
    files += 1
    size += ti.size
exec(code)
t.close()
if blob_file:
    blob = open(blob_file, "rb").read()
elif compression == "none":
    blob = buf.getvalue()
else:
    blob = subprocess.run([compression, "-c"] + (["-n"] if compression == "gzip" else []),
                          input=buf.getvalue(), check=True, capture_output=True).stdout
cs = m["chunk_size"]
p = m["packages"][0]
p["unpacked_size"], p["file_count"] = size, files
p.pop("files", None)  # the optional signed file list would describe the replaced payload
p["blob"] = {"offset": stub, "length": len(blob), "compression": compression,
             "sha256": hashlib.sha256(blob).hexdigest(),
             "chunks": [hashlib.sha256(blob[i:i + cs]).hexdigest() for i in range(0, len(blob), cs)]}
manifest = json.dumps(m, indent=1).encode()
mf = dst + ".manifest"
open(mf, "wb").write(manifest)
sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key + ".key", "-rawin", "-in", mf],
                     check=True, capture_output=True).stdout
os.unlink(mf)
sigblock[52:52 + len(sig)] = sig
moff = stub + len(blob)
soff = moff + len(manifest)
pad = (8 - (soff + slen + 64) % 8) % 8
blen = soff + slen + pad + 64
footer = b"IBPKFTR1" + struct.pack("<IIQQQQQQ", 1, 64, stub, moff, len(manifest), soff, slen, blen)
open(dst, "wb").write(data[:stub] + blob + manifest + bytes(sigblock) + bytes(pad) + footer)
os.chmod(dst, 0o755)
PY
}

# hostile_setup: a one-package bundle b.run (package h) signed by k, the sysroot, and a canary
# directory outside the temp dir whose listing and content must never change.
hostile_setup() {
	new_spec
	spec_pkg h ubuntu-22.04 cx6
	write_spec spec.json
	build_bundle
	sysroot root cx6-vf
	mkdir -p canary/sub
	echo "keep me" >canary/file
	canary_before=$(cd canary && find . -printf '%p %s %m %n\n' | sort && cat file)
}

# hostile_check NAME PYCODE: forges h-NAME.run from PYCODE's entries (after a valid install.sh),
# then install, stub --extract and ibpack extract must all fail; nothing may run, be recorded,
# be left in the temp dir or the layout dir, or change in the canary. Failures are appended to
# the FAILED array rather than ending the test, so one run reports every case.
hostile_check() {
	local name=$1 b=h-$1.run rc after
	forge_ex b.run "$b" k "add('install.sh', open('pkgs/h/install.sh', 'rb').read(), mode=0o755)
$2" || { FAILED+=("$name: forging failed"); return; }
	"$IBPACK" verify "$b" >/dev/null 2>&1 || FAILED+=("$name: the forgery does not verify (test bug)")
	rc=0
	./"$b" --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" >"$name.out" 2>&1 || rc=$?
	((rc == 14)) || FAILED+=("$name: install exited $rc: $(tail -1 "$name.out")")
	[[ -z $(ls -A "$OUT") ]] || FAILED+=("$name: the installer ran")
	[[ -z $(ls -A tmp) ]] || FAILED+=("$name: temp dir left: $(ls -A tmp)")
	[[ ! -e $STATE ]] || FAILED+=("$name: an install was recorded")
	rc=0
	./"$b" --extract "$WORK/layout" >/dev/null 2>&1 || rc=$?
	((rc != 0)) || FAILED+=("$name: stub --extract succeeded")
	rc=0
	"$IBPACK" extract "$b" -o "$WORK/layout2" >/dev/null 2>&1 || rc=$?
	((rc != 0)) || FAILED+=("$name: ibpack extract succeeded")
	[[ ! -e layout/h && ! -e layout2/h ]] || FAILED+=("$name: a partial layout/h was left")
	after=$(cd canary && find . -printf '%p %s %m %n\n' | sort && cat file)
	[[ $after == "$canary_before" ]] || FAILED+=("$name: the canary changed")
	[[ ! -e $WORK/evil && ! -e $WORK/tmp/evil ]] || FAILED+=("$name: wrote outside")
	rm -rf tmp/* layout layout2 "$OUT"/*
	grep -q "${3:-.}" "$name.out" || FAILED+=("$name: message lacks '${3:-}': $(tail -1 "$name.out")")
}

@test "hostile: every kind of hostile entry is refused by install, --extract and ibpack extract; nothing escapes" {
	hostile_setup
	C=$WORK/canary
	FAILED=()
	hostile_check dotdot "add('../../../canary/evil', b'x')" "'..'"
	hostile_check dotdot-dir "add('a/../../../../canary/evil', b'x')" "'..'"
	hostile_check absolute "add('$C/evil', b'x')" "absolute path"
	hostile_check symlink-out "add('link', type=tarfile.SYMTYPE, linkname='$C')
add('link/evil', b'x')" "symlink"
	hostile_check symlink-rel "add('up', type=tarfile.SYMTYPE, linkname='../../../canary')" "symlink"
	hostile_check hardlink-out "add('hard', type=tarfile.LNKTYPE, linkname='$C/file')" "hardlink"
	hostile_check hardlink-rel "add('hard', type=tarfile.LNKTYPE, linkname='../../../canary/file')" "hardlink"
	hostile_check chardev "add('null', type=tarfile.CHRTYPE)" "device"
	hostile_check blockdev "add('sda', type=tarfile.BLKTYPE)" "device"
	hostile_check fifo "add('pipe', type=tarfile.FIFOTYPE)" "FIFO"
	hostile_check setuid "add('suid', b'x', mode=0o4755)" "setuid"
	hostile_check setgid "add('sgid', b'x', mode=0o2755)" "setgid"
	hostile_check sticky-dir "add('d', type=tarfile.DIRTYPE, mode=0o1777)" "sticky"
	hostile_check duplicate-file "add('install.sh', b'#!/bin/sh\necho replaced\n', mode=0o755)" "duplicate"
	hostile_check duplicate-dir "add('d', type=tarfile.DIRTYPE)
add('d/', type=tarfile.DIRTYPE)" "duplicate"
	hostile_check file-then-dir "add('d', b'x')
add('d', type=tarfile.DIRTYPE)" "."
	hostile_check more-files "add('a', b'x')
add('b', b'y')
files = 2" "more than the declared 2 files"
	hostile_check more-bytes "add('a', b'x' * 5000)
size = 1000" "larger than the declared unpacked size"
	hostile_check fewer-bytes "add('a', b'x' * 5000)
size += 100" "manifest declares"
	hostile_check gzip-more-bytes "compression = 'gzip'
add('a', b'\\0' * 200000)
size = 1000" "larger than the declared unpacked size"
	if ((${#FAILED[@]})); then
		printf '%s\n' "${FAILED[@]}"
		false
	fi
}

@test "hostile: a decompression bomb (1 GiB of zeros in a small zstd blob, 1 MiB declared) stops at once" {
	command -v zstd >/dev/null || skip "zstd is not installed (bash scripts/setup.sh test)"
	hostile_setup
	# the tar stream: install.sh, then one 1 GiB file of zeros, streamed into a file (not memory)
	py - <<'PY'
import tarfile
with open("bomb.tar", "wb") as f:
    src = open("pkgs/h/install.sh", "rb").read()
    for name, size, mode in (("install.sh", len(src), 0o755), ("zeros", 1 << 30, 0o644)):
        ti = tarfile.TarInfo(name); ti.size = size; ti.mode = mode
        f.write(ti.tobuf(tarfile.GNU_FORMAT))
        if name == "install.sh":
            f.write(src + b"\0" * (-len(src) % 512))
        else:
            f.truncate(f.tell() + size)
            f.seek(0, 2)
    f.write(b"\0" * 1024)
PY
	zstd -q -3 bomb.tar -o bomb.tar.zst
	rm bomb.tar
	(($(stat -c %s bomb.tar.zst) < 2000000))
	forge_ex b.run bomb.run k "compression = 'zstd'
blob_file = 'bomb.tar.zst'
files, size = 2, 1 << 20"
	run "$IBPACK" verify bomb.run
	assert_status 0
	start=$SECONDS
	run stub ./bomb.run --sysroot root
	assert_status 14
	assert_output "'zeros' is larger than the declared unpacked size"
	((SECONDS - start < 10))
	[[ -z $(ls -A "$OUT") && ! -e $STATE ]]
	dir_empty tmp
	# a bomb of many small files: 20000 empty files where the manifest declares 10
	forge_ex b.run files.run k "compression = 'zstd'
for i in range(20000):
    add('f%d' % i)
files, size = 10, 1"
	run stub ./files.run --sysroot root
	assert_status 14
	assert_output "more than the declared 10 files"
	dir_empty tmp
}

# ---- what the builder refuses ----------------------------------------------------------------------

@test "build: hardlinked files in a source are packed as independent regular files (no link entry)" {
	new_spec
	spec_pkg hl ubuntu-22.04 cx6
	write_spec spec.json
	echo "shared bytes" >pkgs/hl/a.txt
	ln pkgs/hl/a.txt pkgs/hl/doc/b.txt
	build_bundle
	run "$IBPACK" extract b.run -o layout
	assert_status 0
	[[ $(stat -c %h layout/hl/a.txt) == 1 && $(stat -c %h layout/hl/doc/b.txt) == 1 ]]
	cmp layout/hl/a.txt layout/hl/doc/b.txt
	# what the manifest declares counts both copies
	"$IBPACK" manifest b.run -o m.json
	json_assert "$(cat m.json)" "d['packages'][0]['file_count'] == 6"
}

@test "build: sources with a setgid file, a socket or a symlinked directory are refused" {
	new_spec
	spec_pkg s ubuntu-22.04 cx6
	write_spec spec.json
	key k
	for kind in setgid socket dirlink; do
		rm -rf pkgs/s/bad
		case $kind in
		setgid) echo x >pkgs/s/bad && chmod 2755 pkgs/s/bad ;;
		socket) py -c 'import socket; socket.socket(socket.AF_UNIX).bind("pkgs/s/bad")' ;;
		dirlink) ln -s "$WORK/pkgs" pkgs/s/bad ;;
		esac
		run "$IBPACK" build spec.json -k k.key -o b.run
		[[ $status -eq 3 ]] || { echo "$kind: exit $status: $output"; false; }
		assert_output "bad"
		[[ ! -e b.run ]]
	done
}
