#!/usr/bin/env bash
# One run, up to eight paths between two network namespaces joined by a veth pair (198.18.100.0/24):
#   (a) the raw veth, (b) wireguard-go, (c) hipnat with TUN offloads off ("tun": {"offload": false}),
#   (d) hipnat with TUN offloads on (the default: TSO/GRO through IFF_VNET_HDR; ESP AES-128-GCM over UDP, hip0),
#   (e, only when BENCH_PATHS names it: hipnat-mq) as (d) with one TUN queue per core ("tun": { "queues": N }),
#   (f, only when BENCH_PATHS names it: hipnat-raw) as (d) over raw HIP: ESP as IP protocol 50 (--raw, hip://ADDR),
#   (g, only when BENCH_PATHS names it: hipnat-before) as (d) with another build of hipnat, BENCH_BEFORE=PATH/hipnat.dll
#   (e.g. `git worktree add /tmp/before HEAD~1 && dotnet build /tmp/before/src/Hipnat.Cli -c Release`), so that a
#   change is measured against the build before it in the same invocation,
#   (h, only when BENCH_PATHS names it: hipnat-pinned) as (d) with each daemon pinned to a core of its own
#   (taskset -a: all threads of A on CPU 0, of B on CPU 1).
# For each: iperf3 single TCP stream, 4 TCP streams (-P 4), UDP at 1200-byte datagrams (packets/s received),
# ping RTT (50 pings), and for the userspace tunnels the CPU time both daemons used per GB of the single stream
# (utime + stime from /proc/PID/stat).
# Needs root; installs iperf3, wireguard-go, wireguard-tools, iputils-ping and jq if missing.
# Usage: sudo bash bench/tunnel-throughput.sh [SECONDS]   (BENCH_PATHS="raw wg hipnat-off hipnat-on hipnat-mq hipnat-raw hipnat-before hipnat-pinned"
# selects; they run in the order of this script)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
paths=${BENCH_PATHS:-raw wg hipnat-off hipnat-on}
need=()
for c in iperf3:iperf3 wireguard-go:wireguard-go wg:wireguard-tools ping:iputils-ping jq:jq; do
  command -v "${c%%:*}" >/dev/null 2>&1 || need+=("${c##*:}")
done
if [ ${#need[@]} -gt 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi
dotnet build src/Hipnat.Cli -c Release -nologo -v q >/dev/null
hipnat="dotnet $PWD/src/Hipnat.Cli/bin/Release/net10.0/hipnat.dll"
tck=$(getconf CLK_TCK)

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

cpu_ticks() { # PIDs -> utime + stime summed, in clock ticks
  local t=0 p
  for p in "$@"; do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done
  echo "$t"
}

thread_ticks() { # PIDs -> "pid/thread-name ticks" per thread (utime + stime)
  local p t
  for p in "$@"; do for t in /proc/"$p"/task/*; do
    # Fields after the ")" that ends the name (a thread's name may hold spaces): utime and stime are the 12th and 13th.
    awk -v p="$p" -v n="$(tr ' ' '_' < "$t/comm" 2>/dev/null)" '{sub(/^.*\) /, ""); print p "/" n, $12 + $13}' "$t/stat" 2>/dev/null || true
  done; done
}

machine_ticks() { # all CPUs' ticks, and those idle, in iowait or spent on niced work (e.g. a fuzzer at nice 19), from /proc/stat
  awk '/^cpu /{t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $3 + $5 + $6}' /proc/stat
}

drops() { # namespace -> name=count pairs: UDP receive buffer errors, tx/rx drops of every device but lo
  ip netns exec "$1" sh -c 'printf "udp-rcvbuf=%s" "$(awk "/^Udp:/{if (h) print \$6; h=1}" /proc/net/snmp)"
    for d in /sys/class/net/*; do n=${d##*/}; [ "$n" = lo ] && continue
      printf " %s-tx=%s %s-rx=%s" "$n" "$(cat $d/statistics/tx_dropped)" "$n" "$(cat $d/statistics/rx_dropped)"; done'
}

measure() { # name dst-address [daemon PIDs...]
  local name=$1 dst=$2; shift 2
  ip netns exec "$B" iperf3 -s -D -1 -p 5201 >/dev/null; sleep 0.3
  local ns d0=(); for ns in "$A" "$B"; do d0+=("$(drops "$ns")"); done
  local c0; c0=$(cpu_ticks "$@")
  local t0; t0=$(thread_ticks "$@")
  local m0; m0=$(machine_ticks)
  # Half-way through, the sender's view of the stream (RTT, congestion window, bytes in flight; ss -ti).
  ( sleep "$(awk -v s="$secs" 'BEGIN{print s / 2}')"
    echo "  TCP half-way: $(ip netns exec "$A" ss -tinH state established "( dport = :5201 )" | tr -s ' \t\n' ' ' | grep -oE '(rtt|cwnd|unacked|bytes_in_flight|pacing_rate|delivery_rate|busy|rwnd_limited|sndbuf_limited|cwnd_limited)[:( ][^ ]*' | tail -n +1 | tr '\n' ' ')" ) &
  local sampler=$!
  local json; json=$(ip netns exec "$A" iperf3 -c "$dst" -p 5201 -t "$secs" -J)
  wait "$sampler" 2>/dev/null || true
  local m1; m1=$(machine_ticks)
  local c1; c1=$(cpu_ticks "$@")
  local t1; t1=$(thread_ticks "$@")
  # Where the CPU went during the single stream, in % of one core: the whole machine (all cores, niced work not
  # counted), the daemons, and iperf3's own report of its sender and receiver (user + system).
  local busy; busy=$(awk -v a="$m0" -v b="$m1" -v n="$(nproc)" 'BEGIN{split(a, x); split(b, y); printf "%.0f", 100 * n * (1 - (y[2] - x[2]) / (y[1] - x[1]))}')
  local dcpu=-; [ $# -gt 0 ] && dcpu=$(awk -v t=$((c1 - c0)) -v k="$tck" -v s="$secs" 'BEGIN{printf "%.0f%%", 100 * t / k / s}')
  echo "  CPU during the single stream (100% = one core): machine ${busy}% of $(( $(nproc) * 100 ))%, daemons $dcpu, iperf3 sender $(echo "$json" | jq '.end.cpu_utilization_percent.host_total | round')%, receiver $(echo "$json" | jq '.end.cpu_utilization_percent.remote_total | round')%"
  if [ $# -gt 0 ]; then # the daemons' busiest threads (names repeat per daemon: the first PID is the sender's)
    echo "  busiest daemon threads (100% = one core): $(awk -v k="$tck" -v s="$secs" 'NR == FNR {a[$1] += $2; next} {a[$1] -= $2}
      END {for (t in a) if (-a[t] / k / s >= 0.03) printf "%s %.0f%%\n", t, -100 * a[t] / k / s}' <(echo "$t0") <(echo "$t1") | sort -k2 -t' ' -rn | head -8 | tr '\n' ' ')"
  fi
  # Where the single stream lost packets: UDP receive buffers (the tunnel's sockets) and the devices' queues.
  local i=0 d1
  for ns in "$A" "$B"; do
    d1=$(drops "$ns")
    echo "  ${ns%-*} drops during the single stream: $(paste -d' ' <(tr ' ' '\n' <<<"${d0[$i]}") <(tr ' ' '\n' <<<"$d1") | awk '{split($1, a, "="); split($2, b, "="); printf "%s %d  ", a[1], b[2] - a[2]}')"
    i=$((i + 1))
  done
  local tcp; tcp=$(echo "$json" | jq '.end.sum_received.bits_per_second / 1e6')
  local bytes; bytes=$(echo "$json" | jq '.end.sum_received.bytes')
  local retr; retr=$(echo "$json" | jq '.end.sum_sent.retransmits // 0')
  local cpu=-
  if [ $# -gt 0 ] && [ "$bytes" -gt 0 ]; then cpu=$(awk -v t=$((c1 - c0)) -v k="$tck" -v b="$bytes" 'BEGIN{printf "%.2f", t / k / (b / 1e9)}'); fi
  ip netns exec "$B" iperf3 -s -D -1 -p 5202 >/dev/null; sleep 0.3
  local tcp4; tcp4=$(ip netns exec "$A" iperf3 -c "$dst" -p 5202 -t "$secs" -P 4 -J | jq '.end.sum_received.bits_per_second / 1e6')
  ip netns exec "$B" iperf3 -s -D -1 -p 5203 >/dev/null; sleep 0.3
  # UDP: packets the receiver got (sent minus lost, from the server's report in the client's JSON).
  json=$(ip netns exec "$A" iperf3 -c "$dst" -p 5203 -u -b 0 -l 1200 -t "$secs" -J)
  local sent; sent=$(echo "$json" | jq '.end.sum.packets')
  local lost; lost=$(echo "$json" | jq '.end.sum.lost_packets')
  local udp; udp=$(awk -v s="$sent" -v l="$lost" -v t="$secs" 'BEGIN{printf "%.0f", (s - l) / t}')
  sleep 1 # let the UDP flood's queues drain before timing pings
  local rtt; rtt=$(ip netns exec "$A" ping -c 50 -i 0.02 -q "$dst" | sed -n 's#.*= [0-9.]*/\([0-9.]*\)/.*#\1#p')
  printf '%-12s TCP %7.0f Mbit/s (%s retransmits)  4 streams %7.0f Mbit/s  UDP 1200 B %7.0f /s received (%s sent)  RTT %6s ms  CPU %s s/GB\n' \
    "$name" "$tcp" "$retr" "$tcp4" "$udp" "$sent" "$rtt" "$cpu"
  echo "$name $tcp $tcp4 $udp $rtt $cpu" >> "$work/results"
}

echo "== $(date -u +%FT%TZ)  $(nproc) cores  load $(cut -d' ' -f1-3 /proc/loadavg)  ${secs} s per test  kernel $(uname -r)"
case " $paths " in *" raw "*) measure raw-veth 198.18.100.2 ;; esac

# (b) wireguard-go: userspace WireGuard on TUN devices in both namespaces.
case " $paths " in *" wg "*)
  ka=$(wg genkey); kb=$(wg genkey); pa=$(echo "$ka" | wg pubkey); pb=$(echo "$kb" | wg pubkey)
  wgpids=()
  for side in a b; do
    # Distinct interface names: wireguard-go's control sockets live in /var/run/wireguard, shared by namespaces.
    ns=$A; key=$ka; peer=$pb; ep=198.18.100.2; me=198.19.200.1; port=51820; dev=hbwg$$a
    [ $side = b ] && { ns=$B; key=$kb; peer=$pa; ep=198.18.100.1; me=198.19.200.2; dev=hbwg$$b; }
    ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go "$dev" >/dev/null 2>&1 &
    wgpids+=($!)
    for _ in $(seq 50); do ip -n "$ns" link show "$dev" >/dev/null 2>&1 && break; sleep 0.1; done
    echo "$key" > "$work/$side.key"
    ip netns exec "$ns" wg set "$dev" listen-port $port private-key "$work/$side.key" peer "$peer" allowed-ips 198.19.200.0/24 endpoint "$ep:$port"
    ip -n "$ns" addr add "$me/24" dev "$dev"; ip -n "$ns" link set "$dev" up
  done
  measure wireguard-go 198.19.200.2 "${wgpids[@]}"
  kill "${wgpids[@]}" 2>/dev/null || true; wait "${wgpids[@]}" 2>/dev/null || true
;; esac

# (c, d) hipnat: ESP (AES-128-GCM, suite 13) over UDP between HITs on hip0, offloads off and on.
hit_a=$($hipnat keygen --out "$work/a.pem"); hit_b=$($hipnat keygen --out "$work/b.pem")
run_hipnat() { # name offload(true|false) [queues] [udp|raw] [hipnat command] [pin]
  local name=$1 offload=$2 queues=${3:-1} transport=${4:-udp} hipnat=${5:-$hipnat} pin=${6:-}
  echo "{ \"tun\": { \"offload\": $offload, \"queues\": $queues } }" > "$work/tun.json"
  rm -f "$work/a.sock" "$work/b.sock"
  local la=198.18.100.1:10500 lb=198.18.100.2:10500 raw=()
  [ "$transport" = raw ] && { la=hip://198.18.100.1; lb=hip://198.18.100.2; raw=(--raw); }
  ip netns exec "$A" $hipnat run --key "$work/a.pem" --config "$work/tun.json" "${raw[@]}" --listen "$la" --peer "$hit_b=$lb" --control "$work/a.sock" >"$work/a.log" 2>&1 &
  local pa=$!
  ip netns exec "$B" $hipnat run --key "$work/b.pem" --config "$work/tun.json" "${raw[@]}" --listen "$lb" --peer "$hit_a=$la" --control "$work/b.sock" >"$work/b.log" 2>&1 &
  local pb=$!
  for s in a b; do for _ in $(seq 100); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done; done
  ip netns exec "$A" $hipnat connect "$hit_b" --control "$work/a.sock" >/dev/null
  if [ -n "$pin" ]; then taskset -a -p 1 "$pa" >/dev/null; taskset -a -p 2 "$pb" >/dev/null; fi
  if ip -n "$A" link show hip0 >/dev/null 2>&1; then
    grep -o '[0-9]* queue(s), offloads .*' "$work/a.log" | head -1 | sed "s/^/$name: /"
    measure "$name" "$hit_b" "$pa" "$pb"
    for s in a b; do
      ns=$A; [ $s = b ] && ns=$B
      echo "$name $s: data plane drops $(ip netns exec "$ns" $hipnat status --json --control "$work/$s.sock" | jq -c '.dataPlane.drops // {}')"
    done
  else
    echo "$name  (no hip0 TUN device: the daemon's data plane is not available)"; tail -5 "$work/a.log"
  fi
  kill "$pa" "$pb" 2>/dev/null || true; wait "$pa" "$pb" 2>/dev/null || true
  for _ in $(seq 50); do ip -n "$A" link show hip0 >/dev/null 2>&1 || break; sleep 0.1; done
}
case " $paths " in *" hipnat-off "*) run_hipnat hipnat-off false ;; esac
case " $paths " in *" hipnat-on "*) run_hipnat hipnat-on true ;; esac
case " $paths " in *" hipnat-mq "*) run_hipnat hipnat-mq true "$(nproc)" ;; esac
case " $paths " in *" hipnat-raw "*) run_hipnat hipnat-raw true 1 raw ;; esac
case " $paths " in *" hipnat-before "*)
  [ -f "${BENCH_BEFORE:-}" ] || { echo "hipnat-before: set BENCH_BEFORE to another build's hipnat.dll" >&2; exit 2; }
  run_hipnat hipnat-before true 1 udp "dotnet $BENCH_BEFORE" ;; esac
case " $paths " in *" hipnat-pinned "*) run_hipnat hipnat-pinned true 1 udp "$hipnat" pin ;; esac

echo "== ratios (load now $(cut -d' ' -f1-3 /proc/loadavg))"
awk '/^raw-veth/{r=$2; rr=$5} /^wireguard-go/{wg=$2; wg4=$3; wgu=$4}
     /^hipnat-/{n=$1; h[n]=$2; h4[n]=$3; hu[n]=$4; hr[n]=$5}
     END{ for (n in h) {
            if (wg) printf "%-12s / wireguard-go  TCP %.2fx  4 streams %.2fx  UDP packets/s %.2fx\n", n, h[n]/wg, h4[n]/wg4, hu[n]/wgu
            if (r)  printf "%-12s / raw veth      TCP %.3f   added latency %.3f ms per round trip\n", n, h[n]/r, hr[n]-rr } }' "$work/results"
