#!/bin/sh
# Installs the bundled .deb files with dpkg, offline. A package already installed at the same or a
# newer version is left alone, so the bundle never downgrades the system and a second run changes
# nothing. Runs on the live system, or chrooted into an image (`BUNDLE --root DIR`: IBPACK_ROOT
# is set), where no service may be started: the build machine is not the machine that boots it.
set -eu

export DEBIAN_FRONTEND=noninteractive
dpkg_opts=""
policy=/usr/sbin/policy-rc.d
if [ -n "${IBPACK_ROOT:-}" ]; then
	# An image is written out after the build, so dpkg's per-file fsync only slows it down (the
	# image builders debootstrap and mmdebstrap do the same).
	dpkg_opts="--force-unsafe-io"
	if [ ! -e "$policy" ]; then
		# Debian's documented switch for image builds: invoke-rc.d starts nothing while it exits 101.
		printf '#!/bin/sh\n# ibpack: installing into an image, start no service\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
fi

todo=""
for deb in ./*.deb; do
	name=$(dpkg-deb -f "$deb" Package)
	ver=$(dpkg-deb -f "$deb" Version)
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case $have in
	"install ok installed "*)
		if dpkg --compare-versions "${have##* }" ge "$ver"; then
			echo "skip $name $ver (installed: ${have##* })"
			continue
		fi ;;
	esac
	todo="$todo $deb"
done
if [ -z "$todo" ]; then
	echo "everything is installed already"
else
	echo "installing:$todo"
	# shellcheck disable=SC2086 # word splitting of the options and the file list is intended
	dpkg $dpkg_opts -i $todo
fi
rc=0
for p in rdma-core ibverbs-providers libibverbs1 librdmacm1 infiniband-diags; do
	st=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)
	echo "$p: ${st:-not installed}"
	case $st in
	"install ok installed "*) ;;
	*) rc=1 ;;
	esac
done
exit $rc
