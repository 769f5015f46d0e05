#!/usr/bin/env bash
# Smoke test of the arm64 binary under qemu-user (emulated, so slow): start it on a temp data
# dir, wait for the sign-in page, create a company with the CLI, sign in through the API, open
# a shift, receive stock and check out once, stop it. Exits non-zero on any failure; prints the
# binary's size and its idle RSS under qemu.
#   packaging/arm64-smoke.sh [BINARY]   (default target/aarch64-unknown-linux-gnu/release/dukan)
# Needs: apt-get install qemu-user libc6-dev-arm64-cross (the arm64 loader and libc under
# /usr/aarch64-linux-gnu), curl.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bin=${1:-$repo/target/aarch64-unknown-linux-gnu/release/dukan}
# The emulator; QEMU="" runs the binary natively (to check this script with an amd64 build).
read -r -a qemu <<<"${QEMU-qemu-aarch64 -L /usr/aarch64-linux-gnu}"
run() { "${qemu[@]}" "$bin" "$@"; }
data=$(mktemp -d)
log="$data/server.log"
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$data"; }
trap cleanup EXIT
fail() { echo "arm64 smoke: FAILED: $*" >&2; [ -f "$log" ] && tail -n 20 "$log" >&2; exit 1; }

if [ ${#qemu[@]} -gt 0 ]; then
    file "$bin" | grep -q 'ARM aarch64' || fail "$bin is not an arm64 executable"
fi
echo "arm64 binary: $(stat -c %s "$bin") bytes"
export DUKAN_ARGON2_M_KIB=1024 DUKAN_BACKUP_DAILY_AT="" DUKAN_LOG=warn
run company create --data "$data" --name "Смоук" --country KG --owner-email smoke@dukan.kg \
    --owner-password smoke-password-1 --owner-name "Смоук" >/dev/null || fail "company create"
port=$((20000 + RANDOM % 20000))
# Started directly, not through run(): $! must be the server (or qemu running it), not a subshell.
"${qemu[@]}" "$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$base/login" 2>/dev/null; then break; fi
    kill -0 "$pid" 2>/dev/null || fail "the server exited"
    sleep 0.2
done
curl -fsS -o /dev/null "$base/login" || fail "no sign-in page"
sleep 2
rss=$(ps -o rss= -p "$pid" | tr -d ' ')
echo "idle RSS under qemu-aarch64 (emulated): ${rss} KiB"

api() { # METHOD PATH [JSON]
    local args=(-fsS -X "$1" -H "Content-Type: application/json" "$base$2")
    [ -n "${token:-}" ] && args+=(-H "Authorization: Bearer $token")
    [ $# -ge 3 ] && args+=(--data "$3")
    curl "${args[@]}" || fail "$1 $2"
}
field() { grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }
token=""
token=$(api POST /api/v1/auth/login '{"email":"smoke@dukan.kg","password":"smoke-password-1"}' | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "sign in"
warehouse=$(api POST /api/v1/warehouses '{"name":"Склад"}' | field id)
product=$(api POST /api/v1/products '{"name":"Хлеб","purchase_price":"20","price":"30"}' | field id)
api POST /api/v1/documents "{\"kind\":\"receipt\",\"warehouse\":$warehouse,\"lines\":[{\"product\":$product,\"qty\":\"5\",\"cost\":\"20\"}],\"post\":true}" >/dev/null
box=$(api POST /api/v1/cash-boxes "{\"name\":\"Касса\",\"warehouse\":$warehouse}" | field id)
api POST /api/v1/shifts "{\"cash_box\":$box,\"opening_cash\":\"100\"}" >/dev/null
sale=$(api POST /api/v1/sales "{\"idempotency_key\":\"smoke-1\",\"cash_box\":$box,\"lines\":[{\"product\":$product,\"qty\":\"1\"}],\"payments\":[{\"method\":\"cash\",\"amount\":\"30\"}]}")
echo "$sale" | grep -q '"total":"30' || fail "checkout: $sale"
kill -TERM "$pid"
wait "$pid" || fail "the server did not stop cleanly"
pid=""
run check --data "$data" >/dev/null || fail "dukan check after the checkout"
echo "arm64 smoke: OK (start, sign in, one checkout, stop, check)"
