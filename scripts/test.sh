#!/usr/bin/env bash
# Builds hipnat and runs every test project; prints "N passed, N failed" last.
# Extra arguments go to the test runner (e.g. --filter-class 'Hipnat.Wire.Tests.*').
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
dotnet build hipnat.sln -c Release -nologo -v q || exit 1
results="$PWD/artifacts/test-results"
rm -rf "$results"
# One project at a time, each with its own results directory: report files named after the clock can collide
# when projects finish in the same instant, and a lost report would be a lost count.
status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  # Exit code 8 is "zero tests ran": a filter given as an argument matched nothing in this project.
  dotnet test --project "$project" -c Release --no-build --report-xunit-trx --results-directory "$results/$name" "$@" \
    || { rc=$?; [ "$rc" -eq 8 ] || status=$rc; }
done
passed=0; failed=0
for f in "$results"/*/*.trx; do
  [ -e "$f" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(grep -o ' passed="[0-9]*"' <<<"$counters" | tr -dc 0-9)
  x=$(grep -o ' failed="[0-9]*"' <<<"$counters" | tr -dc 0-9)
  passed=$((passed + ${p:-0})); failed=$((failed + ${x:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
