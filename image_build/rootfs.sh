#!/usr/bin/env bash
# A Debian root filesystem with the tillbox package installed: the SD-card image's (arm64,
# with the Pi's kernel and firmware) and the boot test's (amd64) come from here.
#
#   rootfs.sh ARCH DEB TARGET_DIR PROFILE
#
# PROFILE is `image` (what the SD card needs) or `boottest` (just enough to boot in
# systemd-nspawn). With LOCK=<file>, every package is installed at the version the lock file
# names and the result must match it exactly (LOCK_UPDATE=1 rewrites the lock instead).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

[ $# -eq 4 ] || die "usage: rootfs.sh ARCH DEB TARGET_DIR image|boottest"
ARCH=$1 DEB=$(realpath "$2") TARGET=$3 PROFILE=$4
LOCK=${LOCK:-}
need_root "rootfs.sh"
need_tools mmdebstrap
enable_foreign "$ARCH"
[ -f "$DEB" ] || die "no package at $DEB (make deb)"

base="systemd,systemd-sysv,dbus,udev,ca-certificates,iproute2,procps,tzdata"
case "$PROFILE" in
	boottest) packages="$base" ;;
	image)
		# The Pi: Debian's arm64 kernel and raspi-firmware (boot files, config.txt), Wi-Fi
		# firmware, the network, time, mDNS (tillbox-xxxxxx.local on the shop Wi-Fi), and
		# the font for printers without Chinese characters.
		packages="$base,linux-image-arm64,raspi-firmware,firmware-brcm80211,wpasupplicant"
		packages+=",systemd-timesyncd,avahi-daemon,libnss-mdns,fonts-wqy-zenhei,dosfstools"
		packages+=",systemd-resolved,cloud-guest-utils,e2fsprogs,less,nano,usbutils"
		packages+=""
		;;
	*) die "unknown profile $PROFILE (image or boottest)" ;;
esac

includes=$packages
if [ -n "$LOCK" ] && [ -z "${LOCK_UPDATE:-}" ]; then
	[ -f "$LOCK" ] || die "no lock file $LOCK (LOCK_UPDATE=1 writes one)"
	# Every package at its locked version: the same inputs every time, or a clear failure.
	includes=$(awk '!/^#/ && NF == 2 {printf "%s%s=%s", sep, $1, $2; sep=","}' "$LOCK")
fi

rm -rf "$TARGET"
mkdir -p "$(dirname "$TARGET")"
hooks=()
if [ "$PROFILE" = image ]; then
	# raspi-firmware writes cmdline.txt from this when it is installed, so it comes first.
	hooks+=(--setup-hook='mkdir -p "$1/etc/default" "$1/boot/firmware"'
		--setup-hook='echo ROOTPART=LABEL=TILLBOX_ROOT > "$1/etc/default/raspi-firmware"'
		--dpkgopt=force-confold)
fi
hooks+=(--customize-hook="copy-in $DEB /tmp"
	--customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /tmp/$(basename "$DEB")"
	--customize-hook="rm -f \"\$1\"/tmp/*.deb")
sources_list | mmdebstrap --quiet --arch="$ARCH" --variant=minbase --include="$includes" \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-include=/usr/share/doc/tillbox/*' \
	"${hooks[@]}" "$SUITE" "$TARGET" -

# What was installed, checked against (or written to) the lock.
installed=$(chroot "$TARGET" dpkg-query -W -f '${Package}:${Architecture} ${Version}\n' |
	sed "s/:$ARCH / /; s/:all / /" | grep -v '^tillbox ' | LC_ALL=C sort)
if [ -n "$LOCK" ]; then
	if [ -n "${LOCK_UPDATE:-}" ]; then
		{ echo "# Debian packages of the $PROFILE root filesystem ($ARCH, $SUITE), from $DEBIAN_MIRROR."
		  echo "# Written by LOCK_UPDATE=1 image_build/rootfs.sh on $(date -u +%F); do not edit."
		  echo "$installed"; } > "$LOCK"
		echo "wrote $LOCK ($(echo "$installed" | wc -l) packages)"
	elif ! diff -u <(grep -v '^#' "$LOCK") <(echo "$installed") >&2; then
		die "the root filesystem differs from $LOCK (above)"
	fi
fi
echo "$TARGET"
