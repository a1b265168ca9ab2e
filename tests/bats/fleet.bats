#!/usr/bin/env bats
# The ibpack.fleet Ansible collection, end to end: ansible-playbook (Debian's ansible) drives four
# local Debian 12 roots through community.general.chroot with the shipped role. The roots come
# from `debootstrap --variant=minbase --include=python3` (tests/golden/mkroot.sh, cached): the
# module is Python, and a plain minbase root has no python3. The roots' /sys and /proc are plain
# directories, so each node gets its own fake NIC and boot id (tests/fixtures/mksysroot.sh).
#   n1  Debian 12 with a ConnectX-6 VF      -> installs (changed)
#   n2  Debian 12, no InfiniBand device      -> no_device (11), reported, not failed
#   n3  SLES 15.4 with a ConnectX-6 VF       -> os_unsupported (12), reported, not failed
#   n4  Debian 12 with a tampered bundle     -> invalid (2), failed with the integrity message
# The reboot test adds n5 (Debian 12, ConnectX-6 VF), whose installer asks for a reboot.

load helpers

setup_file() {
	[[ ${IBPACK_SKIP_E2E:-0} == 1 ]] && return 0
	export FLEET_CACHE=${IBPACK_CACHE:-$IBPACK_BUILD/cache}
}

# node NAME SYSROOT-ARGS...: a python3 minbase root at nodes/NAME with a fake sysfs
node() {
	local name=$1
	shift
	if [[ ! -d nodes/.base ]]; then
		mkdir -p nodes/.base
		tar --numeric-owner -C nodes/.base -xpf "$TARBALL"
	fi
	# hard links: nothing in the roots is changed in place (new files only; os-release replaced)
	cp -al nodes/.base "nodes/$name"
	rm -f "nodes/$name/etc/os-release" "nodes/$name/usr/lib/os-release"
	sysroot "nodes/$name" "$@"
	mkdir -p "nodes/$name/proc/sys/kernel/random"
	echo "boot-of-$name" >"nodes/$name/proc/sys/kernel/random/boot_id"
}

fleet_setup() {
	e2e_only
	# The nodes keep their install record in their own /var/lib/ibpack: the chroot connection
	# passes the controller's environment on, and the per-test state dir is a host path.
	unset IBPACK_STATE_DIR
	command -v ansible-playbook >/dev/null || skip "ansible is not installed (bash scripts/setup.sh test)"
	local rc=0
	TARBALL=$(bash "$REPO/tests/golden/mkroot.sh" "$FLEET_CACHE" python3 2>"$WORK/mkroot.err") || rc=$?
	((rc != 77)) || skip "no Debian 12 root with python3: $(tail -1 "$WORK/mkroot.err")"
	((rc == 0)) || { cat "$WORK/mkroot.err"; return 1; }
	# the bundle: one package for Debian 12 on ConnectX-6 whose installer counts its runs in the node
	mkdir -p pkgs/ofed-debian
	cat >pkgs/ofed-debian/install.sh <<'SH'
#!/bin/sh
echo run >>/var/lib/ibt-installer-runs
echo "installer: installed into $(cat /etc/hostname 2>/dev/null || echo node)"
exit 0
SH
	chmod 755 pkgs/ofed-debian/install.sh
	new_spec
	spec_pkg ofed-debian debian-12 cx6,cx5 'command=["./install.sh"]' source=pkgs/ofed-debian
	write_spec spec.json fleetbundle 4
	build_bundle spec.json rdma.run k
	cp rdma.run bad.run
	eval "$(regions bad.run)"
	flip bad.run $((MANIFEST_OFF + 10))
	node n1 --os debian 12 cx6-vf
	node n2 --os debian 12 none
	node n3 --os sles 15.4 cx6-vf
	node n4 --os debian 12 cx6-vf
	mkdir -p nodes/n4/opt && cp bad.run nodes/n4/opt/rdma.run
	cat >inventory.ini <<EOF2
[lab]
n1 ansible_host=$WORK/nodes/n1
n2 ansible_host=$WORK/nodes/n2
n3 ansible_host=$WORK/nodes/n3
n4 ansible_host=$WORK/nodes/n4 ibpack_bundle_path=/opt/rdma.run

[lab:vars]
ansible_connection=community.general.chroot
ansible_python_interpreter=/usr/bin/python3
EOF2
	# the shipped collection, built and installed from the source tree
	export ANSIBLE_COLLECTIONS_PATH=$WORK/collections ANSIBLE_LOCAL_TEMP=$WORK/ansible-tmp \
		ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False
	ansible-galaxy collection build "$REPO/ansible" --output-path "$WORK" >/dev/null
	ansible-galaxy collection install "$WORK"/ibpack-fleet-*.tar.gz -p "$WORK/collections" >/dev/null
	cp "$REPO/ansible/examples/site.yml" site.yml
	mkdir results # the play's "create the report directory" then changes nothing on the controller
	sed -i 's/hosts: compute/hosts: lab/; s/ibpack_reboot: true/ibpack_reboot: false/' site.yml
}

# play [ARGS...]: ansible-playbook with the example site.yml on the four nodes; output in $output
play() {
	run ansible-playbook -i inventory.ini site.yml -e "ibpack_bundle=$WORK/rdma.run" "$@"
}

# recap NODE FIELD: the number in the PLAY RECAP line of NODE, e.g. recap n1 changed
recap() {
	sed -n "/PLAY RECAP/,\$p" <<<"$output" | grep -E "^$1 +:" | grep -oE "$2=[0-9]+" | cut -d= -f2
}

runs() { cat "nodes/$1/var/lib/ibt-installer-runs" 2>/dev/null | wc -l; }

# expect NODE=changed/failed...: the last play's recap, e.g. expect n1=1/0 n2=0/0
expect() {
	local a n c f
	for a in "$@"; do
		n=${a%%=*} c=${a#*=} f=${c#*/} c=${c%/*}
		if [[ $(recap "$n" changed) != "$c" || $(recap "$n" failed) != "$f" ]]; then
			echo "expected $n changed=$c failed=$f:"
			echo "$output"
			return 1
		fi
	done
}

@test "fleet: ansible-playbook installs where a device is, reports 11/12, fails a damaged bundle; a second run changes nothing" {
	fleet_setup
	SECONDS=0
	# check mode first: nothing changes on any node
	play --check
	[[ $status -eq 2 ]] || { echo "$output"; return 1; }
	expect n1=1/0 n2=0/0 n3=0/0 n4=0/1
	[[ $(runs n1) == 0 && ! -e nodes/n1/var/lib/ibpack/state.json ]]
	json_assert "$(cat results/n1.json)" "d['result'] == 'selected'" "d['plan'] == 'install'" "d['node'] == 'n1'"
	# the real run
	play
	[[ $status -eq 2 ]] || { echo "$output"; return 1; }
	expect n1=1/0 n2=0/0 n3=0/0 n4=0/1
	[[ $(runs n1) == 1 && $(runs n4) == 0 ]]
	assert_output "does not verify (the manifest or the signature was altered)"
	json_assert "$(cat results/n1.json)" "d['result'] == 'installed'" "d['installer']['exit_code'] == 0"
	json_assert "$(cat results/n2.json)" "d['result'] == 'no_device'" "d['exit_code'] == 11"
	json_assert "$(cat results/n3.json)" "d['result'] == 'os_unsupported'" "d['exit_code'] == 12"
	json_assert "$(cat results/n4.json)" "d['result'] == 'invalid'" "d['exit_code'] == 2" "'does not verify' in d['message']"
	json_assert "$(cat nodes/n1/var/lib/ibpack/state.json)" "d['bundles']['fleetbundle']['sequence'] == 4"
	# the second run: changed=0 everywhere, no installer ran
	play
	[[ $status -eq 2 ]] || { echo "$output"; return 1; }
	expect n1=0/0 n2=0/0 n3=0/0 n4=0/1
	[[ $(runs n1) == 1 ]]
	json_assert "$(cat results/n1.json)" "d['result'] == 'already_installed'"
	# check mode again: still nothing to do
	play --check
	expect n1=0/0 n2=0/0 n3=0/0 n4=0/1
	[[ $(runs n1) == 1 ]]
	# the fleet at a glance from the role's results
	run "$IBPACK" report results
	assert_status 0
	assert_output "4 nodes: 1 ok, 2 nothing to install, 1 failed" "n4: invalid (exit 2)"
	# the module keeps its copy of the bundle (0700) and reuses it; reinstall through the role runs again
	[[ -x nodes/n1/var/tmp/ibpack/rdma.run && $(stat -c %a nodes/n1/var/tmp/ibpack) == 700 ]]
	cmp rdma.run nodes/n1/var/tmp/ibpack/rdma.run
	play --limit n1 -e ibpack_reinstall=true
	expect n1=1/0
	[[ $status -eq 0 && $(runs n1) == 2 ]]
	echo "# the five ansible-playbook runs took ${SECONDS}s" >&3
}

@test "fleet: an install that needs a reboot makes the role reboot once, re-check and report installed; a second run changes nothing" {
	fleet_setup
	# The installer exits with the reboot code (194) and counts its runs in the node.
	mkdir -p pkgs/ofed-reboot
	cat >pkgs/ofed-reboot/install.sh <<'SH'
#!/bin/sh
echo run >>/var/lib/ibt-installer-runs
exit 194
SH
	chmod 755 pkgs/ofed-reboot/install.sh
	new_spec
	spec_pkg ofed-reboot debian-12 cx6 'command=["./install.sh"]' source=pkgs/ofed-reboot reboot=194
	write_spec spec-reboot.json rebootbundle 1
	build_bundle spec-reboot.json reboot.run k
	node n5 --os debian 12 cx6-vf
	# The "reboot" over the chroot connection: a new boot id in the node's /proc, the file the
	# bundle and the reboot module's default boot_time_command both read; each one is counted.
	cat >reboot-vars.yml <<'EOF2'
ibpack_reboot: true
ibpack_reboot_timeout: 60
ibpack_reboot_command: >-
  /bin/sh -c 'echo reboot >>/var/lib/ibt-reboots;
  echo "boot-$(date +%s%N)" >/proc/sys/kernel/random/boot_id'
EOF2
	printf '[lab]\nn5 ansible_host=%s\n\n' "$WORK/nodes/n5" >reboot.ini
	sed -n '/^\[lab:vars\]/,$p' inventory.ini >>reboot.ini
	SECONDS=0
	run ansible-playbook -i reboot.ini site.yml -e "ibpack_bundle=$WORK/reboot.run" -e @reboot-vars.yml
	[[ $status -eq 0 ]] || { echo "$output"; return 1; }
	expect n5=2/0 # the install and the reboot
	[[ $(runs n5) == 1 && $(wc -l <nodes/n5/var/lib/ibt-reboots) == 1 ]]
	[[ $(cat nodes/n5/proc/sys/kernel/random/boot_id) == boot-[0-9]* ]]
	json_assert "$(cat results/n5.json)" "d['result'] == 'installed'" "d['reboot_pending'] is False" \
		"d['rebooted'] is True" "d['recheck']['plan'] == 'already_installed'" "d['node'] == 'n5'" \
		"d['installer']['exit_code'] == 194"
	json_assert "$(cat nodes/n5/var/lib/ibpack/state.json)" "d['bundles']['rebootbundle']['boot_id'] == 'boot-of-n5'"
	# the second run: the record matches and no reboot is pending, so nothing runs or reboots
	run ansible-playbook -i reboot.ini site.yml -e "ibpack_bundle=$WORK/reboot.run" -e @reboot-vars.yml
	[[ $status -eq 0 ]] || { echo "$output"; return 1; }
	expect n5=0/0
	[[ $(runs n5) == 1 && $(wc -l <nodes/n5/var/lib/ibt-reboots) == 1 ]]
	json_assert "$(cat results/n5.json)" "d['result'] == 'already_installed'" "d['reboot_pending'] is False"
	echo "# the two reboot plays took ${SECONDS}s" >&3
}
