#!/usr/bin/env bash
# Installs the Debian packages hipnat's tests and lab use. Safe to run repeatedly.
set -euo pipefail
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)   # lab tests ping LSIs with -M dont (fragments)
command -v sysctl >/dev/null 2>&1 || need+=(procps)
command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)     # the multihoming lab test measures throughput over hip0
command -v tc >/dev/null 2>&1 || need+=(iproute2)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)   # the service test checks the unit file
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install-deps: need root to install: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
