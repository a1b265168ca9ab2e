#!/usr/bin/env bats
# Offline DKMS, for real: a bundle package holding a Debian DKMS module package (acpi-call-dkms),
# linux-headers for one kernel, dkms, gcc and make with every dependency, as a local apt
# repository (bundles/vendor/prepare.sh apt, the packages fetched once into build/cache), installed
# by the shipped bundles/vendor/offline-apt.sh with no network (unshare -n) into a debootstrap
# root (tests/golden/mkroot.sh); `dkms status` in the root then shows the module built for that
# kernel. The same bundle selects nothing for a kernel it carries no headers for (exit 12).

load helpers

GOLDEN=$REPO/tests/golden
CACHE=$REPO/build/cache
MODULE=acpi-call

# dkms_bundle: DKMS (the bundle) and KVER (the kernel it carries headers for), built once per file.
dkms_bundle() {
	DKMS=$BATS_FILE_TMPDIR/dkms.run
	KVER=$(cat "$BATS_FILE_TMPDIR/kver" 2>/dev/null) && [[ -f $DKMS ]] && return 0
	# The kernel Debian 12's linux-headers-amd64 points at today.
	KVER=$(apt-cache depends linux-headers-amd64 2>/dev/null |
		awk '/Depends: linux-headers-[0-9]/ { sub("linux-headers-", "", $2); print $2; exit }')
	[[ -n $KVER ]] || skip "apt knows no linux-headers-amd64 (no Debian 12 package lists)"
	local rc=0 log=$BATS_FILE_TMPDIR/prepare.log pkg=$BATS_FILE_TMPDIR/pkg
	bash "$REPO/bundles/vendor/prepare.sh" apt "$CACHE/dkms-e2e" --kernel "$KVER" --with acpi-call-dkms >"$log" 2>&1 || rc=$?
	((rc == 0)) || skip "cannot fetch the DKMS test packages with apt: $(tail -1 "$log")"
	mkdir -p "$pkg"
	cp -a "$CACHE/dkms-e2e/." "$pkg/"
	# the shipped scripts, not the cached copies
	cp "$REPO/bundles/vendor/offline-apt.sh" "$REPO/bundles/vendor/offline-common.sh" "$pkg/"
	py - "$BATS_FILE_TMPDIR/spec.json" "$pkg" "$KVER" <<'PY'
import json, sys
out, pkg, kver = sys.argv[1:]
json.dump({"name": "dkms-e2e", "version": "1", "sequence": 1, "target": "linux-x86_64", "packages": [{
    "id": "acpi-call-dkms", "name": "acpi_call (DKMS)", "version": "1.2.2", "source": pkg,
    "compression": "zstd",
    "match": {"os": ["debian-12"], "nic": ["cx6", "cx7"], "kernel": [kver]},
    "install": {"command": ["/bin/sh", "./offline-apt.sh", "--install", "acpi-call-dkms",
                            "--dkms-check", "acpi-call"],
                "timeout": 1200, "success_codes": [0], "reboot_codes": [194]}}]}, open(out, "w"))
PY
	"$IBPACK" keygen -o "$BATS_FILE_TMPDIR/k" >/dev/null || return 1
	"$IBPACK" build "$BATS_FILE_TMPDIR/spec.json" -k "$BATS_FILE_TMPDIR/k.key" -o "$DKMS" -q || return 1
	echo "$KVER" >"$BATS_FILE_TMPDIR/kver"
}

# minbase DIR: a fresh copy of the cached `debootstrap --variant=minbase bookworm` root.
minbase() {
	local tarball rc=0
	tarball=$(bash "$GOLDEN/mkroot.sh" "$CACHE" 2>"$WORK/mkroot.err") || rc=$?
	((rc != 77)) || skip "no minimal Debian 12 root: $(tail -1 "$WORK/mkroot.err")"
	((rc == 0)) || { cat "$WORK/mkroot.err"; return 1; }
	mkdir -p "$1"
	tar --numeric-owner -C "$1" -xpf "$tarball"
	R=$(realpath "$1")
}

no_network() {
	unshare -n true 2>/dev/null || skip "unshare -n is not permitted here"
}

@test "dkms: the bundle installs the module offline into a minbase root; dkms status shows it built for the kernel" {
	e2e_only
	no_network
	dkms_bundle
	minbase root
	run --separate-stderr unshare -n "$DKMS" --root root --nic cx6 --kernel "$KVER" --log-file "$WORK/install.log" --json
	if ((status != 0)); then
		tail -60 "$WORK/install.log"
	fi
	assert_status 0
	json_assert "$output" "d['result'] == 'installed'" "d['os'] == 'debian-12'" "d['kernel'] == '$KVER'" \
		"[(i['package'], i['nics']) for i in d['installs']] == [('acpi-call-dkms', ['cx6'])]"
	grep -q "kernel $KVER (--kernel)" "$WORK/install.log"
	# The installer mounted /proc in the image for DKMS and unmounted it again.
	grep -q 'offline-apt.sh: acpi-call/1.2.2, '"$KVER"', x86_64: installed' "$WORK/install.log"
	! grep -q " $R/proc " /proc/mounts
	# dkms status as on the booted image (which has a /proc of its own)
	run unshare --fork --pid --mount-proc="$R/proc" chroot root dkms status
	assert_status 0
	assert_output "$MODULE/" ", $KVER, x86_64: installed"
	ls root/lib/modules/"$KVER"/updates/dkms/acpi_call.ko*
	[[ -z $(chroot root dpkg --audit) ]]
	# The package's repositories were the only apt sources: the image keeps its own, untouched.
	[[ ! -e root/etc/apt/sources.list.d/ibpack-kernel.list ]]
	dir_empty root/var/tmp
}

@test "dkms: the same bundle for a kernel it carries no headers for selects nothing (exit 12, kernel_unsupported)" {
	e2e_only
	dkms_bundle
	minbase root
	run --separate-stderr "$DKMS" --root root --nic cx6 --kernel 6.1.0-999-amd64 --log-file "$WORK/install.log" --json
	assert_status 12
	json_assert "$output" "d['result'] == 'kernel_unsupported'" "d['exit_code'] == 12" \
		"d['message'].startswith('--nic cx6: no package of this bundle fits kernel 6.1.0-999-amd64 on debian-12 with ConnectX-6: ')" \
		"\"'acpi-call-dkms' needs kernel $KVER\" in d['message']"
	[[ ! -e root/usr/sbin/dkms ]]
	# Without --kernel the image's installed kernel decides; a minbase root has none.
	run "$DKMS" --root root --nic cx6 --detect
	assert_status 12
	assert_output "kernel unknown (none installed in the image; --kernel names it)" "no package of this bundle fits kernel unknown"
}

@test "dkms: the install script refuses a kernel whose headers the package does not carry (forced package)" {
	e2e_only
	no_network
	dkms_bundle
	minbase root
	run unshare -n "$DKMS" --root root --package acpi-call-dkms --nic cx6 --kernel 6.1.0-999-amd64 --log-file "$WORK/install.log"
	assert_status 14
	grep -q "this package carries no linux-headers-6.1.0-999-amd64: DKMS cannot build for kernel 6.1.0-999-amd64" "$WORK/install.log"
	[[ ! -e root/usr/sbin/dkms ]]
}
