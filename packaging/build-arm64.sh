#!/usr/bin/env bash
# Cross-compiles the release binary for arm64 (Raspberry Pi 4/5, ARM mini-PCs) and packages it
# as dukan_<version>_arm64.deb and a tarball in OUT_DIR (default target/packages).
# Needs: rustup target add aarch64-unknown-linux-gnu; apt-get install gcc-aarch64-linux-gnu
# libc6-dev-arm64-cross (the linker is set in .cargo/config.toml; the C parts of dependencies —
# mimalloc, aws-lc — are compiled with the cross gcc set below).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${1:-$repo/target/packages}
target=aarch64-unknown-linux-gnu

export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc

cd "$repo"
cargo build --release --locked --target "$target" --bin dukan
bin="${CARGO_TARGET_DIR:-$repo/target}/$target/release/dukan"
aarch64-linux-gnu-strip "$bin" 2>/dev/null || true
ls -l "$bin"
"$here/build-deb.sh" "$bin" arm64 "$out"
"$here/build-tarball.sh" "$bin" arm64 "$out"
