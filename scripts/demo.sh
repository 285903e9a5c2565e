#!/usr/bin/env bash
# hipnat demo: a relay on a public network and two hosts behind NATs, each in its own network namespace running
# the real hipnat daemon. bob registers with the relay, alice reaches bob through it, the association moves to the
# direct path; the HIP packets captured on every segment are printed as a time line, then a summary.
# Usage: sudo bash scripts/demo.sh [--nat eim|full-cone|restricted-cone|symmetric [--nat KIND]] [--keep]
# (builds first; installs tshark, iproute2 and iptables when missing; needs root for the namespaces)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: the lab creates network namespaces and NATs, which needs root: sudo bash scripts/demo.sh" >&2
  exit 1
fi

# sudo's secure_path often lacks a user-installed SDK.
if ! command -v dotnet >/dev/null 2>&1; then
  for d in "${DOTNET_ROOT:-}" /usr/share/dotnet /usr/lib/dotnet /usr/local/share/dotnet /root/.dotnet \
           "$(getent passwd "${SUDO_USER:-root}" | cut -d: -f6)/.dotnet"; do
    if [ -n "$d" ] && [ -x "$d/dotnet" ]; then export PATH="$d:$PATH" DOTNET_ROOT="$d"; break; fi
  done
fi
command -v dotnet >/dev/null 2>&1 || { echo "demo.sh: the .NET 10 SDK (dotnet) is not installed or not on PATH" >&2; exit 1; }

bash scripts/install-deps.sh
echo "building hipnat (Release)..."
dotnet build src/Hipnat.Cli -c Release -nologo -v q >/dev/null || dotnet build src/Hipnat.Cli -c Release -nologo -v q
exec dotnet src/Hipnat.Cli/bin/Release/net10.0/hipnat.dll lab demo "$@"
