#!/usr/bin/env bash
# Regenerates docs/nat-matrix.md: builds the benchmarks and runs the NAT matrix (every RFC 4787 mapping x filtering
# behaviour on both sides, plus no NAT, each cell with many seeds) in the deterministic simulator.
# Usage: scripts/nat-matrix.sh [SEEDS]   (default 20 seeds per cell)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-20}"
dotnet build -c Release bench/Hipnat.Bench -nologo -v quiet
# Exit status 1 from the bench means some run selected no pair; the report is written either way.
dotnet bench/Hipnat.Bench/bin/Release/net10.0/Hipnat.Bench.dll ice-matrix --seeds "$seeds" --out docs/nat-matrix.md || status=$?
echo "docs/nat-matrix.md written (${seeds} seeds per cell)"
exit "${status:-0}"
