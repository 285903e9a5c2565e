#!/usr/bin/env bash
# Regenerates docs/mobility-matrix.md: builds the benchmarks and runs the mobility matrix (every RFC 4787 mapping x
# filtering behaviour on both sides, plus no NAT, x four kinds of move, each cell with several seeds) in the
# deterministic simulator.
# Usage: scripts/mobility-matrix.sh [SEEDS]   (default 10 seeds per cell and move)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-10}"
dotnet build -c Release bench/Hipnat.Bench -nologo -v quiet
# Exit status 1 from the bench means some run did not recover; the report is written either way.
dotnet bench/Hipnat.Bench/bin/Release/net10.0/Hipnat.Bench.dll mobility-matrix --seeds "$seeds" --out docs/mobility-matrix.md || status=$?
echo "docs/mobility-matrix.md written (${seeds} seeds per cell and move)"
exit "${status:-0}"
