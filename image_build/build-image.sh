#!/usr/bin/env bash
# `make image`: the Raspberry Pi SD-card image (arm64, Debian bookworm), docs/image.md.
#
#   1. the arm64 package (build-deb.sh under qemu-user);
#   2. the root file system (rootfs.sh, profile `image`): every Debian package at the version
#      image_build/debian-image-arm64.lock names, Debian's arm64 kernel and raspi-firmware;
#   3. the SD-card settings (fstab, journald caps, network, first-boot growth of the root);
#   4. the disk: an MBR with a FAT boot partition (the Pi's firmware reads it) and an ext4 root,
#      each made from its directory without mounting anything (mkfs.ext4 -d, mtools), xz'd.
#
# Environment: OUT (var/build), IMAGE_SIZE_MB (the root partition; default: fits the files
# plus 512 MiB, the first boot grows it to the card), LOCK_UPDATE=1 (rewrite the lock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=lib.sh
. "$here/lib.sh"

ARCH=arm64
OUT=${OUT:-$root/var/build}
VERSION=${VERSION:-$(version_of_tree "$root")}
LOCK=${LOCK:-$here/debian-image-arm64.lock}
need_root "make image"
need_tools mmdebstrap mkfs.ext4 mkfs.vfat mcopy sfdisk xz git
mkdir -p "$OUT"
work=$OUT/image-$ARCH
rootfs=$work/rootfs
rm -rf "$work"
mkdir -p "$work"

deb=$(ARCH=$ARCH OUT=$OUT VERSION=$VERSION bash "$here/build-deb.sh" | tail -n 1)
LOCK=$LOCK bash "$here/rootfs.sh" "$ARCH" "$deb" "$rootfs" image

# -- SD-card settings -----------------------------------------------------------------------
install -d "$rootfs/boot/firmware" "$rootfs/etc/systemd/journald.conf.d" \
	"$rootfs/etc/systemd/network" "$rootfs/etc/systemd/system"
cat > "$rootfs/etc/fstab" <<'EOF'
# noatime and a 60 s commit interval: fewer writes to the SD card. The ledger does not depend
# on the commit interval: SQLite fsyncs every sale (synchronous=FULL).
LABEL=TILLBOX_ROOT  /              ext4  noatime,commit=60,errors=remount-ro  0 1
LABEL=RASPIFIRM     /boot/firmware vfat  noatime,umask=0077,nofail            0 2
tmpfs               /tmp           tmpfs nosuid,nodev,size=64M               0 0
EOF
cat > "$rootfs/etc/systemd/journald.conf.d/50-tillbox-sdcard.conf" <<'EOF'
# Logs survive a reboot for support, but are capped and written in batches: the SD card
# wears with every write. Sales never depend on the journal (the ledger is fsynced).
[Journal]
Storage=persistent
SystemMaxUse=64M
SystemMaxFileSize=8M
SyncIntervalSec=5m
EOF
cat > "$rootfs/etc/systemd/network/50-wired.network" <<'EOF'
[Match]
Name=e* en*

[Network]
DHCP=yes
MulticastDNS=no
EOF
cat > "$rootfs/etc/systemd/system/tillbox-growroot.service" <<'EOF'
[Unit]
Description=Grow the root partition to fill the SD card (first boot)
ConditionPathExists=!/var/lib/tillbox-growroot.done
DefaultDependencies=no
After=local-fs.target
Before=tillbox-firstboot.service tillbox-core.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'dev=$(findmnt -n -o SOURCE /); disk=/dev/$(lsblk -n -o PKNAME "$dev"); part=$(cat /sys/class/block/$(basename "$dev")/partition); growpart "$disk" "$part" || [ $? -eq 1 ]; resize2fs "$dev"; touch /var/lib/tillbox-growroot.done'

[Install]
WantedBy=multi-user.target
EOF
chroot "$rootfs" systemctl enable systemd-networkd.service systemd-resolved.service \
	systemd-timesyncd.service tillbox-growroot.service >/dev/null
echo tillbox > "$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttillbox\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
	> "$rootfs/etc/hosts"
# A fresh machine id on the first boot (each box its own), never the builder's.
echo uninitialized > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
sources_list > "$rootfs/etc/apt/sources.list"
passwd --root "$rootfs" --lock root >/dev/null

# Where this image came from.
commit=$(git -C "$root" rev-parse HEAD)
dirty=$(git -C "$root" diff --quiet HEAD && echo no || echo yes)
cat > "$rootfs/etc/tillbox-build" <<EOF
version=$VERSION
commit=$commit
local_changes=$dirty
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
suite=$SUITE
mirror=$DEBIAN_MIRROR
package_sha256=$(sha256sum "$deb" | cut -d' ' -f1)
debian_lock_sha256=$(sha256sum "$LOCK" | cut -d' ' -f1)
python_lock_sha256=$(sha256sum "$here/requirements.lock" | cut -d' ' -f1)
EOF

# The Pi's boot files: raspi-firmware's hooks put the firmware, kernel, initrd, device trees,
# config.txt and cmdline.txt into /boot/firmware (ROOTPART set before it was installed).
grep -q 'root=LABEL=TILLBOX_ROOT' "$rootfs/boot/firmware/cmdline.txt" ||
	die "raspi-firmware did not write cmdline.txt with root=LABEL=TILLBOX_ROOT"

# -- the disk --------------------------------------------------------------------------------
boot_mb=256
used_mb=$(du -sm --exclude=./boot/firmware "$rootfs" | cut -f1)
root_mb=${IMAGE_SIZE_MB:-$((used_mb * 115 / 100 + 512))}
img=$work/tillbox-$VERSION-$ARCH.img
truncate -s $(( (4 + boot_mb + root_mb) * 1024 * 1024 )) "$img"
sfdisk --quiet "$img" <<EOF
label: dos
start=4MiB, size=${boot_mb}MiB, type=c, bootable
start=$((4 + boot_mb))MiB, type=83
EOF
mkfs.vfat -n RASPIFIRM -F 32 -C "$work/boot.part" $((boot_mb * 1024)) >/dev/null
mcopy -s -i "$work/boot.part" "$rootfs/boot/firmware/"* ::/
mv "$rootfs/boot/firmware" "$work/firmware.files"
mkdir "$rootfs/boot/firmware"
mkfs.ext4 -q -L TILLBOX_ROOT -d "$rootfs" "$work/root.part" "${root_mb}M"
mv "$work/firmware.files"/* "$rootfs/boot/firmware/" 2>/dev/null || true
rmdir "$work/firmware.files"
dd if="$work/boot.part" of="$img" bs=1M seek=4 conv=notrunc,sparse status=none
dd if="$work/root.part" of="$img" bs=1M seek=$((4 + boot_mb)) conv=notrunc,sparse status=none
rm -f "$work/boot.part" "$work/root.part"
xz -T0 -6 -f "$img"
(cd "$work" && sha256sum "$(basename "$img").xz" > "$(basename "$img").xz.sha256")
echo "$img.xz"
