#!/usr/bin/env bash
# Regenerates docs/mobility-matrix.md: builds the benchmarks and runs the mobility matrix (every RFC 4787 mapping x
# filtering behaviour on both sides, plus no NAT, x four kinds of move, each cell with several seeds) in the
# deterministic simulator; then the same with ping-like traffic (one side sends, the other only answers) in each
# direction: docs/mobility-matrix-ping.md and docs/mobility-matrix-ping-from-b.md.
# Usage: scripts/mobility-matrix.sh [SEEDS]   (default 10 seeds per cell and move)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-10}"
dotnet build -c Release bench/Hipnat.Bench -nologo -v quiet
# Exit status 1 from the bench means some run did not recover; the report is written either way.
dotnet bench/Hipnat.Bench/bin/Release/net10.0/Hipnat.Bench.dll mobility-matrix --seeds "$seeds" --out docs/mobility-matrix.md || status=$?
# The same with traffic one side originates, as a ping: the host that moves pings, and the other one does.
dotnet bench/Hipnat.Bench/bin/Release/net10.0/Hipnat.Bench.dll mobility-matrix --seeds "$seeds" --ping --out docs/mobility-matrix-ping.md || status=$?
dotnet bench/Hipnat.Bench/bin/Release/net10.0/Hipnat.Bench.dll mobility-matrix --seeds "$seeds" --ping-from-b --out docs/mobility-matrix-ping-from-b.md || status=$?
echo "docs/mobility-matrix.md, docs/mobility-matrix-ping.md and docs/mobility-matrix-ping-from-b.md written (${seeds} seeds per cell and move)"
exit "${status:-0}"
