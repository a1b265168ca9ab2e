#!/usr/bin/env bats
# What a node reads from storage: one install fetches the stub, the manifest and its own package,
# not the neighbouring packages (the shared-storage fan-out of a cluster rollout).

load helpers

# storage_reads CMD...: bytes CMD (run in a subshell, children included) read from storage.
storage_reads() { ("$@" >/dev/null 2>&1; awk '/^read_bytes/ {print $2}' "/proc/$BASHPID/io"); }
# evict FILE: drops FILE's pages from the page cache (they are clean once synced).
evict() { sync "$1" && dd if="$1" iflag=nocache count=0 status=none; }

@test "one install reads the stub, the manifest and its own package, nothing past the package" {
	local mib=24 got limit
	new_spec
	for id in first mid last; do
		mkdir -p "pkgs/$id"
		head -c $((mib << 20)) /dev/urandom >"pkgs/$id/blob.bin"
		spec_pkg "$id" ubuntu-22.04 cx6 source="pkgs/$id" compression=none
	done
	write_spec spec.json
	build_bundle spec.json b.run
	sysroot root cx6-vf
	evict b.run
	got=$(storage_reads cat b.run)
	((got > 0)) || skip "this file system does not account reads from storage (read_bytes is 0)"

	evict b.run
	got=$(storage_reads stub ./b.run --sysroot root --package mid --quiet)
	run stub ./b.run --sysroot root --package mid --json --reinstall
	assert_status 0
	# The package, the stub (about 4 MiB) and the kernel's read-around when it maps the stub's
	# code at exec (up to twice read_ahead_kb: 16 MiB here), which the stub cannot turn off.
	limit=$(((mib + 4) << 20))
	limit=$((limit + 2 * $(cat /sys/block/*/queue/read_ahead_kb 2>/dev/null | sort -n | tail -1) * 1024))
	echo "read $((got >> 10)) KiB for a $mib MiB package (limit $((limit >> 10)) KiB)"
	((got <= limit))
}
