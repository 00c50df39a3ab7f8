#!/bin/sh
# Install the Debian 12 packages x2sim builds with, or say how to.
# Used by `make demo` and `make check`; nothing is downloaded outside apt.
set -eu
pkgs="cmake gcc clang make libunicorn-dev libcmocka-dev libelf-dev pkg-config patch man-db python3-jsonschema"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "x2sim: installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "x2sim: missing Debian packages:$missing" >&2
	echo "run:   sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
