#!/usr/bin/env bash
# The device checks for a machine with a CUDA GPU, as one short script (a few minutes). Results go to
# ${OUT:-gpu-check}/, at most 8 files (what the device tool returns):
#   devices.tsv            `circuitlens devices`
#   cuda-tests.txt         the cuda fixture tests (forward, fast exact, path patching, every command, backward, attribution,
#                          memory plan) — only where the .NET SDK is present (see below)
#   bench-forward.txt      forward 64 × 128 on cuda with cuBLAS, with the tiled kernel, and on the cpu engine
#   bench-patch-cuda.txt   the fast exact head-z sweep (100 pairs) and attribution, device vs cpu
#   bench-path-patch-cuda.txt  path patching of every sender head → logits, then EAP / EAP-IG, device vs cpu
#   bench-torch.txt        PyTorch (TorchSharp) on the same machine — only where the .NET SDK is present
# Every device bench row is first checked against the cpu engine's numbers (1e-4 + 1e-3·|x|); a device
# that disagrees prints the error instead of a timing, so the benches are a correctness check too.
# Two ways to run: with the .NET 10 SDK and its NuGet cache (builds, runs the tests and the benches), or
# — this workplace's device machines, which have no .NET and no network — with the self-contained CLI that
# bench/publish-for-gpu.sh builds into publish/gpu/ (carry "publish"): the benches run, the test project
# does not, and cuda-tests.txt says so.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-gpu-check}"
mkdir -p "$OUT"
if [ -x publish/gpu/CircuitLens.Cli ] && ! command -v dotnet >/dev/null 2>&1; then
  CLI=(publish/gpu/CircuitLens.Cli); SDK=0
elif command -v dotnet >/dev/null 2>&1; then
  dotnet build -c Release CircuitLens.slnx -v q || { echo "build failed"; exit 1; }
  CLI=(dotnet src/CircuitLens.Cli/bin/Release/net10.0/CircuitLens.Cli.dll); SDK=1
else
  echo "no .NET SDK and no publish/gpu/CircuitLens.Cli: run bench/publish-for-gpu.sh first and carry publish/" | tee "$OUT/devices.tsv"
  exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>&1 | tee "$OUT/devices.tsv"
"${CLI[@]}" devices 2>&1 | tee -a "$OUT/devices.tsv"

TESTS="$OUT/cuda-tests.txt"
if [ "$SDK" = 1 ]; then
  for filter in "CudaForwardTests|CudaFastPatchingTests|CudaPathPatchingTests|CudaEveryCommandTests" "CudaBackwardTests|CudaAttributionTests" "MemoryPlanTests"; do
    f=$(echo "$filter" | sed 's/\([A-Za-z]*Tests\)/FullyQualifiedName~\1/g')
    dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "$f" --logger "console;verbosity=normal" >> "$TESTS" 2>&1 \
      || echo "FAILED: $filter (see above); the benches still run" | tee -a "$TESTS"
  done
else
  echo "no .NET SDK on this machine: the test project did not run; the benches below check every device result against the cpu engine" | tee "$TESTS"
fi

FWD="$OUT/bench-forward.txt"
echo "## cuda, cuBLAS" >> "$FWD"; "${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda >> "$FWD" 2>&1
echo "## cuda, tiled kernel (CIRCUITLENS_NO_CUBLAS=1)" >> "$FWD"; CIRCUITLENS_NO_CUBLAS=1 "${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda >> "$FWD" 2>&1
echo "## cpu engine" >> "$FWD"; "${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 2 >> "$FWD" 2>&1
cat "$FWD"
"${CLI[@]}" bench patch --pairs 100 --baseline-components 12 --device cuda 2>&1 | tee "$OUT/bench-patch-cuda.txt"
"${CLI[@]}" bench path-patch --pairs 100 --baseline-senders 3 --device cuda 2>&1 | tee "$OUT/bench-path-patch-cuda.txt"
"${CLI[@]}" bench path-patch --pairs 100 --baseline-senders 0 --eap --device cuda 2>&1 | tee -a "$OUT/bench-path-patch-cuda.txt"

# PyTorch on the same machine (bench/CircuitLens.Bench.Torch, not in the solution: it restores LibTorch, ≈ 600 MB,
# from NuGet, so it needs the SDK and a NuGet cache that holds it). `--device cuda` needs a CUDA LibTorch
# (TorchSharp-cuda-linux), which the NuGet feed of the development machines does not serve: the script tries
# it and otherwise runs the comparison on cpu torch, saying so. The comparison checks itself (fixtures,
# CircuitLens) before it prints timings.
TORCH_LOG="$OUT/bench-torch.txt"
if [ "$SDK" = 0 ]; then
  echo "NOTE: no .NET SDK on this machine: no PyTorch rows (the TorchSharp comparison is built from source)" | tee "$TORCH_LOG"
  exit 0
fi
TORCH_DLL=bench/CircuitLens.Bench.Torch/bin/Release/net10.0/CircuitLens.Bench.Torch.dll
TORCH_DEVICE=""
if dotnet build -c Release bench/CircuitLens.Bench.Torch -p:TorchPackage=TorchSharp-cuda-linux -v q >> "$TORCH_LOG" 2>&1 \
   && dotnet "$TORCH_DLL" --probe 2>&1 | tee -a "$TORCH_LOG" | grep -q "cuda available: yes"; then
  TORCH_DEVICE=cuda
else
  rm -rf bench/CircuitLens.Bench.Torch/bin bench/CircuitLens.Bench.Torch/obj   # no CUDA natives left beside the cpu ones
  if dotnet build -c Release bench/CircuitLens.Bench.Torch -v q >> "$TORCH_LOG" 2>&1; then
    TORCH_DEVICE=cpu
    echo "NOTE: no CUDA LibTorch (TorchSharp-cuda-linux did not restore, or it sees no GPU): the PyTorch rows ran on cpu torch" | tee -a "$TORCH_LOG"
  else
    echo "NOTE: LibTorch could not be restored (build output above in bench-torch.txt): no PyTorch rows" | tee -a "$TORCH_LOG"
  fi
fi
if [ -n "$TORCH_DEVICE" ]; then
  dotnet "$TORCH_DLL" --device "$TORCH_DEVICE" --pairs 100 --components 12 --single-pairs 8 --batch 64 --seq 128 --repeats 3 \
    >> "$TORCH_LOG" 2>&1 || echo "bench torch failed (see bench-torch.txt)" | tee -a "$TORCH_LOG"
  cat "$TORCH_LOG"
fi
