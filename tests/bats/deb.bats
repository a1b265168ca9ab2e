#!/usr/bin/env bats
# The Debian packages from a clean system: `make deb` (dpkg-buildpackage -b -us -uc, lintian with
# no error) gives ibpack and ibpack-stubs; installed with apt-get into a debootstrap minbase
# Debian 12 root, they build, verify and run a bundle there with no network and no source tree,
# and `man ibpack` works. apt-get fetches the shared libraries the package depends on from the
# root's Debian mirror, as a site's own mirror would serve them.

load helpers

# debs: builds the packages once per file into $DEBS (make deb with BUILD in the file's temp dir).
debs() {
	DEBS=$BATS_FILE_TMPDIR/b/deb
	[[ -f $DEBS/.ok ]] && return 0
	command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
		skip "debhelper is not installed (bash scripts/setup.sh deb)"
	local t0=$SECONDS
	make -C "$REPO" deb BUILD="$BATS_FILE_TMPDIR/b" >"$BATS_FILE_TMPDIR/make-deb.log" 2>&1 || {
		tail -60 "$BATS_FILE_TMPDIR/make-deb.log"
		return 1
	}
	echo "# make deb: $((SECONDS - t0)) s" >&3
	touch "$DEBS/.ok"
}

@test "make deb: ibpack (any) and ibpack-stubs (all) with the version from VERSION, shlibs dependencies, lintian without errors" {
	e2e_only
	debs
	local v
	v=$(cat "$REPO/VERSION")
	local deb=("$DEBS"/ibpack_"$v"_*.deb) stubs=$DEBS/ibpack-stubs_${v}_all.deb
	[[ -f ${deb[0]} && -f $stubs ]] || { ls -l "$DEBS"; return 1; }
	[[ $(dpkg-deb -f "${deb[0]}" Version) == "$v" && $(dpkg-deb -f "$stubs" Version) == "$v" ]]
	[[ $(dpkg-deb -f "${deb[0]}" Architecture) == "$(dpkg --print-architecture)" ]]
	[[ $(dpkg-deb -f "$stubs" Architecture) == all ]]
	run dpkg-deb -f "${deb[0]}" Depends
	assert_output libarchive13 libcjson1 libssl3 libc6
	run dpkg-deb -f "${deb[0]}" Recommends
	assert_output "ibpack-stubs (= $v)"
	run dpkg-deb -c "${deb[0]}"
	assert_output ./usr/bin/ibpack ./usr/share/man/man1/ibpack.1.gz ./usr/share/man/man1/ibpack-bundle.1.gz \
		./usr/share/man/man5/ibpack-spec.5.gz ./usr/share/man/man5/ibpack-format.5.gz \
		./usr/share/bash-completion/completions/ibpack ./usr/share/zsh/vendor-completions/_ibpack \
		./usr/share/doc/ibpack/copyright ./usr/share/doc/ibpack/examples/debian-rdma-core.json
	run dpkg-deb -c "$stubs"
	assert_output ./usr/lib/ibpack/stub-linux-x86_64 ./usr/lib/ibpack/stub-windows-x86_64.exe \
		./usr/share/doc/ibpack-stubs/licenses/openssl/
	# the packaged stub is static and stripped as make leaves it (debhelper does not touch it)
	dpkg-deb -x "$stubs" x
	file x/usr/lib/ibpack/stub-linux-x86_64 | grep 'statically linked' | grep -q ', stripped'
	run x/usr/lib/ibpack/stub-linux-x86_64 --version
	assert_output "ibpack stub $v (linux-x86_64)"
	run grep -E '^E: ' "$DEBS/lintian.txt"
	[[ -z $output ]] || { cat "$DEBS/lintian.txt"; return 1; }
}

@test "the .deb installs with apt-get into a minimal Debian 12 root and builds, verifies and runs a bundle there offline; man ibpack works" {
	e2e_only
	unshare -n true 2>/dev/null || skip "unshare -n is not permitted here"
	debs
	minbase root
	cp "$DEBS"/*.deb root/tmp/
	cp -L /etc/resolv.conf root/etc/resolv.conf
	run chroot root apt-get -q update
	if ((status != 0)); then
		skip "the root's Debian mirror cannot be reached: ${lines[-1]}"
	fi
	run chroot root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		./tmp/ibpack_"$(cat "$REPO/VERSION")"_amd64.deb ./tmp/ibpack-stubs_"$(cat "$REPO/VERSION")"_all.deb man-db
	assert_status 0
	rm -f root/tmp/*.deb
	[[ ! -e root/work ]] # no source tree in the root

	# Everything below runs offline, with only what the packages installed.
	mkdir -p root/root/w/pkgs/drv
	cat >root/root/w/pkgs/drv/install.sh <<-'EOF'
	#!/bin/sh
	echo "installed $*" >/root/w/installed
	EOF
	chmod 755 root/root/w/pkgs/drv/install.sh
	cat >root/root/w/spec.json <<-'EOF'
	{ "name": "debtest", "version": "2.0", "sequence": 4, "target": "linux-x86_64",
	  "packages": [ { "id": "drv", "name": "Driver", "version": "1.0", "source": "pkgs/drv",
	    "match": { "os": ["debian-12"], "nic": ["cx6"] },
	    "install": { "command": ["./install.sh", "--offline"] } } ] }
	EOF
	mkdir -p root/root/w/wpkg
	printf 'MZ placeholder\n' >root/root/w/wpkg/setup.exe
	cat >root/root/w/win.json <<-'EOF'
	{ "name": "debtest-win", "version": "2.0", "sequence": 1, "target": "windows-x86_64",
	  "packages": [ { "id": "wdrv", "name": "Driver", "version": "1.0", "source": "wpkg/setup.exe",
	    "match": { "os": ["windows-server-2019"], "nic": ["cx6"] },
	    "install": { "command": ["setup.exe", "/quiet"] } } ] }
	EOF
	run unshare -n env -u IBPACK_STATE_DIR chroot root /bin/sh -ec '
		cd /root/w
		ibpack --version
		ibpack keygen -o k >/dev/null
		ibpack build spec.json -k k.key -o b.run -q
		ibpack verify b.run --trust k.pub
		ibpack build win.json -k k.key -o w.exe -q
		ibpack verify w.exe --trust k.pub
		./b.run --version
		./b.run --nic cx6 --log-file /root/w/install.log
		cat /root/w/installed'
	assert_status 0
	assert_output "stub linux-x86_64: /usr/lib/ibpack/stub-linux-x86_64" \
		"stub windows-x86_64: /usr/lib/ibpack/stub-windows-x86_64.exe" \
		"debtest 2.0 (sequence 4, linux-x86_64" "ibpack stub $(cat "$REPO/VERSION") (linux-x86_64)" \
		"installed --offline"
	[[ $(grep -c '\.[a-z]*: valid: ' <<<"$output") -eq 2 ]] || { echo "$output"; return 1; }

	run unshare -n chroot root env MANWIDTH=80 man -P cat ibpack
	assert_status 0
	assert_output "IBPACK(1)" "ibpack build" "EXIT STATUS"
	run unshare -n chroot root env MANWIDTH=80 man -P cat 5 ibpack-spec
	assert_output "IBPACK-SPEC(5)" "match.nic"
	run unshare -n chroot root man -P cat ibpack-bundle
	assert_output "--allow-downgrade"
	run unshare -n chroot root man -k ibpack
	assert_output "ibpack (1)" "ibpack-bundle (1)" "ibpack-spec (5)" "ibpack-format (5)"
	chroot root bash -n /usr/share/bash-completion/completions/ibpack
	[[ -f root/usr/share/zsh/vendor-completions/_ibpack ]]

	run chroot root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ibpack ibpack-stubs
	assert_status 0
	[[ ! -e root/usr/bin/ibpack && ! -e root/usr/lib/ibpack && ! -e root/usr/share/man/man1/ibpack.1.gz ]]
}
