#!/usr/bin/env bats
# The installer run as an attacker on the same machine sees it: the temp base and the swap race,
# the installer's environment and descriptors, the whole process tree at the timeout, the log
# file, the install record, deep temp trees and manifest text on the terminal and in the log.

load helpers

# probe_bundle ID COMMAND-JSON [key=value...]: a one-package bundle p.run (Ubuntu 22.04, cx6)
# whose install command is COMMAND-JSON, plus the fixture sysroot "root".
probe_bundle() {
	local id=$1 cmd=$2
	shift 2
	new_spec
	spec_pkg "$id" ubuntu-22.04 cx6 command="$cmd" "$@"
	write_spec probe.json
	build_bundle probe.json p.run
	sysroot root cx6-vf
}

# alive PID: true while PID runs (not gone, not a zombie).
alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

@test "run: the installer gets only the documented environment and descriptors 0-2" {
	# Python lists its own descriptors (leaving out the one listdir held, closed by now)
	cat >fds.py <<'EOF'
import os
fds = [f for f in os.listdir("/proc/self/fd") if os.path.lexists("/proc/self/fd/" + f)]
open(os.environ["IBT_OUT"] + "/fds", "w").write(" ".join(sorted(fds, key=int)) + " ")
EOF
	probe_bundle envp "[\"/bin/sh\", \"-c\", \"env > \\\"\$IBT_OUT/env\\\"; pwd -P > \\\"\$IBT_OUT/cwd\\\"; stat -c %a \\\"\$TMPDIR\\\" > \\\"\$IBT_OUT/tmpmode\\\"; exec python3 $WORK/fds.py\"]"
	# fd 7 open in the caller (bats keeps fd 3) and a variable that must not leak
	SECRET_TOKEN=leak run stub ./p.run --sysroot root 7<p.run
	assert_status 0
	# names only; the shell itself may add PWD/OLDPWD/SHLVL/_
	names=$(cut -d= -f1 "$OUT/env" | grep -vx -e PWD -e OLDPWD -e SHLVL -e _ | sort | tr '\n' ' ')
	[[ $names == "HOME IBPACK_BUNDLE IBPACK_BUNDLE_VERSION IBPACK_KERNEL IBPACK_NICS IBPACK_OS IBPACK_PACKAGE IBPACK_PACKAGE_VERSION IBPACK_SEQUENCE IBT_OUT LANG PATH TMPDIR " ]] ||
		{ echo "environment: $names"; cat "$OUT/env"; false; }
	grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$OUT/env"
	grep -qx 'LANG=C.UTF-8' "$OUT/env"
	grep -qx 'HOME=/root' "$OUT/env"
	grep -qx 'IBPACK_PACKAGE=envp' "$OUT/env"
	grep -qx 'IBPACK_BUNDLE=testbundle' "$OUT/env"
	grep -qx 'IBPACK_SEQUENCE=7' "$OUT/env"
	grep -qx 'IBPACK_OS=ubuntu-22.04' "$OUT/env"
	grep -qx 'IBPACK_NICS=cx6' "$OUT/env"
	grep -qx "IBPACK_KERNEL=$(cat root/proc/sys/kernel/osrelease)" "$OUT/env"
	# TMPDIR: a private 0700 dir next to the package inside the temp dir
	tmp=$(sed -n 's/^TMPDIR=//p' "$OUT/env")
	[[ $tmp == "$WORK"/tmp/ibpack.*/.tmp ]]
	[[ $(cat "$OUT/tmpmode") == 700 ]]
	[[ $(cat "$OUT/cwd") == "$WORK"/tmp/ibpack.*/envp ]]
	[[ $(cat "$OUT/fds") == "0 1 2 " ]] || { echo "fds: $(cat "$OUT/fds")"; false; }
	dir_empty tmp
}

@test "run: --pass-env hands over a named variable; loader and fixed names are refused" {
	probe_bundle envp '["/bin/sh", "-c", "env > \"$IBT_OUT/env\""]'
	MY_PROXY=http://proxy:3128 run stub ./p.run --sysroot root --pass-env MY_PROXY
	assert_status 0
	grep -qx 'MY_PROXY=http://proxy:3128' "$OUT/env"
	for bad in LD_PRELOAD PATH IBPACK_OS 'A=B' '1X'; do
		run stub ./p.run --sysroot root --pass-env "$bad"
		assert_status 1
		assert_output "--pass-env '$bad'"
	done
}

@test "run: at the timeout the whole tree dies, also children that called setsid or double-forked" {
	probe_bundle tree '["/bin/sh", "-c", "setsid sleep 300 & echo $! > \"$IBT_OUT/sid\"; (setsid sleep 301 & echo $! > \"$IBT_OUT/orphan\"); sleep 600"]'
	run stub ./p.run --sysroot root --timeout 2 3>&-
	assert_status 240
	assert_output "it and every process it started were killed"
	for f in sid orphan; do
		pid=$(cat "$OUT/$f")
		[[ -n $pid ]]
		if alive "$pid" && grep -q sleep "/proc/$pid/cmdline"; then
			echo "$f ($pid) survived: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
			kill -9 "$pid"
			false
		fi
	done
	dir_empty tmp
}

@test "run: a temp base another user could rename into is refused up front, naming it" {
	probe_bundle ok '["/bin/sh", "-c", "touch \"$IBT_OUT/ran\""]'
	chmod 755 "$WORK"
	# owned by another user
	mkdir -p base-user && chown nobody base-user
	run stub ./p.run --sysroot root --tmpdir "$WORK/base-user"
	assert_status 14
	assert_output "temp base '$WORK/base-user' is unsafe" "'$WORK/base-user' is owned by another user"
	# world-writable without the sticky bit
	mkdir -p base-ww && chmod 777 base-ww
	run stub ./p.run --sysroot root --tmpdir "$WORK/base-ww"
	assert_status 14
	assert_output "writable by others without the sticky bit"
	# an ancestor owned by another user
	mkdir -p anc/base && chown nobody anc
	run stub ./p.run --sysroot root --tmpdir "$WORK/anc/base"
	assert_status 14
	assert_output "'$WORK/anc' is owned by another user"
	# $TMPDIR is held to the same rule
	TMPDIR=$WORK/base-user run ./p.run --sysroot root --log-file "$WORK/install.log"
	assert_status 14
	assert_output "temp base '$WORK/base-user' is unsafe"
	[[ ! -e $OUT/ran ]]
	# a sticky world-writable base (like /tmp) is fine
	mkdir -p base-sticky && chmod 1777 base-sticky
	run stub ./p.run --sysroot root --tmpdir "$WORK/base-sticky"
	assert_status 0
	[[ -e $OUT/ran ]]
	dir_empty base-sticky
}

@test "run: an unprivileged user racing to swap the temp dir never gets their installer run" {
	mkdir -p pkgs/signed
	printf '#!/bin/sh\necho signed >>"$IBT_OUT/ran"\nsleep 0.2\n' >pkgs/signed/install.sh
	chmod 755 pkgs/signed/install.sh
	probe_bundle signed '["./install.sh"]'
	chmod 755 "$WORK"
	chmod 733 "$OUT"
	mkdir -p base-sticky base-user && chmod 1777 base-sticky && chown nobody base-user
	# The helper (nobody) renames every ibpack.* dir it sees under either base and plants its own
	# install.sh at the old path, in a tight loop, for at most 60 s.
	printf '#!/bin/sh\ntouch "%s/planted"\n' "$OUT" >planted.sh
	cat >race.sh <<'EOF'
#!/bin/bash
shopt -s nullglob
planted=$1
shift
end=$((SECONDS + 60))
while ((SECONDS < end)); do
	for d in "$1"/ibpack.* "$2"/ibpack.*; do
		[[ $d != *.moved ]] || continue
		mv "$d" "$d.moved" 2>/dev/null || continue
		mkdir -p "$d/signed" && cp "$planted" "$d/signed/install.sh" && chmod 755 "$d/signed/install.sh"
	done
done
EOF
	chmod 755 race.sh
	chmod 644 planted.sh
	setpriv --reuid=nobody --regid=nogroup --clear-groups ./race.sh "$WORK/planted.sh" \
		"$WORK/base-sticky" "$WORK/base-user" 3>&- &
	racer=$!
	for i in 1 2 3 4 5 6 7 8; do
		run stub ./p.run --sysroot root --tmpdir "$WORK/base-sticky" --reinstall 3>&-
		assert_status 0
		run stub ./p.run --sysroot root --tmpdir "$WORK/base-user" --reinstall 3>&-
		assert_status 14
	done
	kill "$racer" 2>/dev/null || true
	wait "$racer" 2>/dev/null || true
	# the signed installer ran every time on the safe base; nothing planted ever ran as root
	[[ $(grep -c signed "$OUT/ran") == 8 ]]
	[[ ! -e $OUT/planted ]]
	[[ -z $(ls -A base-sticky) ]]
}

@test "run: --log-file is never followed through a symlink, and must be a regular file" {
	probe_bundle ok '["/bin/true"]'
	echo precious >target
	ln -s target link.log
	run ./p.run --sysroot root --tmpdir "$WORK/tmp" --log-file "$WORK/link.log"
	assert_status 0
	assert_output "cannot open log file '$WORK/link.log'"
	[[ $(cat target) == precious ]]
	mkfifo fifo.log
	run timeout 20 ./p.run --sysroot root --tmpdir "$WORK/tmp" --log-file "$WORK/fifo.log"
	assert_status 0
	assert_output "cannot open log file '$WORK/fifo.log'"
}

@test "run: a FIFO at the install record or lock path fails fast instead of hanging" {
	probe_bundle ok '["/bin/true"]'
	mkdir -p state
	mkfifo state/state.json
	run timeout 20 ./p.run --sysroot root --tmpdir "$WORK/tmp" --log-file "$WORK/install.log"
	assert_status 15
	assert_output "state.json"
	rm -f state/state.json state/lock
	mkfifo state/lock
	run timeout 20 ./p.run --sysroot root --tmpdir "$WORK/tmp" --log-file "$WORK/install.log"
	[[ $status != 124 ]]
	assert_output "is not a regular file"
}

@test "run: a temp tree deeper than 256 levels is removed" {
	probe_bundle deep '["/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do mkdir d && cd d || exit 1; i=$((i+1)); done; echo x > leaf"]'
	run stub ./p.run --sysroot root
	assert_status 0
	dir_empty tmp
}

@test "run: manifest text with escape sequences and newlines is escaped on the terminal and in the log" {
	new_spec
	spec_pkg evil ubuntu-22.04 cx6 name=$'Evil\e[2J\e[31m\nFAKE: installed' version=$'1\r2'
	write_spec evil.json
	build_bundle evil.json e.run
	sysroot root cx6-vf
	run stub ./e.run --sysroot root
	assert_status 0
	assert_output 'Evil\x1b[2J\x1b[31m\nFAKE: installed 1\r2 installed'
	[[ $output != *$'\e'* ]]
	! grep -q $'\e' install.log
	! grep -q '^FAKE' install.log
	run ./e.run --list
	assert_status 0
	assert_output 'Evil\x1b[2J'
	[[ $output != *$'\e'* ]]
	run "$IBPACK" list e.run
	assert_output 'Evil\x1b[2J'
	[[ $output != *$'\e'* ]]
}
