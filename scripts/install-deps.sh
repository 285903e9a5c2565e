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
command -v curl >/dev/null 2>&1 || need+=(curl)           # the names lab test fetches a page by name over hip0
[ -x /usr/sbin/knotd ] || need+=(knot)                      # the names lab test serves HIP records (RFC 8005) with Knot DNS
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install-deps: need root to install: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  # Packages must not start their services here (knot would start a system DNS server): a policy-rc.d that denies
  # every start, for the length of the install only, and only if the machine has none of its own.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  trap '[ "$own_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d || true' EXIT
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ "$own_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  own_policy=0
fi
# The lab starts its own knotd in a namespace; the system's knot service stays off where systemd runs (not in containers).
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && systemctl list-unit-files knot.service >/dev/null 2>&1; then
  systemctl disable --now knot.service >/dev/null 2>&1 || true
fi
