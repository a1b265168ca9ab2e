#!/usr/bin/env bats
# Idempotent runs (the install record decides whether anything runs), the reboot state a boot id
# makes truthful, and the one-line JSON result of every outcome, checked against
# docs/result.schema.json with python3-jsonschema.

load helpers

STATE=state/state.json

rerun_setup() {
	std_bundle
	sysroot root "${1:-cx6-vf}"
}

# runs: how often the test installer of package $1 (default ofed-ubuntu) ran, counted by the
# lines it appended to $OUT/runs
runs() { grep -c "^${1:-ofed-ubuntu}\$" "$OUT/runs" 2>/dev/null || echo 0; }

# counting_bundle: b.run whose ofed-ubuntu installer also appends a line to $OUT/runs
counting_bundle() {
	std_spec spec.json
	printf 'echo ofed-ubuntu >>"$IBT_OUT/runs"\n' >pkgs/ofed-ubuntu/count.sh
	sed -i 's|^out=|sh ./count.sh; out=|' pkgs/ofed-ubuntu/install.sh
	build_bundle spec.json b.run k
}

# valid LINE: LINE is one JSON object on one line, valid against the documented schema
valid() {
	printf '%s\n' "$1" | /usr/bin/python3 "$REPO/tests/bats/result_check.py" >/dev/null
}

@test "rerun: the second run of the same bundle is already_installed: nothing extracted or run" {
	counting_bundle
	sysroot root cx6-vf
	run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 0
	json_assert "$output" "d['result'] == 'installed'" "d['plan'] == 'install'"
	[[ $(runs) == 1 ]]
	# (LeakSanitizer cannot run under ptrace: sanitizer builds run without it here)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run --separate-stderr strace -f -e trace=execve,mkdir -o "$WORK/trace" \
		"$WORK/b.run" --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --sysroot root --json
	assert_status 0
	valid "$output"
	json_assert "$output" "d['result'] == 'already_installed'" "d['exit_code'] == 0" \
		"d['plan'] == 'already_installed'" "'installer' not in d" "'--reinstall' in d['message']" \
		"d['selection']['package'] == 'ofed-ubuntu'" "d['installed_before']['sequence'] == 7"
	[[ $(runs) == 1 ]]
	dir_empty tmp
	# one execve (the stub itself), no temp dir made
	[[ $(grep -c 'execve(' "$WORK/trace") == 1 ]]
	if grep 'mkdir(.*ibpack\.' "$WORK/trace"; then
		echo "a temp dir was created"
		return 1
	fi
}

@test "rerun: human output says already installed; --reinstall runs the installer again" {
	counting_bundle
	sysroot root cx6-vf
	stub ./b.run --sysroot root --quiet
	run stub ./b.run --sysroot root
	assert_status 0
	assert_output "is installed already" "nothing was extracted or run" "--reinstall"
	[[ $(runs) == 1 ]]
	run --separate-stderr stub ./b.run --sysroot root --reinstall --json
	assert_status 0
	json_assert "$output" "d['result'] == 'installed'" "d['plan'] == 'reinstall'" "d['installer']['exit_code'] == 0"
	[[ $(runs) == 2 ]]
}

@test "rerun: a different selection (new NIC) installs; a new sequence installs" {
	rerun_setup cx6-vf
	stub ./b.run --sysroot root --quiet
	# the VM was resized onto a ConnectX-3 Pro: another package applies
	rm -rf root/sys && sysroot root cx3pro-vf
	run --separate-stderr stub ./b.run --sysroot root --json
	json_assert "$output" "d['result'] == 'installed'" "d['selection']['package'] == 'ofed-cx3'"
	std_spec spec.json
	py -c 'import json; d = json.load(open("spec.json")); d["sequence"] = 8; json.dump(d, open("spec.json", "w"))'
	build_bundle spec.json b8.run k
	run --separate-stderr stub ./b8.run --sysroot root --json
	json_assert "$output" "d['result'] == 'installed'" "d['plan'] == 'install'" "d['installed_before']['sequence'] == 7"
}

@test "rerun: --detect reports whether the install would run, install again or do nothing" {
	rerun_setup cx6-vf
	run --separate-stderr stub ./b.run --sysroot root --detect --json
	assert_status 0
	valid "$output"
	json_assert "$output" "d['result'] == 'selected'" "d['plan'] == 'install'"
	stub ./b.run --sysroot root --quiet
	run --separate-stderr stub ./b.run --sysroot root --detect --json
	assert_status 0
	valid "$output"
	json_assert "$output" "d['plan'] == 'already_installed'" "'would be extracted or run' in d['message']"
	run --separate-stderr stub ./b.run --sysroot root --detect --reinstall --json
	json_assert "$output" "d['plan'] == 'reinstall'"
	run stub ./b.run --sysroot root --detect
	assert_output "is installed already"
}

@test "reboot: reboot_pending is true until the boot id changes, then false" {
	rerun_setup cx6-vf
	mkdir -p root/proc/sys/kernel/random
	echo 11111111-2222-3333-4444-555555555555 >root/proc/sys/kernel/random/boot_id
	IBT_RC=194 run --separate-stderr stub ./b.run --sysroot root --json
	assert_status 0
	json_assert "$output" "d['result'] == 'reboot_required'" "d['reboot_pending'] is True"
	json_assert "$(cat $STATE)" "d['bundles']['testbundle']['boot_id'] == '11111111-2222-3333-4444-555555555555'"
	run --separate-stderr stub ./b.run --sysroot root --json
	valid "$output"
	json_assert "$output" "d['result'] == 'already_installed'" "d['reboot_pending'] is True" \
		"d['installed_before']['reboot_pending'] is True" "d['installed_before']['reboot_required'] is True"
	# the machine rebooted
	echo 99999999-2222-3333-4444-555555555555 >root/proc/sys/kernel/random/boot_id
	run --separate-stderr stub ./b.run --sysroot root --detect --json
	json_assert "$output" "d['reboot_pending'] is False" "d['installed_before']['reboot_pending'] is False" \
		"d['installed_before']['reboot_required'] is True"
}

@test "reboot: a later install needing no reboot keeps an earlier pending one" {
	rerun_setup cx6-vf
	mkdir -p root/proc/sys/kernel/random
	echo boot-a >root/proc/sys/kernel/random/boot_id
	IBT_RC=194 stub ./b.run --sysroot root --quiet
	run --separate-stderr stub ./b.run --sysroot root --reinstall --json
	json_assert "$output" "d['result'] == 'installed'" "d['reboot_required'] is False" "d['reboot_pending'] is True"
	echo boot-b >root/proc/sys/kernel/random/boot_id
	run --separate-stderr stub ./b.run --sysroot root --reinstall --json
	json_assert "$output" "d['reboot_pending'] is False"
	json_assert "$(cat $STATE)" "d['bundles']['testbundle']['reboot_required'] is False"
}

@test "json: a usage error prints one valid JSON line (exit 1), text on stderr" {
	rerun_setup
	for args in "--json --no-such-option" "--nic cx99 --json" "--json extra-arg" "--json --timeout 0" \
		"--detect --list --json" "--json --extension enable"; do
		# shellcheck disable=SC2086 # word splitting wanted
		run --separate-stderr ./b.run $args
		assert_status 1
		valid "$output"
		json_assert "$output" "d['result'] == 'usage'" "d['exit_code'] == 1" "d['action'] == 'none'" "d['message'] != ''"
		assert_stderr "ibpack: "
	done
}

@test "json: a tampered bundle and a missing trust file print one valid JSON line" {
	rerun_setup
	cp b.run bad.run
	eval "$(regions bad.run)"
	flip bad.run $((MANIFEST_OFF + 10))
	run --separate-stderr stub ./bad.run --sysroot root --json
	assert_status 2
	valid "$output"
	json_assert "$output" "d['result'] == 'invalid'" "d['exit_code'] == 2" "'bundle' not in d"
	run --separate-stderr stub ./b.run --sysroot root --trust "$WORK/missing.pub" --json
	[[ $status -ne 0 ]]
	valid "$output"
	json_assert "$output" "'missing.pub' in d['message']" "d['exit_code'] == $status"
}

@test "json: every exit code comes with one valid JSON line" {
	rerun_setup cx6-vf
	sysroot none-root none
	sysroot sles-root --os sles 15.4 cx6-vf
	check() { # STATUS ARGS...: runs the stub, checks the status and the line
		local want=$1
		shift
		run --separate-stderr stub "$@" --json
		assert_status "$want"
		valid "$output"
		json_assert "$output" "d['exit_code'] == $want"
	}
	check 0 ./b.run --sysroot root --detect
	check 0 ./b.run --sysroot root --list
	check 0 ./b.run --sysroot root --verify
	check 11 ./b.run --sysroot none-root
	check 12 ./b.run --sysroot sles-root
	IBT_RC=1 check 14 ./b.run --sysroot root
	IBT_SLEEP=30 check 240 ./b.run --sysroot root --timeout 1 3>&-
	check 0 ./b.run --sysroot root
	json_assert "$output" "d['result'] == 'installed'"
	check 0 ./b.run --sysroot root
	json_assert "$output" "d['result'] == 'already_installed'"
	std_spec spec.json
	py -c 'import json; d = json.load(open("spec.json")); d["sequence"] = 3; json.dump(d, open("spec.json", "w"))'
	build_bundle spec.json old.run k
	check 15 ./old.run --sysroot root
	json_assert "$output" "d['result'] == 'downgrade_refused'"
	exec 8>state/lock
	flock 8
	check 16 ./b.run --sysroot root --reinstall --lock-wait 0
	json_assert "$output" "d['result'] == 'locked'"
	exec 8>&-
}

@test "rerun: a damaged copy is reported (exit 2) even when its package is installed already" {
	rerun_setup cx6-vf
	stub ./b.run --sysroot root --quiet
	cp b.run bad.run
	eval "$(regions bad.run)"
	flip bad.run $((PKG_OFF_ofed_ubuntu + 1))
	run --separate-stderr stub ./bad.run --sysroot root --json
	assert_status 2
	valid "$output"
	json_assert "$output" "d['result'] == 'invalid'" "'installed already' in d['message']" "'installer' not in d"
}
