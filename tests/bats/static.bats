#!/usr/bin/env bats
# The static Linux stub: no dynamic loader, no shared library, and a bundle that detects,
# verifies and installs inside an otherwise empty chroot.

setup_file() {
	export B=${IBPACK_BUILD:-$BATS_TEST_DIRNAME/../../build}
	export STUB=$B/lib/ibpack/stub-linux-x86_64
	export IBPACK=$B/bin/ibpack
}

setup() {
	file "$STUB" | grep -q 'statically linked' || skip "stub is not static in this build (sanitizer build)"
	W=$(mktemp -d)
}

teardown() {
	if [[ -n ${W:-} ]]; then rm -rf "$W"; fi
}

# A package whose installer is itself a static binary: the chroot holds no shell.
make_bundle() {
	mkdir -p "$W/pkg"
	cat >"$W/installer.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int fd = open("/installed-marker", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 3;
	for (int i = 1; i < argc; i++)
		dprintf(fd, "%s\n", argv[i]);
	close(fd);
	puts("static installer ran");
	return 0;
}
C
	cc -static -O2 -o "$W/pkg/installer" "$W/installer.c"
	cat >"$W/spec.json" <<'J'
{ "name": "chroot-test", "version": "1", "sequence": 1, "target": "linux-x86_64",
  "packages": [ { "id": "p", "name": "P", "version": "1", "source": "pkg",
    "match": { "os": ["debian-12"], "nic": ["cx6"] },
    "install": { "command": ["./installer", "--hello"], "timeout": 30 } } ] }
J
	"$IBPACK" keygen -o "$W/k" >/dev/null
	"$IBPACK" build "$W/spec.json" -k "$W/k.key" -o "$W/bundle.run" -q
}

make_root() {
	R=$W/root
	mkdir -p "$R/tmp" "$R/sr/etc" "$R/sr/proc/sys/kernel" "$R/sr/sys/bus/pci/devices/0001:00:00.0"
	chmod 1777 "$R/tmp"
	cp "$W/bundle.run" "$R/bundle.run"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$R/sr/etc/os-release"
	echo 6.1.0 >"$R/sr/proc/sys/kernel/osrelease"
	d=$R/sr/sys/bus/pci/devices/0001:00:00.0
	echo 0x15b3 >"$d/vendor"; echo 0x101c >"$d/device"; echo 0x020700 >"$d/class"
}

@test "the Linux stub is statically linked and small" {
	run ldd "$STUB"
	[[ $output == *"not a dynamic executable"* ]]
	size=$(stat -c %s "$STUB")
	((size < 4 * 1024 * 1024))
}

@test "the stub carries no signing code" {
	dbg=$B/obj/stub-linux/stub-linux-x86_64.debug
	[ -f "$dbg" ] || skip "no unstripped stub kept"
	run bash -c "nm '$dbg' | grep -E ' (T|t) (ib_sign|ib_keygen|ib_privkey_)'"
	[ "$status" -ne 0 ]
	nm "$dbg" | grep -q ' T ib_verify$'
}

@test "the stub does no name-service lookups and loads no OpenSSL config" {
	dbg=$B/obj/stub-linux/stub-linux-x86_64.debug
	[ -f "$dbg" ] || skip "no unstripped stub kept"
	run bash -c "nm '$dbg' | grep -E ' (getpwnam|getgrnam|getpwuid|getgrgid|getaddrinfo|archive_write_disk_set_standard_lookup|OSSL_PROVIDER_load)$'"
	[ "$status" -ne 0 ]
}

@test "in an empty chroot: --detect --json, --verify and an install work" {
	make_bundle
	make_root
	run chroot "$R" /bundle.run --sysroot /sr --detect --json
	[ "$status" -eq 0 ]
	[[ $output == *'"package":"p"'* ]]
	run chroot "$R" /bundle.run --verify
	[ "$status" -eq 0 ]
	[[ $output == *"bundle is valid"* ]]
	run chroot "$R" /bundle.run --sysroot /sr --tmpdir /tmp --log-file /install.log
	[ "$status" -eq 0 ]
	[[ $output == *"static installer ran"* ]]
	grep -q -- --hello "$R/installed-marker"
	grep -q "static installer ran" "$R/install.log"
	# the private temp dir is gone
	[ -z "$(ls -A "$R/tmp")" ]
}

@test "in an empty chroot: a tampered bundle is refused before anything runs" {
	make_bundle
	make_root
	size=$(stat -c %s "$R/bundle.run")
	# a byte inside the payload, just after the stub
	off=$(($(stat -c %s "$STUB") + 100))
	printf '\xff' | dd of="$R/bundle.run" bs=1 seek="$off" conv=notrunc status=none
	run chroot "$R" /bundle.run --sysroot /sr --tmpdir /tmp --log-file /install.log
	[ "$status" -eq 2 ]
	[ ! -e "$R/installed-marker" ]
	[ "$(stat -c %s "$R/bundle.run")" -eq "$size" ]
}
