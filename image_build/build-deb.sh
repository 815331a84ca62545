#!/usr/bin/env bash
# `make deb`: build tillbox_<version>_<arch>.deb (docs/packaging.md).
#
# The venv is built inside a Debian build root of the target architecture (cached under
# var/build/; arm64 runs under qemu-user), at its final path /opt/tillbox/venv, because a venv
# is not relocatable. Python inputs come only from the hash-pinned lock files.
#
# Environment: ARCH (default: this machine's), VERSION (a PEP 440 version; default:
# appliance.__version__),
# OUT (default: var/build), BUILDROOT (default: $OUT/buildroot-$ARCH, reused while its
# package list is unchanged), SUITE, DEBIAN_MIRROR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=lib.sh
. "$here/lib.sh"

ARCH=${ARCH:-$(dpkg --print-architecture)}
OUT=${OUT:-$root/var/build}
VERSION=${VERSION:-$(version_of_tree "$root")}
# The Python (PEP 440) version as Debian sorts it: a pre-release comes before the release.
DEB_VERSION=$(deb_version "$VERSION")
need_root "make deb"
need_tools mmdebstrap dpkg-deb systemd-nspawn git
enable_foreign "$ARCH"
mkdir -p "$OUT"

# 1. The build root: Debian's Python plus a compiler for evdev, cached by what it contains.
buildroot=${BUILDROOT:-$OUT/buildroot-$ARCH}
tools="python3,python3-venv,python3-dev,gcc,libc6-dev,linux-libc-dev,binutils,ca-certificates"
key=$(printf '%s\n' "$SUITE" "$tools" "$(sources_list)" | sha256sum | cut -c1-16)
if [ ! -e "$buildroot/.tillbox-buildroot-$key" ]; then
	echo "building the $ARCH build root ($SUITE)"
	rm -rf "$buildroot"
	mkdir -p "$(dirname "$buildroot")"
	sources_list | mmdebstrap --quiet --arch="$ARCH" --variant=apt --include="$tools" \
		"$SUITE" "$buildroot" -
	touch "$buildroot/.tillbox-buildroot-$key"
fi

# 2. The venv, from the working tree's tracked and new files (not ignored ones).
rm -rf "$buildroot/srv/src" "$buildroot/opt/tillbox"
mkdir -p "$buildroot/srv/src"
# Tracked and new files as they are in the tree; a tracked file deleted (not yet committed)
# is left out, not an error.
git -C "$root" ls-files -co --exclude-standard -z |
	while IFS= read -r -d '' f; do
		if [ -e "$root/$f" ] || [ -L "$root/$f" ]; then printf '%s\0' "$f"; fi
	done | tar -C "$root" --null -T - -cf - |
	tar -C "$buildroot/srv/src" -xf -
echo "$VERSION" > "$buildroot/srv/src/.version"
sed -i "s/^__version__ = .*/__version__ = \"$VERSION\"/" "$buildroot/srv/src/appliance/__init__.py"
ca=$(host_ca_bundle)
cp "$ca" "$buildroot/srv/build-ca.crt"
echo "building the venv for $ARCH"
systemd-nspawn --quiet --register=no --keep-unit --resolv-conf=copy-host -D "$buildroot" \
	--setenv=PIP_CERT=/srv/build-ca.crt --setenv=PIP_DISABLE_PIP_VERSION_CHECK=1 \
	--setenv=PIP_NO_CACHE_DIR=1 --setenv=PIP_DEFAULT_TIMEOUT=120 \
	/bin/sh -euc '
		python3.11 -m venv /opt/tillbox/venv
		pip=/opt/tillbox/venv/bin/pip
		$pip install --quiet --require-hashes --no-deps -r /srv/src/image_build/build-tools.lock
		$pip install --quiet --require-hashes --no-deps --no-build-isolation \
			-r /srv/src/image_build/requirements.lock
		$pip install --quiet --no-deps --no-build-isolation /srv/src
		$pip check
		find /opt/tillbox/venv -name __pycache__ -type d -prune -exec rm -rf {} +
		find /opt/tillbox/venv -type f -name "*.so*" -exec strip --strip-unneeded {} +
		/opt/tillbox/venv/bin/tillbox --version'

# 3. The package tree.
pkg=$OUT/pkg-$ARCH
rm -rf "$pkg"
install -d "$pkg/DEBIAN" "$pkg/opt" "$pkg/lib/systemd/system" "$pkg/usr/lib/sysusers.d" \
	"$pkg/usr/lib/tmpfiles.d" "$pkg/lib/udev/rules.d" "$pkg/etc/tillbox" "$pkg/usr/bin" \
	"$pkg/usr/share/doc/tillbox" "$pkg/usr/share/lintian/overrides"
cp -a "$buildroot/opt/tillbox" "$pkg/opt/"
# Tidy the venv the way Debian expects (docs/packaging.md explains what lintian still says):
venv=$pkg/opt/tillbox/venv
site=$venv/lib/python3.11/site-packages
find "$venv" -name __pycache__ -type d -prune -exec rm -rf {} +
# only the entry point and the interpreter in bin/ (the rest are other packages' tools and
# activate scripts nobody runs on a box; `python -m pip` still works for support);
find "$venv/bin" -mindepth 1 ! -name tillbox ! -name python ! -name python3 ! -name python3.11 \
	-exec rm -f {} +
sed -i '1s|^#!.*|#!/opt/tillbox/venv/bin/python3|' "$venv/bin/tillbox"
# library files are not programs (wheels ship some with the x bit);
find "$site" -type f -exec chmod 0644 {} +
# and a module's "#!" line means nothing (blanked, so tracebacks keep their line numbers);
grep -rlZ --include='*.py' '^#!' "$site" | xargs -0 -r sed -i '1s/^#!.*$//'
# python-barcode leaves its test output folder as a top-level `tests` package;
rm -rf "$site/tests"
find "$site" -name .gitignore -delete
# one copy of the DejaVu font on the system (fonts-dejavu-core).
for f in "$site"/barcode/fonts/DejaVuSansMono.ttf; do
	[ -e "$f" ] && ln -sf /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf "$f"
done
units=()
enable=()
for f in "$root"/systemd/*.service "$root"/systemd/*.target "$root"/systemd/*.path "$root"/systemd/*.timer; do
	[ -e "$f" ] || continue
	install -m 0644 "$f" "$pkg/lib/systemd/system/"
	units+=("$(basename "$f")")
	grep -q '^\[Install\]' "$f" && enable+=("$(basename "$f")")
done
install -m 0644 "$root/systemd/sysusers.d/tillbox.conf" "$pkg/usr/lib/sysusers.d/"
install -m 0644 "$root/systemd/tmpfiles.d/tillbox.conf" "$pkg/usr/lib/tmpfiles.d/"
install -D -m 0644 "$root/systemd/modules-load.d/tillbox.conf" "$pkg/usr/lib/modules-load.d/tillbox.conf"
install -m 0644 "$root/systemd/udev/60-tillbox.rules" "$pkg/lib/udev/rules.d/"
install -m 0644 "$root/systemd/udev/61-tillbox-usb-backup.rules" "$pkg/lib/udev/rules.d/"
install -m 0644 "$here/deb/tillbox.toml" "$pkg/etc/tillbox/tillbox.toml"
ln -s /opt/tillbox/venv/bin/tillbox "$pkg/usr/bin/tillbox"
install -d "$pkg/usr/share/man/man1"
gzip -9n < "$here/deb/tillbox.1" > "$pkg/usr/share/man/man1/tillbox.1.gz"
install -m 0644 "$here/deb/copyright" "$pkg/usr/share/doc/tillbox/copyright"
commit=$(git -C "$root" rev-parse --short=12 HEAD)
{
	printf 'tillbox (%s) %s; urgency=medium\n\n' "$DEB_VERSION" "$SUITE"
	printf '  * Built from commit %s%s; changes: git log.\n\n' "$commit" \
		"$(git -C "$root" diff --quiet HEAD && echo "" || echo " with local changes")"
	printf ' -- Tillbox team <dev@tillbox.invalid>  %s\n' \
		"$(date -R -d "@$(git -C "$root" log -1 --format=%ct)")"
} | gzip -9n > "$pkg/usr/share/doc/tillbox/changelog.gz"
install -m 0644 "$here/deb/lintian-overrides" "$pkg/usr/share/lintian/overrides/tillbox"
for script in postinst prerm postrm; do
	sed -e "s|@UNITS@|${units[*]}|" -e "s|@ENABLE@|${enable[*]}|" "$here/deb/$script" \
		> "$pkg/DEBIAN/$script"
	chmod 0755 "$pkg/DEBIAN/$script"
done
echo /etc/tillbox/tillbox.toml > "$pkg/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$DEB_VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$size/" \
	"$here/deb/control" > "$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum > DEBIAN/md5sums)

deb=$OUT/tillbox_${DEB_VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
