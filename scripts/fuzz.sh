#!/usr/bin/env bash
# Fuzzes one target with AFL++ and SharpFuzz for a given time:
#   scripts/fuzz.sh TARGET SECONDS
# TARGET: hip-parse, hip-core, stun, esp-open, beet, config, control. Builds the harness into
# artifacts/fuzz/TARGET/bin, instruments the hipnat assemblies the target exercises, runs afl-fuzz on
# fuzz/corpus/TARGET (findings under artifacts/fuzz/TARGET/out) and prints executions and crashes.
# Needs afl++ (apt-get install afl++). No AFL? Use the in-process mode instead:
#   dotnet fuzz/Hipnat.Fuzz/bin/Release/net10.0/Hipnat.Fuzz.dll TARGET --smoke N
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
case "$target" in
  hip-parse) assemblies="Hipnat.Wire" ;;
  hip-core) assemblies="Hipnat.Wire Hipnat.Core Hipnat.Crypto Hipnat.Nat" ;;
  stun) assemblies="Hipnat.Nat" ;;
  esp-open) assemblies="Hipnat.DataPlane" ;;
  beet) assemblies="Hipnat.DataPlane Hipnat.Runtime" ;;
  config|control) assemblies="Hipnat.Runtime" ;;
  *) echo "unknown target '$target'" >&2; exit 2 ;;
esac
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }

work="$PWD/artifacts/fuzz/$target"
tools="$PWD/artifacts/fuzz/tools"
if [ ! -x "$tools/sharpfuzz" ]; then
  dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

# A fresh build per run: instrumenting an assembly twice fails.
rm -rf "$work/bin"
dotnet build fuzz/Hipnat.Fuzz/Hipnat.Fuzz.csproj -c Release -nologo -v q -o "$work/bin" >/dev/null
for a in $assemblies; do
  "$tools/sharpfuzz" "$work/bin/$a.dll" >/dev/null
done

mkdir -p "$work/out"
# Resume when findings exist, else start from the committed corpus.
input=fuzz/corpus/$target
[ -f "$work/out/default/fuzzer_stats" ] && input=-
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_AUTORESUME=1
afl-fuzz -i "$input" -o "$work/out" -t 5000 -m none -V "$seconds" -- dotnet "$work/bin/Hipnat.Fuzz.dll" "$target" --afl \
  >"$work/afl.log" 2>&1 || { tail -30 "$work/afl.log" >&2; exit 1; }

stats="$work/out/default/fuzzer_stats"
execs=$(awk -F: '/^execs_done/ {gsub(/ /, "", $2); print $2}' "$stats")
crashes=$(awk -F: '/^saved_crashes|^unique_crashes/ {gsub(/ /, "", $2); print $2}' "$stats" | head -1)
paths=$(awk -F: '/^corpus_count|^paths_total/ {gsub(/ /, "", $2); print $2}' "$stats" | head -1)
echo "$target: ${execs} executions in ${seconds} s, ${paths} corpus entries, ${crashes} crashes (artifacts/fuzz/$target/out/default/crashes)"
[ "${crashes:-0}" -eq 0 ]
