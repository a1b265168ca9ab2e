#!/usr/bin/env bats
# Golden images and air-gapped installs: --root installs into a mounted image (one package per
# distinct selection over the --nic tokens, installers run chrooted, the image's own OS and install
# state, no link followed out of the image), first-boot staging (a systemd unit checked with
# systemd-analyze verify; SetupComplete.cmd under Wine), dism driver injection into an offline
# Windows image (a fake dism under Wine), and the real end-to-end: the shipped Debian 12 bundle
# installed with no network into a debootstrap --variant=minbase root (cached under build/cache,
# created once by tests/golden/mkroot.sh; those tests skip when the mirror cannot be reached).

load helpers

GOLDEN=$REPO/tests/golden
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
WSTUB=$IBPACK_BUILD/lib/ibpack/stub-windows-x86_64.exe
MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
RDMA_PKGS="rdma-core ibverbs-providers libibverbs1 librdmacm1 infiniband-diags"

teardown_file() {
	[[ -d $BATS_FILE_TMPDIR/wineprefix ]] && WINEPREFIX=$BATS_FILE_TMPDIR/wineprefix "$WINESERVER" -k 2>/dev/null
	return 0
}

# ---- Linux images --------------------------------------------------------------------------------

# golden_cache: key k and bundle g.run (name "golden", sequence 7) built once per file; every
# package runs tests/golden/installer.c, linked statically, so a test image needs no shell:
#   pkg-a  debian-12   cx5,cx6   installer a --flag "two words"
#   pkg-b  debian-12   cx3pro    installer b
#   pkg-r  rhel-8.*    cx5,cx6   installer r
golden_cache() {
	G=$BATS_FILE_TMPDIR/golden
	[[ -f $G/g.run ]] && return 0
	local tmp bin=$BATS_FILE_TMPDIR/installer
	[[ -x $bin ]] || cc -static -O2 -Wall -Wextra -Werror -o "$bin" "$GOLDEN/installer.c" || return 1
	tmp=$(mktemp -d "$BATS_FILE_TMPDIR/g.XXXXXX")
	(
		cd "$tmp" || exit 1
		for id in a b r; do mkdir -p "pkgs/$id" && cp "$bin" "pkgs/$id/installer"; done
		new_spec
		spec_pkg pkg-a debian-12 cx5,cx6 source=pkgs/a 'command=["./installer", "a", "--flag", "two words"]'
		spec_pkg pkg-b debian-12 cx3pro source=pkgs/b 'command=["./installer", "b"]'
		spec_pkg pkg-r 'rhel-8.*' cx5,cx6 source=pkgs/r 'command=["./installer", "r"]'
		write_spec spec.json golden 7
		build_bundle spec.json g.run k
	) || return 1
	mv -T "$tmp" "$G" 2>/dev/null || rm -rf "$tmp"
	[[ -f $G/g.run ]]
}

# image DIR [ID VERSION_ID]: a minimal image: usr/lib/os-release (default Debian 12) with
# etc/os-release a relative symlink to it, as on Debian, and var/tmp (1777). Sets R to DIR's
# absolute path, which is what the stub reports.
image() {
	mkdir -p "$1/etc" "$1/usr/lib" "$1/var/tmp"
	chmod 1777 "$1/var/tmp"
	printf 'ID=%s\nVERSION_ID="%s"\nPRETTY_NAME="test image"\n' "${2:-debian}" "${3:-12}" >"$1/usr/lib/os-release"
	ln -sfn ../usr/lib/os-release "$1/etc/os-release"
	R=$(realpath "$1")
}

# gsetup: g.run and k.* in the work dir, image img.
gsetup() {
	golden_cache || return 1
	cp "$G/g.run" "$G/k.key" "$G/k.pub" "$G/spec.json" .
	cp -a "$G/pkgs" .
	image img
}

# groot BUNDLE ARGS...: runs BUNDLE with the log in the work dir. Use with `run`.
groot() {
	local b=$1
	shift
	"$b" --log-file "$WORK/install.log" "$@"
}

# no_runs DIR: no test installer ran in image DIR.
no_runs() {
	local f
	for f in "$1"/ibt-*.txt; do
		[[ -e $f ]] || continue
		echo "an installer ran: $f"
		cat "$f"
		return 1
	done
}

@test "--root runs the installer chrooted in the image: image paths, PATH, IBPACK_ROOT, temp dir removed" {
	gsetup
	TMPDIR=$WORK/tmp run groot ./g.run --root img --nic cx6
	assert_status 0
	assert_output "golden installer a ran" "installed into $R: Test pkg-a 1.0-pkg-a (package 'pkg-a') for cx6"
	# /ibt-a.txt is an absolute path: it lands in the image only when the installer is chrooted.
	[[ -f img/ibt-a.txt && ! -e /ibt-a.txt ]]
	grep -qx 'args=--flag|two words' img/ibt-a.txt
	grep -qE '^cwd=/var/tmp/ibpack\.[0-9a-f]{16}/pkg-a$' img/ibt-a.txt
	grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' img/ibt-a.txt
	grep -qx "IBPACK_ROOT=$R" img/ibt-a.txt
	grep -qx 'TMPDIR=(unset)' img/ibt-a.txt
	dir_empty img/var/tmp
	grep -q "chrooted into $R" install.log
	grep -q "golden installer a ran" install.log
}

@test "--root with several --nic: each distinct package once, in spec order; the result says what for which NIC" {
	gsetup
	run --separate-stderr groot ./g.run --root img --nic cx3pro --nic cx5 --nic cx6 --nic cx5 --json
	assert_status 0
	json_assert "$output" "d['action'] == 'install'" "d['result'] == 'installed'" "d['root'] == '$R'" \
		"d['os'] == 'debian-12'" "d['nics'] == ['cx3pro', 'cx5', 'cx6']" "d['devices'] == []" \
		"[(i['package'], i['nics'], i['result']) for i in d['installs']] == [('pkg-a', ['cx5', 'cx6'], 'installed'), ('pkg-b', ['cx3pro'], 'installed')]" \
		"all(i['installer'] == {'exit_code': 0, 'timed_out': False} for i in d['installs'])" \
		"'matches ConnectX-5 on debian-12' in d['installs'][0]['reason']" \
		"d['message'] == \"installed into $R: Test pkg-a 1.0-pkg-a (package 'pkg-a') for cx5, cx6; Test pkg-b 1.0-pkg-b (package 'pkg-b') for cx3pro\""
	[[ $(grep -c '^run$' img/ibt-a.txt) -eq 1 && $(grep -c '^run$' img/ibt-b.txt) -eq 1 ]]
	[[ ! -e img/ibt-r.txt ]]
	# The order of the log is the spec's, not the command line's.
	[[ $(grep -n 'golden installer a ran' install.log | cut -d: -f1) -lt $(grep -n 'golden installer b ran' install.log | cut -d: -f1) ]]
}

@test "--root reads the OS from the image's os-release as the image resolves it; --os overrides it" {
	gsetup
	image img rhel 8.2
	# An absolute link resolves inside the image (usr/lib/os-release of img: rhel 8.2), never to
	# the build machine's own file (debian 12 here, which would select pkg-a).
	ln -sfn /usr/lib/os-release img/etc/os-release
	run --separate-stderr groot ./g.run --root img --nic cx6 --json
	assert_status 0
	json_assert "$output" "d['os'] == 'rhel-8.2'" "[i['package'] for i in d['installs']] == ['pkg-r']"
	grep -q "golden installer r ran" install.log
	run --separate-stderr groot ./g.run --root img --nic cx6 --os debian-12 --json
	assert_status 0
	json_assert "$output" "d['os'] == 'debian-12'" "[i['package'] for i in d['installs']] == ['pkg-a']"
	# No os-release at all: "unknown", which no package lists (12), with a hint.
	rm img/etc/os-release img/usr/lib/os-release
	run groot ./g.run --root img --nic cx6
	assert_status 12
	assert_output "pass --os TOKEN"
}

@test "--root: every --nic must be served, or nothing is installed (exit 11, 12)" {
	gsetup
	run --separate-stderr groot ./g.run --root img --nic cx6 --nic cx4 --json
	assert_status 11
	json_assert "$output" "d['result'] == 'no_device'" "'--nic cx4' in d['message']" "'installs' not in d"
	no_runs img
	dir_empty img/var/tmp
	image img2 ubuntu 22.04
	run groot ./g.run --root img2 --nic cx6
	assert_status 12
	assert_output "ubuntu-22.04 is not supported by this bundle"
	no_runs img2
}

@test "--root, --stage and --unstage: usage errors are exit 1" {
	gsetup
	local cases=(
		"--root img|--root needs the NICs the image must serve"
		"--stage|--stage needs --root DIR"
		"--unstage|--unstage needs --root DIR"
		"--stage --root img --nic cx6|--stage takes no --nic"
		"--stage --unstage --root img|exclude each other"
		"--root img --nic cx6 --sysroot img|--root and --sysroot exclude each other"
		"--root img --nic cx6 --tmpdir img|--tmpdir does not apply to --root"
		"--root img --nic cx6 --list|--root cannot be combined"
	)
	for c in "${cases[@]}"; do
		# shellcheck disable=SC2086 # the case's words
		run groot ./g.run ${c%%|*}
		assert_status 1 || { echo "case: $c"; return 1; }
		assert_output "${c#*|}" || { echo "case: $c"; return 1; }
	done
	no_runs img
}

@test "--root refuses a link at var or var/tmp in the image: nothing is written outside it" {
	gsetup
	mkdir outside
	rm -r img/var/tmp
	ln -s "$WORK/outside" img/var/tmp
	run groot ./g.run --root img --nic cx6
	assert_status 14
	assert_output "symlink or not a directory"
	dir_empty outside
	no_runs img
	rm -r img/var
	ln -s "$WORK/outside" img/var
	run groot ./g.run --root img --nic cx6
	assert_status 14
	dir_empty outside
	no_runs img
}

@test "--root: an image without var/tmp gets one for the install only" {
	gsetup
	rm -r img/var
	run groot ./g.run --root img --nic cx6
	assert_status 0
	[[ -f img/ibt-a.txt && ! -e img/var/tmp ]]
}

@test "--root: a failing installer is exit 14; the next package does not run; the temp dir goes" {
	gsetup
	IBT_RC=5 run --separate-stderr groot ./g.run --root img --nic cx6 --nic cx3pro --json
	assert_status 14
	json_assert "$output" "d['result'] == 'failed'" \
		"[(i['package'], i['result']) for i in d['installs']] == [('pkg-a', 'failed'), ('pkg-b', 'not-run')]" \
		"d['installs'][0]['installer']['exit_code'] == 5" "'installer' not in d['installs'][1]" \
		"'installer exited with 5' in d['message']"
	[[ -f img/ibt-a.txt && ! -e img/ibt-b.txt ]]
	dir_empty img/var/tmp
	# Nothing is recorded for a failed install.
	[[ ! -e img/var/lib/ibpack/state.json ]] || ! grep -q '"golden"' img/var/lib/ibpack/state.json
}

@test "--root: an installer killed by a signal is exit 14; one past its timeout is killed (exit 240)" {
	gsetup
	IBT_SIGNAL=9 run --separate-stderr groot ./g.run --root img --nic cx6 --json
	assert_status 14
	json_assert "$output" "d['installs'][0]['result'] == 'failed'" "d['installs'][0]['installer']['signal'] == 9" \
		"'killed by signal 9' in d['message']"
	dir_empty img/var/tmp
	IBT_SLEEP=30 run --separate-stderr groot ./g.run --root img --nic cx6 --timeout 1 --json
	assert_status 240
	json_assert "$output" "d['result'] == 'timeout'" "d['installs'][0]['installer']['timed_out'] is True"
	dir_empty img/var/tmp
}

@test "--root: an image that is not there, not a directory, or unreadable as a non-root user" {
	gsetup
	run groot ./g.run --root nosuch --nic cx6
	assert_status 14
	assert_output "--root 'nosuch': No such file or directory"
	touch afile
	run groot ./g.run --root afile --nic cx6
	assert_status 14
	assert_output "is not a directory"
	# An os-release that never answers (a FIFO) does not hang the install.
	rm img/etc/os-release
	mkfifo img/etc/os-release
	run groot ./g.run --root img --nic cx6
	assert_status 14
	assert_output "cannot read the OS of the image"
	no_runs img
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	chmod 755 "$WORK"
	run setpriv --reuid=65534 --regid=65534 --clear-groups ./g.run --root img --nic cx6 --os debian-12 --log-file /dev/null
	assert_status 14
	assert_output "an image install needs root"
}

@test "--root --detect plans the image install and changes nothing" {
	gsetup
	run --separate-stderr groot ./g.run --root img --nic cx5 --nic cx3pro --detect --json
	assert_status 0
	json_assert "$output" "d['action'] == 'detect'" "d['result'] == 'selected'" \
		"[(i['package'], i['result']) for i in d['installs']] == [('pkg-a', 'planned'), ('pkg-b', 'planned')]" \
		"d['selection']['reason'].startswith('would install into $R')"
	no_runs img
	dir_empty img/var/tmp
	[[ ! -e img/var/lib/ibpack ]]
	# --root / is the build machine itself (a Packer build VM that becomes the image); a plan
	# only here.
	run --separate-stderr groot ./g.run --root / --nic cx6 --os debian-12 --detect --json
	assert_status 0
	json_assert "$output" "d['root'] == '/'" "d['installs'][0]['result'] == 'planned'"
}

@test "--root --keep keeps the extracted packages inside the image and says where" {
	gsetup
	run --separate-stderr groot ./g.run --root img --nic cx6 --keep --json
	assert_status 0
	kept=$(json_get "$output" "d['kept_tmpdir']")
	[[ $kept == "$R"/var/tmp/ibpack.* ]]
	cmp pkgs/a/installer "$kept/pkg-a/installer"
}

@test "--root records the install inside the image; an older bundle is refused there (exit 15)" {
	gsetup
	run --separate-stderr groot ./g.run --root img --nic cx6 --json
	assert_status 0
	json_assert "$output" "d['state_file'] == '$R/var/lib/ibpack/state.json'"
	json_assert "$(cat img/var/lib/ibpack/state.json)" "d['bundles']['golden']['sequence'] == 7" \
		"d['bundles']['golden']['package'] == 'pkg-a'"
	sed -i 's/"sequence": 7/"sequence": 5/' spec.json
	build_bundle spec.json old.run k
	run groot ./old.run --root img --nic cx6
	assert_status 15
	[[ $(grep -c '^run$' img/ibt-a.txt) -eq 1 ]]
	run groot ./old.run --root img --nic cx6 --allow-downgrade
	assert_status 0
}

@test "--root is idempotent: the same bundle and packages again is already_installed, nothing runs" {
	gsetup
	run --separate-stderr groot ./g.run --root img --nic cx6 --nic cx3pro --json
	assert_status 0
	json_assert "$output" "d['result'] == 'installed'" "d['plan'] == 'install'"
	[[ $(grep -c '^run$' img/ibt-a.txt) -eq 1 && $(grep -c '^run$' img/ibt-b.txt) -eq 1 ]]
	# the --nic order does not matter: the same packages are installed already
	run --separate-stderr groot ./g.run --root img --nic cx3pro --nic cx6 --json
	assert_status 0
	json_assert "$output" "d['result'] == 'already_installed'" "d['plan'] == 'already_installed'" \
		"d['exit_code'] == 0" "[i['result'] for i in d['installs']] == ['already_installed'] * 2" \
		"'nothing was extracted or run' in d['message']"
	[[ $(grep -c '^run$' img/ibt-a.txt) -eq 1 && $(grep -c '^run$' img/ibt-b.txt) -eq 1 ]]
	[[ -z $(ls -A img/var/tmp) ]]
	run groot ./g.run --root img --nic cx6 --nic cx3pro --detect
	assert_status 0
	assert_output "nothing would be extracted or run"
	# another selection installs; --reinstall runs the installers again
	run groot ./g.run --root img --nic cx6
	assert_status 0
	assert_output "installed into"
	[[ $(grep -c '^run$' img/ibt-a.txt) -eq 2 ]]
	run --separate-stderr groot ./g.run --root img --nic cx6 --reinstall --json
	json_assert "$output" "d['result'] == 'installed'" "d['plan'] == 'reinstall'"
	[[ $(grep -c '^run$' img/ibt-a.txt) -eq 3 ]]
	# a damaged package is reported though nothing would run
	eval "$(regions g.run)"
	flip g.run $((PKG_OFF_pkg_a + 1))
	run groot ./g.run --root img --nic cx6
	assert_status 2
	assert_output "package 'pkg-a' of this bundle is damaged, although it is installed in the image already"
	[[ $(grep -c '^run$' img/ibt-a.txt) -eq 3 ]]
}

@test "--root refuses a link at var/lib in the image before the install state is written" {
	gsetup
	mkdir outside
	ln -s "$WORK/outside" img/var/lib
	run groot ./g.run --root img --nic cx6
	assert_status 14
	assert_output "var/lib/ibpack"
	dir_empty outside
	no_runs img
}

# ---- first-boot staging (systemd) ------------------------------------------------------------------

UNIT=etc/systemd/system/ibpack-golden.service
WANTS=etc/systemd/system/multi-user.target.wants/ibpack-golden.service
STAGED=var/lib/ibpack/bundles/golden.run

@test "--stage copies the verified bundle into the image and enables a oneshot unit with a done marker" {
	gsetup
	run --separate-stderr groot ./g.run --stage --root img --json
	assert_status 0
	json_assert "$output" "d['action'] == 'stage'" "d['result'] == 'ok'" "d['root'] == '$R'" \
		"d['staged'] == {'kind': 'systemd', 'bundle': '/$STAGED', 'unit': '/$UNIT', 'wants': '/$WANTS', 'done_marker': '/var/lib/ibpack/golden.done'}"
	cmp g.run "img/$STAGED"
	[[ $(file_mode "img/$STAGED") == 755 && $(file_mode "img/$UNIT") == 644 ]]
	[[ $(readlink "img/$WANTS") == "/$UNIT" ]]
	grep -qx 'Type=oneshot' "img/$UNIT"
	grep -qx "ExecStart=/$STAGED" "img/$UNIT"
	grep -qx 'ExecStartPost=/bin/touch /var/lib/ibpack/golden.done' "img/$UNIT"
	grep -qx 'ConditionPathExists=!/var/lib/ibpack/golden.done' "img/$UNIT"
	grep -qx 'WantedBy=multi-user.target' "img/$UNIT"
	! grep -q ConditionFirstBoot "img/$UNIT"
	# The staged copy is a working bundle; staging again replaces it rather than adding another.
	run "img/$STAGED" --verify
	assert_status 0
	run groot ./g.run --stage --root img
	assert_status 0
	cmp g.run "img/$STAGED"
	[[ $(ls img/etc/systemd/system/multi-user.target.wants) == ibpack-golden.service ]]
}

@test "systemd-analyze verify accepts the staged unit, and rejects it once the staged bundle is gone" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	gsetup
	run groot ./g.run --stage --root img
	assert_status 0
	# What verify needs from the image: systemd's own units and ExecStartPost's /bin/touch.
	mkdir -p img/usr/lib/systemd/system img/bin
	cp -a /usr/lib/systemd/system/. img/usr/lib/systemd/system/
	cp "$(command -v touch)" img/bin/touch
	run systemd-analyze verify --root="$R" ibpack-golden.service
	assert_status 0
	[[ -z $output ]]
	rm "img/$STAGED"
	run systemd-analyze verify --root="$R" ibpack-golden.service
	[[ $status -ne 0 ]]
	assert_output "golden.run"
	# A bundle version is free text: '%' (a unit specifier) and a line break must not reach the
	# unit as syntax, or a version could add directives to a unit that runs as root.
	py - <<'PY'
import json
s = json.load(open("spec.json"))
s["version"] = "1.0 %n\nExecStartPre=/bin/false"
json.dump(s, open("spec.json", "w"))
PY
	build_bundle spec.json odd.run k
	run groot ./odd.run --stage --root img
	assert_status 0
	! grep -q '^ExecStartPre' "img/$UNIT"
	grep -q '^Description=ibpack: install InfiniBand drivers (golden 1.0 _n_ExecStartPre=/bin/false) on first boot$' "img/$UNIT"
	run systemd-analyze verify --root="$R" ibpack-golden.service
	assert_status 0
}

@test "--unstage removes exactly what --stage added; a second --unstage finds nothing" {
	gsetup
	mkdir -p img/etc/systemd/system/multi-user.target.wants
	ln -s /lib/systemd/system/other.service img/etc/systemd/system/multi-user.target.wants/other.service
	run groot ./g.run --stage --root img
	assert_status 0
	touch img/var/lib/ibpack/golden.done # as after a successful first boot
	run --separate-stderr groot ./g.run --unstage --root img --json
	assert_status 0
	json_assert "$output" "d['action'] == 'unstage'" "d['result'] == 'ok'" \
		"d['unstaged']['removed'] == ['/$WANTS', '/$UNIT', '/$STAGED', '/var/lib/ibpack/golden.done']"
	[[ ! -e img/$UNIT && ! -L img/$WANTS && ! -e img/$STAGED && ! -e img/var/lib/ibpack/golden.done ]]
	[[ -L img/etc/systemd/system/multi-user.target.wants/other.service ]]
	run groot ./g.run --unstage --root img
	assert_status 0
	assert_output "nothing of golden was staged in $R"
}

@test "--stage refuses a damaged bundle and writes nothing into the image" {
	gsetup
	cp g.run bad.run
	eval "$(regions bad.run)"
	flip bad.run $((PKG_OFF_pkg_b + 10))
	run groot ./bad.run --stage --root img
	assert_status 2
	[[ ! -e img/var/lib/ibpack && ! -e img/etc/systemd ]]
}

@test "--stage and --unstage never follow a link out of the image" {
	gsetup
	mkdir outside
	mkdir -p img/etc/systemd
	ln -s "$WORK/outside" img/etc/systemd/system
	run groot ./g.run --stage --root img
	assert_status 14
	assert_output "symlink or not a directory"
	dir_empty outside
	[[ ! -e img/$STAGED ]]
	# A planted wants link pointing outside: --unstage must not delete the file it leads to.
	rm img/etc/systemd/system
	mkdir -p img/etc/systemd/system
	touch outside/ibpack-golden.service
	ln -s "$WORK/outside" img/etc/systemd/system/multi-user.target.wants
	run groot ./g.run --unstage --root img
	assert_status 14
	[[ -f outside/ibpack-golden.service ]]
}

# ---- the real end-to-end: Debian 12 minbase, no network ----------------------------------------------

# rdma_bundle: RDMA, the shipped bundles/debian-rdma-core.json built once per file (what make
# bundle builds, signed with a test key), from the packages scripts/fetch-debs.sh fetched.
rdma_bundle() {
	RDMA=$BATS_FILE_TMPDIR/debian-rdma-core.run
	[[ -f $RDMA ]] && return 0
	local rc=0 log=$BATS_FILE_TMPDIR/fetch.log
	bash "$REPO/scripts/fetch-debs.sh" "$REPO/bundles/debian-rdma-core/packages" \
		"$REPO/bundles/debian-rdma-core/install.sh" "$REPO/bundles/vendor/debian-rdma-core" >"$log" 2>&1 || rc=$?
	((rc != 2)) || { cat "$log"; return 1; } # the package list itself is inconsistent
	((rc == 0)) || skip "cannot fetch the packages of bundles/debian-rdma-core: $(tail -1 "$log")"
	"$IBPACK" keygen -o "$BATS_FILE_TMPDIR/rdma" >/dev/null || return 1
	"$IBPACK" build "$REPO/bundles/debian-rdma-core.json" -k "$BATS_FILE_TMPDIR/rdma.key" -o "$RDMA" -q
}

no_network() {
	unshare -n true 2>/dev/null || skip "unshare -n is not permitted here"
}

@test "air-gapped: the shipped Debian 12 bundle installs into a minbase root with no network; again is a no-op" {
	e2e_only
	no_network
	rdma_bundle
	minbase root
	run --separate-stderr unshare -n "$RDMA" --root root --nic cx6 --log-file "$WORK/install.log" --json
	assert_status 0
	json_assert "$output" "d['result'] == 'installed'" "d['os'] == 'debian-12'" \
		"[(i['package'], i['nics']) for i in d['installs']] == [('debian12-rdma-core', ['cx6'])]"
	for p in $RDMA_PKGS; do
		chroot root dpkg-query -W -f='${Status}\n' "$p" | grep -qx 'install ok installed' || {
			echo "$p is not installed:"
			chroot root dpkg -s "$p"
			return 1
		}
	done
	[[ -z $(chroot root dpkg --audit) ]]
	# No service was started in the build machine's chroot, and nothing is left behind.
	grep -q 'policy-rc.d denied execution' install.log
	[[ ! -e root/usr/sbin/policy-rc.d ]]
	dir_empty root/var/tmp
	# again: the image's record says so, and nothing is extracted or run
	run unshare -n "$RDMA" --root root --nic cx6 --log-file "$WORK/install2.log"
	assert_status 0
	assert_output "is installed in $R already" "nothing was extracted or run"
	dir_empty root/var/tmp
	# --reinstall runs the installer, which finds every package installed
	run unshare -n "$RDMA" --root root --nic cx6 --reinstall --log-file "$WORK/install3.log"
	assert_status 0
	assert_output "everything is installed already" "installed into $R"
}

@test "air-gapped: the shipped bundle staged in a minbase root passes systemd-analyze verify and runs there offline" {
	e2e_only
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	no_network
	rdma_bundle
	minbase root
	run "$RDMA" --stage --root root --log-file "$WORK/stage.log"
	assert_status 0
	# A minbase root has no systemd; verify reads systemd's own units from the image.
	mkdir -p root/usr/lib/systemd/system
	cp -an /usr/lib/systemd/system/. root/usr/lib/systemd/system/
	run systemd-analyze verify --root="$R" ibpack-debian-rdma-core.service
	assert_status 0
	[[ -z $output ]]
	# The unit's ExecStart on the real hardware, here with the NIC named: the staged copy works
	# inside the image, with no /proc and no network.
	# A sanitizer build's stub needs the host's libasan, which the image lacks: run it only when static.
	if ! file "$RDMA" | grep -q 'statically linked'; then
		return 0
	fi
	# The test's state dir is a host path: inside the image the record is the image's own.
	run unshare -n env -u IBPACK_STATE_DIR chroot root /var/lib/ibpack/bundles/debian-rdma-core.run --nic cx6 \
		--log-file /var/log/firstboot.log
	assert_status 0
	chroot root dpkg-query -W -f='${Status}\n' rdma-core | grep -qx 'install ok installed'
}

# ---- Windows images, under Wine ------------------------------------------------------------------------

# winpath PATH: the Windows name Wine gives a Linux path (drive Z: is the Linux root).
winpath() { printf 'Z:%s' "${1//\//\\}"; }

# wine_setup: one Wine prefix per file with the fake dism.exe in system32 (where the stub looks
# for dism), and WF/win.exe, a Windows bundle "wingolden" (key WF/k):
#   drv  windows-server-*  cx5,cx6  an INF driver package (drv.inf, drv.sys)
#   exe  windows-server-*  cx3pro   an installer .exe only
wine_setup() {
	[[ -x $WINE ]] || skip "wine64 is not installed (apt-get install wine64)"
	[[ -f $WSTUB ]] || { echo "the Windows stub is missing under $IBPACK_BUILD: make stub-windows" >&2; return 1; }
	command -v "$MINGW_CC" >/dev/null || { echo "$MINGW_CC is missing (gcc-mingw-w64-x86-64)" >&2; return 1; }
	# dism.exe=n: Wine has its own builtin dism, which it would otherwise prefer to the fake.
	export WINEPREFIX=$BATS_FILE_TMPDIR/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=;dism.exe=n'
	# dism gets the installers' fixed environment: the stand-in's inputs are handed through.
	export IBPACK_PASS_ENV=$IBPACK_PASS_ENV,IBT_DISM_RECORD,IBT_DISM_EXIT
	WF=$BATS_FILE_TMPDIR/win
	[[ -f $WF/ready ]] && return 0
	"$WINE" wineboot -i >/dev/null 2>&1 || { echo "cannot create a Wine prefix" >&2; return 1; }
	mkdir -p "$WF/drv" "$WF/exe"
	"$MINGW_CC" -std=c11 -O2 -Wall -Wextra -Werror -municode -static -o "$WF/fakedism.exe" "$GOLDEN/fakedism.c" || return 1
	cp "$WF/fakedism.exe" "$WINEPREFIX/drive_c/windows/system32/dism.exe"
	printf '[Version]\r\nSignature="$WINDOWS NT$"\r\n' >"$WF/drv/drv.inf"
	printf 'driver' >"$WF/drv/drv.sys"
	cp "$WF/fakedism.exe" "$WF/exe/setup.exe"
	cat >"$WF/spec.json" <<'EOF'
{ "name": "wingolden", "version": "1.0", "sequence": 1, "target": "windows-x86_64",
  "packages": [
    { "id": "drv", "name": "INF driver", "version": "2.0", "source": "drv",
      "match": { "os": ["windows-server-*"], "nic": ["cx5", "cx6"] },
      "install": { "command": ["pnputil.exe", "/add-driver", "drv.inf", "/install"], "timeout": 60 } },
    { "id": "exe", "name": "Setup exe", "version": "3.0", "source": "exe",
      "match": { "os": ["windows-server-*"], "nic": ["cx3pro"] },
      "install": { "command": ["setup.exe", "/S"], "timeout": 60 } } ] }
EOF
	"$IBPACK" keygen -o "$WF/k" >/dev/null || return 1
	"$IBPACK" build "$WF/spec.json" -k "$WF/k.key" -o "$WF/win.exe" -q || return 1
	touch "$WF/ready"
}

# wrun COMMAND...: a Windows command line through cmd.exe in the work dir; $status is the full
# %ERRORLEVEL% (a Wine process's Linux exit status keeps only 8 bits), $output stdout, $stderr.
wrun() {
	"$WINE" cmd /c "$* & echo ibpack-rc=%ERRORLEVEL%" >.out 2>.err </dev/null || true
	output=$(tr -d '\r' <.out | sed 's/ibpack-rc=-\{0,1\}[0-9]*$//')
	stderr=$(tr -d '\r' <.err)
	status=$(tr -d '\r' <.out | grep -o 'ibpack-rc=-\{0,1\}[0-9]*$' | tail -1 | cut -d= -f2)
	[[ -n $status ]] || { echo "cmd.exe printed no exit code"; cat .out .err; return 1; }
}

# wimage DIR: a mounted Windows image as far as the stub can tell (a Windows folder).
wimage() {
	mkdir -p "$1/Windows/System32"
	WIMG=$(winpath "$(realpath "$1")")
}

@test "windows: --root adds the INF drivers to the offline image with the system's dism and logs the command" {
	wine_setup
	wimage img
	export IBT_DISM_RECORD=$(winpath "$WORK/dism.txt")
	wrun "$(winpath "$WF/win.exe")" --root "$WIMG" --os windows-server-2022 --nic cx6 --json --log-file "$(winpath "$WORK/w.log")"
	assert_status 0
	json_assert "$output" "d['result'] == 'installed'" "d['root'] == r'$WIMG'" \
		"[(i['package'], i['nics'], i['result'], i['installer']['exit_code']) for i in d['installs']] == [('drv', ['cx6'], 'installed', 0)]"
	tr -d '\r' <dism.txt >dism.lines
	[[ $(sed -n 1p dism.lines) == "/Image:$WIMG" ]]
	[[ $(sed -n 2p dism.lines) == /Add-Driver ]]
	sed -n 3p dism.lines | grep -qE '^/Driver:C:\\users\\[^\\]+\\Temp\\ibpack-[0-9a-f]{16}\\drv$'
	[[ $(sed -n 4p dism.lines) == /Recurse ]]
	grep -qx 'inf=yes' dism.lines
	grep -qiF 'C:\windows\system32\dism.exe /Image:' w.log
	# the host temp dir is gone
	run ls "$WINEPREFIX/drive_c/users/"*/Temp/
	[[ $output != *ibpack-* ]]
}

@test "windows: --root refuses a package without an .inf, reports a dism failure as 100, needs --os and an image" {
	wine_setup
	wimage img
	export IBT_DISM_RECORD=$(winpath "$WORK/dism.txt")
	wrun "$(winpath "$WF/win.exe")" --root "$WIMG" --os windows-server-2022 --nic cx3pro
	assert_status 100
	assert_contains "$stderr" "package 'exe' has no .inf file" "--stage --root DIR"
	[[ ! -e dism.txt ]]
	IBT_DISM_EXIT=50 wrun "$(winpath "$WF/win.exe")" --root "$WIMG" --os windows-server-2022 --nic cx6 --json
	assert_status 100
	json_assert "$output" "d['installs'][0]['result'] == 'failed'" "d['installs'][0]['installer']['exit_code'] == 50"
	wrun "$(winpath "$WF/win.exe")" --root "$WIMG" --nic cx6
	assert_status 1
	assert_contains "$stderr" "--root on Windows needs --os"
	mkdir notanimage
	wrun "$(winpath "$WF/win.exe")" --root "$(winpath "$WORK/notanimage")" --os windows-server-2022 --nic cx6
	assert_status 1
	assert_contains "$stderr" "not a mounted Windows image"
}

@test "windows: --stage appends to SetupComplete.cmd once and keeps its content; --unstage restores it" {
	wine_setup
	wimage img
	scripts=img/Windows/Setup/Scripts
	mkdir -p "$scripts"
	printf 'echo site script\r\nrem no newline at the end' >"$scripts/SetupComplete.cmd"
	cp "$scripts/SetupComplete.cmd" before.cmd
	wrun "$(winpath "$WF/win.exe")" --stage --root "$WIMG" --json
	assert_status 0
	json_assert "$output" "d['staged']['kind'] == 'setupcomplete'"
	cmp "$WF/win.exe" img/ProgramData/ibpack/bundles/wingolden.exe
	head -c "$(stat -c %s before.cmd)" "$scripts/SetupComplete.cmd" | cmp - before.cmd
	grep -q $'^rem no newline at the end\r$' "$scripts/SetupComplete.cmd"
	grep -qF '"%SystemDrive%\ProgramData\ibpack\bundles\wingolden.exe"' "$scripts/SetupComplete.cmd"
	wrun "$(winpath "$WF/win.exe")" --stage --root "$WIMG"
	assert_status 0
	[[ $(grep -c '^rem ibpack:wingolden ' "$scripts/SetupComplete.cmd") -eq 1 ]]
	wrun "$(winpath "$WF/win.exe")" --unstage --root "$WIMG"
	assert_status 0
	# What was there before, and only that (the line break --stage had to add stays).
	[[ $(tr -d '\r' <"$scripts/SetupComplete.cmd") == "$(tr -d '\r' <before.cmd)" ]]
	head -c "$(stat -c %s before.cmd)" "$scripts/SetupComplete.cmd" | cmp - before.cmd
	[[ ! -e img/ProgramData/ibpack/bundles/wingolden.exe ]]
	# A SetupComplete.cmd that --stage created is removed again by --unstage.
	rm "$scripts/SetupComplete.cmd"
	wrun "$(winpath "$WF/win.exe")" --stage --root "$WIMG"
	assert_status 0
	wrun "$(winpath "$WF/win.exe")" --unstage --root "$WIMG"
	assert_status 0
	[[ ! -e $scripts/SetupComplete.cmd ]]
	# --root C:\ : a Windows build VM that becomes the image (Packer, then sysprep).
	wrun "$(winpath "$WF/win.exe")" --stage --root 'C:\'
	assert_status 0
	grep -q '^rem ibpack:wingolden ' "$WINEPREFIX/drive_c/windows/Setup/Scripts/SetupComplete.cmd"
	cmp "$WF/win.exe" "$WINEPREFIX/drive_c/ProgramData/ibpack/bundles/wingolden.exe"
	wrun "$(winpath "$WF/win.exe")" --unstage --root 'C:\'
	assert_status 0
	[[ ! -e $WINEPREFIX/drive_c/windows/Setup/Scripts/SetupComplete.cmd ]]
	[[ ! -e $WINEPREFIX/drive_c/ProgramData/ibpack/bundles/wingolden.exe ]]
}

@test "windows: the staged SetupComplete.cmd line runs the bundle and logs its exit code" {
	wine_setup
	wimage img
	wrun "$(winpath "$WF/win.exe")" --stage --root "$WIMG"
	assert_status 0
	# First boot, as Windows Setup would run it, with the image as the system drive. This Wine
	# machine has no InfiniBand device: the bundle exits 100, and that is what must be logged
	# (a plain %ERRORLEVEL% would be expanded before the bundle ran, and log 0).
	printf '@echo off\r\nset "SystemDrive=%s"\r\nset "WINDIR=%s\\Windows"\r\ncall "%s\\Windows\\Setup\\Scripts\\SetupComplete.cmd"\r\n' \
		"$WIMG" "$WIMG" "$WIMG" >firstboot.cmd
	wrun firstboot.cmd
	log=img/Windows/Setup/Scripts/ibpack-wingolden.log
	[[ -f $log ]]
	grep -q 'ibpack wingolden exit 100' "$log"
	grep -qi 'no InfiniBand device' "$log"
}
