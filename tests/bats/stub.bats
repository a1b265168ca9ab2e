#!/usr/bin/env bats
# The stub, run as the bundle itself: options, --list, --verify, --extract and --detect against a
# fixture sysroot for each detection case.

load helpers

# ---- options -------------------------------------------------------------------------------------

@test "stub --help prints usage, options and exit codes (exit 0)" {
	std_bundle
	run ./b.run --help
	assert_status 0
	assert_output "usage:" "--detect" "--list" "--verify" "--extract DIR" "--package ID" "--trust KEY.pub" \
		"--sysroot DIR" "IBPACK_SYSROOT" "--tmpdir DIR" "--keep" "--timeout SEC" "--log-file FILE" "--json" \
		"--quiet" "240"
}

@test "stub --version prints the version and target (exit 0)" {
	std_bundle
	run ./b.run --version
	assert_status 0
	assert_output "ibpack stub $(cat "$REPO/VERSION")" "linux-x86_64"
}

@test "stub: an unknown option exits 1" {
	std_bundle
	run ./b.run --frobnicate
	assert_status 1
	assert_output "--frobnicate"
}

@test "stub: a stray argument exits 1" {
	std_bundle
	run ./b.run install
	assert_status 1
	assert_output "install"
}

@test "stub: exclusive actions together exit 1" {
	std_bundle
	run ./b.run --list --verify
	assert_status 1
	assert_output "exclude"
}

@test "stub: a bad --timeout exits 1" {
	std_bundle
	run ./b.run --timeout 0
	assert_status 1
	assert_output "--timeout"
	run ./b.run --timeout abc
	assert_status 1
}

@test "stub: an unknown --nic token exits 1" {
	std_bundle
	run ./b.run --detect --nic cx99
	assert_status 1
	assert_output "cx99"
}

@test "stub: a missing option argument exits 1" {
	std_bundle
	run ./b.run --sysroot
	assert_status 1
}

# ---- list / verify / extract ------------------------------------------------------------------

@test "stub --list shows the bundle and its packages" {
	std_bundle
	run ./b.run --list
	assert_status 0
	assert_output "testbundle 1.2.3 (sequence 7, linux-x86_64" "ofed-ubuntu" "os=ubuntu-22.04,ubuntu-20.04" \
		"nic=cx5,cx6" "nd-driver" "priority=5"
}

@test "stub --list --json gives one result object with the packages" {
	std_bundle
	run --separate-stderr ./b.run --list --json
	assert_status 0
	json_assert "$output" "d['action'] == 'list'" "d['result'] == 'ok'" "d['exit_code'] == 0" \
		"d['bundle']['name'] == 'testbundle'" "d['bundle']['sequence'] == 7" \
		"d['bundle']['target'] == 'linux-x86_64'" \
		"[p['id'] for p in d['packages']] == ['ofed-ubuntu', 'ofed-cx3', 'ofed-rhel', 'nd-driver']" \
		"d['packages'][0]['nic'] == ['cx5', 'cx6']"
}

@test "stub --list does not read the payload: it works with a damaged package" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_rhel + 7))
	run ./b.run --list
	assert_status 0
	assert_output "ofed-rhel"
}

@test "stub --verify exits 0 on a valid bundle" {
	std_bundle
	run ./b.run --verify
	assert_status 0
	assert_output "valid" "4 packages"
}

@test "stub --verify exits 2 after a payload byte flip, naming the package" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_cx3 + 11))
	run ./b.run --verify
	assert_status 2
	assert_output "package 'ofed-cx3'"
	run --separate-stderr ./b.run --verify --json
	assert_status 2
	json_assert "$output" "d['action'] == 'verify'" "d['result'] == 'invalid'" "d['exit_code'] == 2" \
		"'ofed-cx3' in d['message']"
}

@test "stub --verify exits 2 after a manifest byte flip" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((MANIFEST_OFF + 99))
	run ./b.run --verify
	assert_status 2
	assert_output "signature"
}

@test "stub --verify exits 2 after a signature byte flip" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((SIGBLOCK_OFF + SIGBLOCK_LEN - 1))
	run ./b.run --verify
	assert_status 2
}

@test "stub --verify exits 2 after a footer byte flip" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((FOOTER_OFF + 60))
	run ./b.run --verify
	assert_status 2
	assert_output "footer"
}

@test "stub --verify exits 2 when truncated or extended" {
	std_bundle
	cp b.run t.run
	truncate_by t.run 1
	run ./t.run --verify
	assert_status 2
	cp b.run t.run
	echo junk >>t.run
	run ./t.run --verify
	assert_status 2
}

@test "stub --verify --trust with the signing key exits 0, with another key 2" {
	std_bundle
	key other
	run ./b.run --verify --trust k.pub
	assert_status 0
	run ./b.run --verify --trust other.pub
	assert_status 2
	assert_output "$(key_id k | cut -c1-16)" "$(key_id other | cut -c1-16)"
}

@test "stub --extract DIR writes every package, --package one" {
	std_bundle
	run ./b.run --extract layout
	assert_status 0
	for id in ofed-ubuntu ofed-cx3 ofed-rhel nd-driver; do
		diff -r "pkgs/$id" "layout/$id"
	done
	[[ $(file_mode layout/nd-driver/install.sh) == 755 ]]
	run ./b.run --extract one --package ofed-cx3
	assert_status 0
	[[ $(ls one) == ofed-cx3 ]]
	run ./b.run --extract two --package nosuch
	assert_status 1
	assert_output "nosuch"
}

@test "stub --extract of a tampered package exits 2 and leaves no DIR/<id>" {
	std_bundle
	eval "$(regions b.run)"
	flip b.run $((PKG_OFF_ofed_ubuntu + 5))
	run ./b.run --extract layout --package ofed-ubuntu
	assert_status 2
	[[ ! -e layout/ofed-ubuntu ]]
}

# ---- detection against fixture sysroots ------------------------------------------------------------

@test "detect: ConnectX-6 VF (0x101c, class 0x020700) selects the cx6 package" {
	std_bundle
	sysroot root cx6-vf
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "d['action'] == 'detect'" "d['result'] == 'selected'" "d['exit_code'] == 0" \
		"d['os'] == 'ubuntu-22.04'" "d['kernel'] == '5.15.0-1057-azure'" "d['nics'] == ['cx6']" \
		"d['selection']['package'] == 'ofed-ubuntu'" \
		"[(x['address'], x['device'], x['class'], x['function'], x['infiniband']) for x in d['devices']] == [('0101:00:00.0', '0x101c', '0x020700', 'vf', True)]" \
		"d['devices'][0]['models'][0] == 'cx6'"
	[[ -z $(ls -A "$OUT") ]] # nothing was installed
}

@test "detect: human output names the device and the choice" {
	std_bundle
	sysroot root cx6-vf
	run ./b.run --detect --sysroot root
	assert_status 0
	assert_output "ubuntu-22.04" "0101:00:00.0" "15b3:101c" "ConnectX-6" "VF" "ofed-ubuntu"
}

@test "detect: ConnectX-5 PF (0x1017) selects the cx5 package" {
	std_bundle
	sysroot root cx5-pf
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "d['nics'] == ['cx5']" "d['selection']['package'] == 'ofed-ubuntu'" \
		"d['devices'][0]['function'] == 'pf'" "d['devices'][0]['device'] == '0x1017'"
}

@test "detect: ConnectX-3 VF 0x1004 is taken as ConnectX-3 Pro" {
	std_bundle
	sysroot root cx3pro-vf
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "d['nics'][0] == 'cx3pro'" "d['selection']['package'] == 'ofed-cx3'" \
		"d['devices'][0]['models'][0] == 'cx3pro'" "d['devices'][0]['function'] == 'vf'"
}

@test "detect: a Mellanox Ethernet-only VF (0x1016, class 0x020000) is not InfiniBand: exit 11" {
	std_bundle
	sysroot root eth-vf
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 11
	json_assert "$output" "d['result'] == 'no_device'" "d['exit_code'] == 11" "d['nics'] == []" \
		"d['selection']['package'] is None" "d['devices'][0]['infiniband'] is False" \
		"d['devices'][0]['class'] == '0x020000'" "'not InfiniBand' in d['devices'][0]['note']"
	run ./b.run --detect --sysroot root
	assert_status 11
	assert_output "not InfiniBand"
}

@test "detect: NetworkDirect over VMBus selects the nd package" {
	std_bundle
	sysroot root nd
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "d['nics'] == ['nd']" "d['selection']['package'] == 'nd-driver'" \
		"[x['bus'] for x in d['devices']] == ['vmbus']" \
		"d['devices'][0]['address'] == 'vmbus:5620e0c7-8062-4dce-aeb7-520c7ef76171'"
}

@test "detect: an ND class_id without braces or in upper case is recognized too" {
	std_bundle
	sysroot root none --vmbus dev1 "8C2EAF3D-32A7-4B09-AB99-BD1F1C86B501"
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "d['nics'] == ['nd']"
}

@test "detect: no device exits 11" {
	std_bundle
	sysroot root none
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 11
	json_assert "$output" "d['result'] == 'no_device'" "d['devices'] == []" "d['nics'] == []" \
		"d['selection']['package'] is None"
	run ./b.run --detect --sysroot root
	assert_status 11
	assert_output "no InfiniBand device"
}

@test "detect: an empty sysroot (no sysfs at all) exits 11" {
	std_bundle
	mkdir -p empty
	run ./b.run --detect --sysroot empty
	assert_status 11
}

@test "detect: an InfiniBand NIC the bundle has no package for exits 11" {
	std_bundle
	sysroot root --pci 0000:00:05.0 0x15b3 0x1021 0x020700
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 11
	json_assert "$output" "d['nics'] == ['cx7']" "d['selection']['package'] is None"
}

@test "detect: an OS not in the bundle exits 12" {
	std_bundle
	sysroot root cx6-vf --os sles 15.4
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 12
	json_assert "$output" "d['result'] == 'os_unsupported'" "d['exit_code'] == 12" "d['os'] == 'sles-15.4'" \
		"d['nics'] == ['cx6']" "d['selection']['package'] is None" "'sles-15.4' in d['selection']['reason']"
}

@test "detect: without an os-release the OS is unknown and nothing matches (exit 12)" {
	std_bundle
	sysroot root cx6-vf --os none none
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 12
	json_assert "$output" "d['os'] == 'unknown'"
}

@test "detect: /usr/lib/os-release is the fallback for /etc/os-release" {
	std_bundle
	sysroot root cx6-vf --os rhel 8.4
	mkdir -p root/usr/lib
	mv root/etc/os-release root/usr/lib/os-release
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "d['os'] == 'rhel-8.4'" "d['selection']['package'] == 'ofed-rhel'"
}

@test "detect: a NIC supported only on other OSes exits 12" {
	std_bundle
	sysroot root nd --os rhel 8.6
	run ./b.run --detect --sysroot root
	assert_status 12
}

@test "detect: quoted os-release values (rhel 8.6) match the rhel-8.* package" {
	std_bundle
	sysroot root cx5-pf --os rhel 8.6
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "d['os'] == 'rhel-8.6'" "d['selection']['package'] == 'ofed-rhel'"
}

@test "detect: the highest priority wins when several packages match" {
	std_bundle
	sysroot root cx6-vf nd
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 0
	json_assert "$output" "sorted(d['nics']) == ['cx6', 'nd']" "d['selection']['package'] == 'nd-driver'"
}

@test "detect: IBPACK_SYSROOT works like --sysroot" {
	std_bundle
	sysroot root cx3pro-vf
	IBPACK_SYSROOT=$WORK/root run --separate-stderr ./b.run --detect --json
	assert_status 0
	json_assert "$output" "d['selection']['package'] == 'ofed-cx3'" "d['kernel'] == '5.15.0-1057-azure'"
	sysroot root-eth eth-vf
	IBPACK_SYSROOT=$WORK/root-eth run ./b.run --detect
	assert_status 11
}

@test "detect: --sysroot takes precedence over IBPACK_SYSROOT" {
	std_bundle
	sysroot a cx6-vf
	sysroot n none
	IBPACK_SYSROOT=$WORK/n run --separate-stderr ./b.run --detect --sysroot a --json
	assert_status 0
	json_assert "$output" "d['nics'] == ['cx6']"
}

@test "detect: --os and --nic override detection" {
	std_bundle
	sysroot root none
	run --separate-stderr ./b.run --detect --sysroot root --os rhel-8.2 --nic cx4 --json
	assert_status 0
	json_assert "$output" "d['selection']['package'] == 'ofed-rhel'"
}

@test "detect with a tampered manifest exits 2 before detecting" {
	std_bundle
	sysroot root cx6-vf
	eval "$(regions b.run)"
	flip b.run $((MANIFEST_OFF + 64))
	run --separate-stderr ./b.run --detect --sysroot root --json
	assert_status 2
	json_assert "$output" "d['result'] == 'invalid'" "d['exit_code'] == 2" "'selection' not in d"
}

@test "stub --list and --detect read no payload byte (strace)" {
	strace_ok || skip "strace is not usable here"
	new_spec
	spec_pkg big ubuntu-22.04 cx6 compression=none
	write_spec spec.json
	head -c 4000000 /dev/urandom >pkgs/big/firmware.bin
	build_bundle
	sysroot root cx6-vf
	trace_io list.trace ./b.run --list >/dev/null
	trace_io detect.trace ./b.run --detect --sysroot root >/dev/null
	# the traces did record the reads of footer, manifest and signatures
	eval "$(regions b.run)"
	grep -qx "$MANIFEST_OFF $MANIFEST_LEN" <(bundle_reads b.run list.trace)
	grep -qx "$MANIFEST_OFF $MANIFEST_LEN" <(bundle_reads b.run detect.trace)
	[[ -z $(payload_reads b.run list.trace) ]]
	[[ -z $(payload_reads b.run detect.trace) ]]
}

@test "ibpack list reads no payload byte (strace)" {
	strace_ok || skip "strace is not usable here"
	new_spec
	spec_pkg big ubuntu-22.04 cx6 compression=none
	write_spec spec.json
	head -c 3000000 /dev/urandom >pkgs/big/firmware.bin
	build_bundle
	trace_io list.trace "$IBPACK" list b.run >/dev/null
	eval "$(regions b.run)"
	grep -qx "$MANIFEST_OFF $MANIFEST_LEN" <(bundle_reads b.run list.trace)
	[[ -z $(payload_reads b.run list.trace) ]]
}
