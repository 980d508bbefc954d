#!/usr/bin/env bash
# Long fuzzing runs with AFL++ and SharpFuzz, one target at a time (CI runs only the short mutation replay in
# `dotnet test`). Needs afl-fuzz on PATH (apt-get install afl++) and the SharpFuzz command-line tool
# (dotnet tool install --global SharpFuzz.CommandLine). Findings land in tests/CircuitLens.Fuzzing/findings-afl/<target>/;
# reproduce one with: dotnet run --project tests/CircuitLens.Fuzzing -- replay <target> <file>
#
#   tests/CircuitLens.Fuzzing/fuzz-afl.sh safetensors          # until Ctrl+C
#   FUZZ_SECONDS=3600 tests/CircuitLens.Fuzzing/fuzz-afl.sh npy # time-boxed
#   tests/CircuitLens.Fuzzing/fuzz-afl.sh --list
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ "${1:-}" == "" || "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n '2,10p' "$0"; exit 2; fi

out="$here/bin/afl"
dotnet build "$here/CircuitLens.Fuzzing.csproj" -c Release -o "$out" >/dev/null
if [[ "$1" == "--list" ]]; then dotnet "$out/CircuitLens.Fuzzing.dll" list; exit 0; fi
target="$1"
dotnet "$out/CircuitLens.Fuzzing.dll" list | cut -f1 | grep -qx "$target" || { echo "unknown target '$target'" >&2; exit 2; }

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
command -v sharpfuzz >/dev/null || { echo "sharpfuzz not found: dotnet tool install --global SharpFuzz.CommandLine" >&2; exit 1; }
sharpfuzz "$out/CircuitLens.dll"   # instrument the library under test (in place, in the Release output only)

findings="$here/findings-afl/$target"
mkdir -p "$findings"
timebox=()
[[ -n "${FUZZ_SECONDS:-}" ]] && timebox=(-V "$FUZZ_SECONDS")
# .NET is one big binary to AFL: no memory limit, a generous per-input timeout, and the forkserver SharpFuzz speaks.
export AFL_SKIP_BIN_CHECK=1
exec afl-fuzz "${timebox[@]}" -i "$here/corpus/$target" -o "$findings" -t 10000 -m none \
    -- dotnet "$out/CircuitLens.Fuzzing.dll" afl "$target"
