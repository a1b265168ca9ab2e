#!/usr/bin/env bats
# The stub's main paths under valgrind memcheck: no invalid access, no uninitialised read, no
# definite leak. Run by `make test-valgrind`, which builds a dynamically linked stub (valgrind
# cannot follow a static glibc's internals cleanly) in its own build tree.

load ../bats/helpers

# vg ARGS...: runs ARGS under memcheck; the exit code is ARGS' own, or 99 for a valgrind error,
# whose report is then printed.
vg() {
	local rc=0
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
		--log-file="$WORK/vg.log" "$@" || rc=$?
	if ((rc == 99)) || [[ -s $WORK/vg.log ]]; then
		echo "valgrind: $*"
		cat "$WORK/vg.log"
		return 99
	fi
	return $rc
}

setup_file() {
	command -v valgrind >/dev/null || skip "valgrind is not installed (bash scripts/setup.sh test)"
	if file -L "$IBPACK_BUILD/lib/ibpack/stub-linux-x86_64" 2>/dev/null | grep -q 'statically linked'; then
		skip "the stub under $IBPACK_BUILD is static: run make test-valgrind"
	fi
}

@test "valgrind: install (success, installed already, reboot code, installer failure) is clean" {
	std_bundle
	sysroot root cx6-vf
	run vg ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp"
	assert_status 0
	[[ -f $OUT/ofed-ubuntu.args ]]
	run --separate-stderr vg ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --json
	assert_status 0
	json_assert "$output" "d['result'] == 'already_installed'"
	IBT_RC=194 run vg ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --json --reinstall
	assert_status 0
	IBT_RC=9 run vg ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --json --reinstall
	assert_status 14
	dir_empty tmp
}

@test "valgrind: --list, --verify, --extract and --detect are clean" {
	std_bundle
	sysroot root cx6-vf
	run vg ./b.run --list
	assert_status 0
	run vg ./b.run --list --json
	assert_status 0
	run vg ./b.run --verify
	assert_status 0
	run vg ./b.run --extract layout
	assert_status 0
	[[ -f layout/nd-driver/install.sh ]]
	run vg ./b.run --detect --sysroot root --json
	assert_status 0
	sysroot nodev eth-vf
	run vg ./b.run --detect --sysroot nodev
	assert_status 11
}

@test "valgrind: refusals are clean (tampered payload and manifest, rollback, corrupt state, lock, hostile archive, usage)" {
	std_bundle
	sysroot root cx6-vf
	eval "$(regions b.run)"
	cp b.run bad.run
	flip bad.run $((PKG_OFF_ofed_ubuntu + 1))
	run vg ./bad.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp"
	assert_status 2
	cp b.run bad.run
	flip bad.run $((MANIFEST_OFF + 10))
	run vg ./bad.run --list
	assert_status 2
	run vg ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp"
	assert_status 0
	py -c 'import json; d = json.load(open("spec.json")); d["sequence"] = 3; json.dump(d, open("old.json", "w"))'
	build_bundle old.json old.run k
	run vg ./old.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --json
	assert_status 15
	echo '{"format": 1, "bundles": {"testbundle": 5}}' >"$IBPACK_STATE_DIR/state.json"
	run vg ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp"
	assert_status 15
	exec 5>"$IBPACK_STATE_DIR/lock"
	flock -x 5
	run vg ./b.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --lock-wait 0 --allow-downgrade
	exec 5>&-
	assert_status 16
	new_spec
	spec_pkg h ubuntu-22.04 cx6
	write_spec one.json
	build_bundle one.json one.run k
	forge_bundle one.run h.run k "add('install.sh', b'x')
add('../escape', b'x')"
	run vg ./h.run --sysroot root --log-file "$WORK/install.log" --tmpdir "$WORK/tmp" --allow-downgrade
	assert_status 14
	run vg ./b.run --bogus
	assert_status 1
	dir_empty tmp
}
