#!/usr/bin/env bash
# Builds dukan-<version>-linux-<arch>.tar.gz for distributions without dpkg: the binary, the
# sample configuration, the systemd unit, the udev rules and README.dist (how to install them).
#   packaging/build-tarball.sh BINARY ARCH OUT_DIR      (ARCH: amd64 | arm64)
# Prints the path of the tarball it wrote.
set -euo pipefail

bin=${1:?usage: build-tarball.sh BINARY ARCH OUT_DIR}
arch=${2:?usage: build-tarball.sh BINARY ARCH OUT_DIR}
out=${3:?usage: build-tarball.sh BINARY ARCH OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$(dirname "$here")/Cargo.toml" | head -n 1)
name="dukan-$version-linux-$arch"

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
umask 022
install -D -m 0755 "$bin" "$stage/$name/dukan"
install -m 0644 "$here/dukan.toml" "$here/dukan.service" "$here/60-dukan.rules" "$stage/$name/"
install -m 0644 "$here/README.dist" "$stage/$name/README"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
echo "$out/$name.tar.gz"
