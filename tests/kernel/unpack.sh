# Sourced by check-kernel.sh and demo-kernel.sh: unpack what x2sim reads
# of Debian's linux-source-X.Y (the top Makefile and arch/x86/kvm) under
# $CACHE, keyed by the package version so that an upgrade unpacks again.
# Needs fail() from the caller.
unpack() {
	v=$1
	tarball=/usr/src/linux-source-$v.tar.xz
	[ -f "$tarball" ] || fail "$tarball not found (is linux-source-$v installed?)"
	pkgver=$(dpkg-query -W -f='${Version}' "linux-source-$v")
	dir=$CACHE/linux-source-$v
	if [ "$(cat "$dir.stamp" 2>/dev/null || true)" != "$pkgver" ]; then
		rm -rf "$dir" "$dir.stamp"
		mkdir -p "$CACHE"
		tar -C "$CACHE" -xJf "$tarball" \
			"linux-source-$v/Makefile" "linux-source-$v/arch/x86/kvm" ||
			fail "cannot unpack $tarball"
		echo "$pkgver" >"$dir.stamp"
	fi
}
