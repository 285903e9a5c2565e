#!/usr/bin/env bash
# hipnat demo: two daemons on loopback complete a HIP base exchange driven only by the CLI.
# Usage: bash scripts/demo.sh      (builds first; needs only the .NET SDK)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Hipnat.Cli -c Release -nologo -v q >/dev/null
hipnat() { dotnet src/Hipnat.Cli/bin/Release/net10.0/hipnat.dll "$@"; }
dir=$(mktemp -d /tmp/hipnat-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM

echo "== identities"
hit_a=$(hipnat keygen --out "$dir/alice.pem" --algorithm ecdsa-p256)
hit_b=$(hipnat keygen --out "$dir/bob.pem" --algorithm ecdsa-p384)
echo "alice  $hit_a  (ECDSA P-256)"
echo "bob    $hit_b  (ECDSA P-384)"

echo "== daemons on 127.0.0.1:11500 (alice) and 127.0.0.1:11501 (bob)"
hipnat run --key "$dir/alice.pem" --listen 127.0.0.1:11500 --peer "$hit_b=127.0.0.1:11501" --control "$dir/alice.sock" >"$dir/alice.log" 2>&1 &
pids+=($!)
hipnat run --key "$dir/bob.pem" --listen 127.0.0.1:11501 --peer "$hit_a=127.0.0.1:11500" --control "$dir/bob.sock" >"$dir/bob.log" 2>&1 &
pids+=($!)
for s in alice bob; do for _ in $(seq 50); do [ -S "$dir/$s.sock" ] && break; sleep 0.1; done; done

echo "== alice: hipnat connect $hit_b"
hipnat connect "$hit_b" --control "$dir/alice.sock"
sleep 2.2   # bob leaves R2-SENT after its hold time (RFC 7401 §4.4.3, Table 5)

echo "== alice: hipnat status"
hipnat status --control "$dir/alice.sock"
echo "== bob: hipnat status"
hipnat status --control "$dir/bob.sock"

echo "== alice: hipnat close $hit_b"
hipnat close "$hit_b" --control "$dir/alice.sock"
sleep 0.5
echo "== daemon logs"
sed 's/^/alice | /' "$dir/alice.log"
sed 's/^/bob   | /' "$dir/bob.log"
