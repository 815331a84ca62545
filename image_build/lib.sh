# Shared by the package, rootfs and image builds (sourced, not run).
# shellcheck shell=bash

SUITE=${SUITE:-bookworm}
# deb.debian.org by default; point DEBIAN_MIRROR at a snapshot (snapshot.debian.org/archive/
# debian/<date>) where it is reachable. Versions are pinned by the lock files either way.
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY=${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

die() { echo "image_build: $*" >&2; exit 2; }

need_root() {
	[ "$(id -u)" -eq 0 ] || die "$1 needs root (mmdebstrap, chroot, loop devices): run it with sudo"
}

need_tools() {
	local missing=()
	for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
	[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (sudo make sysdeps)"
}

# qemu-user for a foreign architecture: binfmt_misc mounted and the interpreter enabled.
enable_foreign() {
	local arch=$1
	[ "$arch" = "$(dpkg --print-architecture)" ] && return 0
	local qemu=qemu-aarch64
	[ "$arch" = arm64 ] || die "unsupported architecture $arch (amd64 or arm64)"
	[ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	[ -e /proc/sys/fs/binfmt_misc/$qemu ] || update-binfmts --enable $qemu
	[ -e /proc/sys/fs/binfmt_misc/$qemu ] || die "cannot run $arch binaries: install qemu-user-static and binfmt-support"
}

# The CA bundle pip trusts on this machine (a proxy's CA may be in it); copied into build roots.
host_ca_bundle() {
	local f
	for f in "${PIP_CERT:-}" "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt; do
		[ -n "$f" ] && [ -r "$f" ] && { echo "$f"; return; }
	done
}

sources_list() {
	cat <<SRC
deb $DEBIAN_MIRROR $SUITE main non-free-firmware
deb $DEBIAN_MIRROR $SUITE-updates main non-free-firmware
deb $DEBIAN_SECURITY $SUITE-security main non-free-firmware
SRC
}

version_of_tree() {
	sed -n 's/^__version__ = "\(.*\)"/\1/p' "$1/appliance/__init__.py"
}

# 1.2.0rc1 -> 1.2.0~rc1, 1.2.0.dev3 -> 1.2.0~dev3: Debian sorts "~" before the release.
deb_version() {
	echo "$1" | sed -E 's/\.?(a|b|rc|dev)([0-9]+)$/~\1\2/'
}
