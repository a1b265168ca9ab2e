# Shared by the offline install scripts (sourced, not run): the target kernel, failing with a
# message, /proc for DKMS in an image, enabling a service without starting it, and the exit
# code that says whether a reboot is needed. The caller sets `me` (its name) first.

kernel=${IBPACK_KERNEL:-$(uname -r)}
tmp_dirs= mounted_proc=

fail() {
	echo "$me: $*" >&2
	exit 1
}

cleanup() {
	# shellcheck disable=SC2086 # a list of our own temp dirs
	[ -z "$tmp_dirs" ] || rm -rf $tmp_dirs
	[ -z "$mounted_proc" ] || umount /proc || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# DKMS and package scripts need /proc (dkms reads /proc/cpuinfo, and /dev/fd is a link into it).
# An image install runs chrooted without one unless the caller mounted it: mount it until exit.
need_proc() {
	[ -e /proc/self/fd ] && return 0
	mount -t proc proc /proc ||
		fail "no /proc in this system and it cannot be mounted: DKMS needs it (mount -t proc proc IMAGE/proc)"
	mounted_proc=1
}

# The service starts on the next boot; restarting it now would unload the running IB stack. The
# drop-in makes it wait for udev and retry (azhpc-images' openibd drop-in).
enable_service() {
	mkdir -p "/etc/systemd/system/$1.service.d"
	printf '[Unit]\nAfter=systemd-udev-settle.service\nWants=systemd-udev-settle.service\n\n[Service]\nRestart=on-failure\nRestartSec=5\n' \
		>"/etc/systemd/system/$1.service.d/ibpack.conf"
	systemctl enable "$1" || fail "systemctl enable $1 failed"
}

# Exit 194 (installed, reboot required) when modules were built for the running kernel of a live
# node: they load on the next boot. An image install, or another kernel's modules: exit 0.
finish() {
	if [ -z "${IBPACK_ROOT:-}" ] && [ "$kernel" = "$(uname -r)" ]; then
		echo "$me: installed; reboot to load the new modules (the running ones stay until then)"
		exit 194
	fi
	echo "$me: installed"
	exit 0
}
