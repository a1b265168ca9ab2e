#!/bin/sh
# Installs the bundled .deb files with dpkg, offline. A package already installed at the same or a
# newer version is left alone, so the bundle never downgrades the system.
set -eu

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
	exit 0
fi
echo "installing:$todo"
# shellcheck disable=SC2086 # word splitting of the file list is intended
DEBIAN_FRONTEND=noninteractive dpkg -i $todo
dpkg-query -W -f='${Package} ${Version} ${Status}\n' rdma-core ibverbs-providers libibverbs1 librdmacm1 infiniband-diags
