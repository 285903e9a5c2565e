#!/usr/bin/env bash
# One run, three paths between two network namespaces joined by a veth pair (198.18.100.0/24):
#   (a) the raw veth, (b) wireguard-go, (c) hipnat (ESP AES-128-GCM over UDP, hip0 TUN devices).
# For each: iperf3 single TCP stream (10 s), UDP at 1200-byte datagrams (packets/s), and ping RTT.
# Needs root; installs iperf3, wireguard-go, wireguard-tools and iputils-ping if missing.
# Usage: sudo bash bench/tunnel-throughput.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
need=()
for c in iperf3:iperf3 wireguard-go:wireguard-go wg:wireguard-tools ping:iputils-ping; do
  command -v "${c%%:*}" >/dev/null 2>&1 || need+=("${c##*:}")
done
if [ ${#need[@]} -gt 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi
dotnet build src/Hipnat.Cli -c Release -nologo -v q >/dev/null
hipnat="dotnet $PWD/src/Hipnat.Cli/bin/Release/net10.0/hipnat.dll"

A=hb-a-$$; B=hb-b-$$; work=$(mktemp -d /tmp/hipnat-bench.XXXXXX)
cleanup() {
  for ns in "$A" "$B"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns delete "$ns" 2>/dev/null || true; done
  rm -rf "$work"; rm -f /var/run/wireguard/hbwg$$?.sock
}
trap cleanup EXIT INT TERM
ip netns add "$A"; ip netns add "$B"
ip -n "$A" link add veth0 type veth peer name veth1 netns "$B"
ip -n "$A" addr add 198.18.100.1/24 dev veth0; ip -n "$B" addr add 198.18.100.2/24 dev veth1
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set veth0 up; ip -n "$B" link set veth1 up

measure() { # name dst-address
  local name=$1 dst=$2
  ip netns exec "$B" iperf3 -s -D -1 -p 5201 >/dev/null; sleep 0.3
  local tcp; tcp=$(ip netns exec "$A" iperf3 -c "$dst" -p 5201 -t "$secs" -J | sed -n 's/.*"bits_per_second":[[:space:]]*\([0-9.e+]*\).*/\1/p' | tail -1)
  ip netns exec "$B" iperf3 -s -D -1 -p 5202 >/dev/null; sleep 0.3
  # UDP: packets the receiver got (sent minus lost, from the server's report in the client's JSON).
  local json; json=$(ip netns exec "$A" iperf3 -c "$dst" -p 5202 -u -b 0 -l 1200 -t "$secs" -J)
  local sent; sent=$(echo "$json" | grep -o '"packets":[[:space:]]*[0-9]*' | tail -1 | grep -o '[0-9]*$')
  local lost; lost=$(echo "$json" | grep -o '"lost_packets":[[:space:]]*[0-9]*' | tail -1 | grep -o '[0-9]*$')
  local udp=$(( sent - ${lost:-0} ))
  local rtt; rtt=$(ip netns exec "$A" ping -c 20 -i 0.05 -q "$dst" | sed -n 's#.*= [0-9.]*/\([0-9.]*\)/.*#\1#p')
  printf '%-14s TCP %8.0f Mbit/s   UDP 1200 B %9.0f packets/s received (%s sent)   RTT %6s ms\n' "$name" "$(echo "$tcp" | awk '{print $1/1e6}')" "$(echo "$udp $secs" | awk '{print $1/$2}')" "$sent" "$rtt"
  echo "${name// /-} $(echo "$tcp" | awk '{print $1/1e6}') $(echo "$udp $secs" | awk '{print $1/$2}') $rtt" >> "$work/results"
}

echo "== $(date -u +%FT%TZ)  $(nproc) cores  load $(cut -d' ' -f1-3 /proc/loadavg)  ${secs} s per test"
measure "raw veth" 198.18.100.2

# (b) wireguard-go: userspace WireGuard on TUN devices in both namespaces.
ka=$(wg genkey); kb=$(wg genkey); pa=$(echo "$ka" | wg pubkey); pb=$(echo "$kb" | wg pubkey)
for side in a b; do
  # Distinct interface names: wireguard-go's control sockets live in /var/run/wireguard, shared by namespaces.
  ns=$A; key=$ka; peer=$pb; ep=198.18.100.2; me=198.19.200.1; port=51820; dev=hbwg$$a
  [ $side = b ] && { ns=$B; key=$kb; peer=$pa; ep=198.18.100.1; me=198.19.200.2; dev=hbwg$$b; }
  ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go "$dev" >/dev/null 2>&1 &
  for _ in $(seq 50); do ip -n "$ns" link show "$dev" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "$key" > "$work/$side.key"
  ip netns exec "$ns" wg set "$dev" listen-port $port private-key "$work/$side.key" peer "$peer" allowed-ips 198.19.200.0/24 endpoint "$ep:$port"
  ip -n "$ns" addr add "$me/24" dev "$dev"; ip -n "$ns" link set "$dev" up
done
measure "wireguard-go" 198.19.200.2

# (c) hipnat: ESP (AES-128-GCM, suite 13) over UDP between HITs on hip0.
hit_a=$($hipnat keygen --out "$work/a.pem"); hit_b=$($hipnat keygen --out "$work/b.pem")
ip netns exec "$A" $hipnat run --key "$work/a.pem" --listen 198.18.100.1:10500 --peer "$hit_b=198.18.100.2:10500" --control "$work/a.sock" >"$work/a.log" 2>&1 &
ip netns exec "$B" $hipnat run --key "$work/b.pem" --listen 198.18.100.2:10500 --peer "$hit_a=198.18.100.1:10500" --control "$work/b.sock" >"$work/b.log" 2>&1 &
for s in a b; do for _ in $(seq 100); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done; done
ip netns exec "$A" $hipnat connect "$hit_b" --control "$work/a.sock" >/dev/null
if ip -n "$A" link show hip0 >/dev/null 2>&1; then
  measure "hipnat" "$hit_b"
else
  echo "hipnat         (no hip0 TUN device: the daemon's data plane is not available)"; cat "$work/a.log" | tail -5
fi

echo "== ratios"
awk '/^raw-veth/{r=$2} /^wireguard-go/{wg=$2; wgu=$3} /^hipnat/{h=$2; hu=$3}
     END{ if (wg && h) printf "hipnat / wireguard-go      TCP %.2fx   UDP packets/s %.2fx   (hipnat / raw veth TCP %.3f)\n", h/wg, hu/wgu, h/r }' "$work/results"
awk '/^raw-veth/{r=$4} /^hipnat/{h=$4} END{ if (h) printf "latency added by hipnat    %.3f ms per round trip (ping %s ms vs %s ms on the raw veth)\n", h-r, h, r }' "$work/results"
