#!/usr/bin/env bash
# The device checks for a machine with a CUDA GPU, as one short script (a few minutes): the device list,
# the forward, fast-exact-patching, path-patching and experiment (ioi, tasks: CudaEveryCommandTests) fixture tests on cuda, and the bench rows BENCHMARKS.md leaves empty
# when a task has no GPU (cuBLAS and the tiled kernel, cpu for comparison; the fast exact sweep on the device,
# whole batch and one pair at a time, next to the cpu engine, and the plain sweep as baseline; path patching
# of every sender head into the logits on the device next to the cpu). Run from the
# repository root; results go to ${OUT:-gpu-check}/.
set -euo pipefail
OUT="${OUT:-gpu-check}"
mkdir -p "$OUT"
dotnet build -c Release CircuitLens.slnx -v q
CLI=(dotnet src/CircuitLens.Cli/bin/Release/net10.0/CircuitLens.Cli.dll)
"${CLI[@]}" devices | tee "$OUT/devices.tsv"
dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "FullyQualifiedName~CudaForwardTests|FullyQualifiedName~CudaFastPatchingTests|FullyQualifiedName~CudaPathPatchingTests|FullyQualifiedName~CudaEveryCommandTests" \
  --logger "console;verbosity=normal" 2>&1 | tee "$OUT/cuda-tests.txt" || echo "cuda tests FAILED (see $OUT/cuda-tests.txt); the benches still run"
# the backward kernels and device attribution (cuda against the cpu engine and the fixtures), appended to
# cuda-tests.txt (the device tool returns at most 8 files); `bench patch
# --device cuda` below also times attribution on the device next to the cpu engine
dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "FullyQualifiedName~CudaBackwardTests|FullyQualifiedName~CudaAttributionTests" \
  --logger "console;verbosity=normal" 2>&1 | tee -a "$OUT/cuda-tests.txt" || echo "cuda attribution tests FAILED (see $OUT/cuda-tests.txt); the benches still run"
"${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda 2>&1 | tee "$OUT/bench-forward-cuda-cublas.txt"
CIRCUITLENS_NO_CUBLAS=1 "${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda 2>&1 | tee "$OUT/bench-forward-cuda-tiled.txt"
"${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 2 2>&1 | tee "$OUT/bench-forward-cpu.txt"
"${CLI[@]}" bench patch --pairs 100 --baseline-components 12 --device cuda 2>&1 | tee "$OUT/bench-patch-cuda.txt"
"${CLI[@]}" bench path-patch --pairs 100 --baseline-senders 3 --device cuda 2>&1 | tee "$OUT/bench-path-patch-cuda.txt"
# EAP and EAP-IG (5 steps) on the device: runs, backward passes and the edge products there (appended to the
# path-patch file: the device tool returns at most 8 files)
"${CLI[@]}" bench path-patch --pairs 100 --baseline-senders 0 --eap --device cuda 2>&1 | tee -a "$OUT/bench-path-patch-cuda.txt"

# PyTorch on the same machine (bench/CircuitLens.Bench.Torch, not in the solution: it restores LibTorch, ≈ 600 MB,
# from NuGet; that much cannot travel with the working tree, so a machine without network needs it in its NuGet
# cache). `--device cuda` needs a CUDA LibTorch (TorchSharp-cuda-linux), which the NuGet feed of the development
# machines does not serve: the script tries it and otherwise runs the comparison on cpu torch, saying so; if
# LibTorch cannot be restored at all it says that and skips the PyTorch rows. The comparison checks itself
# (fixtures, CircuitLens) before it prints timings. One file, since the device tool returns at most 8: bench-torch.txt
# (builds, probe, notes, progress, then the comparison's markdown tables).
TORCH_DLL=bench/CircuitLens.Bench.Torch/bin/Release/net10.0/CircuitLens.Bench.Torch.dll
TORCH_LOG="$OUT/bench-torch.txt"
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
# the memory plan against the device memory a plain sweep really holds on cuda (MemoryPlanTests)
dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "FullyQualifiedName~MemoryPlanTests" \
  --logger "console;verbosity=normal" 2>&1 | tee "$OUT/memory-plan-tests.txt"
