#!/usr/bin/env bash
# Builds dukan_<version>_<arch>.deb around an already built binary with dpkg-deb (Debian's own
# tool): the binary in /usr/bin, the systemd unit, the udev rules, the sample configuration as a
# conffile, and the maintainer scripts of packaging/deb/.
#   packaging/build-deb.sh BINARY ARCH OUT_DIR      (ARCH: amd64 | arm64)
# Prints the path of the .deb it wrote.
set -euo pipefail

bin=${1:?usage: build-deb.sh BINARY ARCH OUT_DIR}
arch=${2:?usage: build-deb.sh BINARY ARCH OUT_DIR}
out=${3:?usage: build-deb.sh BINARY ARCH OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n 1)
case "$arch" in amd64|arm64) ;; *) echo "unknown architecture $arch (amd64 or arm64)" >&2; exit 2 ;; esac

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
umask 022
install -D -m 0755 "$bin" "$stage/usr/bin/dukan"
install -D -m 0644 "$here/dukan.service" "$stage/lib/systemd/system/dukan.service"
install -D -m 0644 "$here/60-dukan.rules" "$stage/lib/udev/rules.d/60-dukan.rules"
install -D -m 0644 "$here/dukan.toml" "$stage/etc/dukan/dukan.toml"
install -D -m 0644 "$here/README.dist" "$stage/usr/share/doc/dukan/README"
printf 'Dukan %s\nLicense: AGPL-3.0-or-later\n' "$version" > "$stage/usr/share/doc/dukan/copyright"
chmod 0644 "$stage/usr/share/doc/dukan/copyright"
install -d -m 0755 "$stage/DEBIAN"
for s in postinst prerm postrm; do
    install -m 0755 "$here/deb/$s" "$stage/DEBIAN/$s"
done
echo /etc/dukan/dukan.toml > "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: dukan
Version: $version
Architecture: $arch
Maintainer: Dukan <dukan@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.34), passwd
Section: net
Priority: optional
Homepage: https://localhost/dukan
Description: one-binary business appliance: POS, stock, CRM, telecom
 Dukan runs a small business from one executable and one data file: point of
 sale with shifts, stock documents with FIFO cost, debts, purchases, field
 agents, a telecom desk, CRM and a WhatsApp inbox, for many companies on one
 box. Phones, tablets and tills on the shop's network open it in a browser.
 This package runs it as the dukan system service (data in /var/lib/dukan).
CONTROL
deb="$out/dukan_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$stage" "$deb" >/dev/null
echo "$deb"
