#!/usr/bin/env bash
# The device checks for a machine with a CUDA GPU, as one short script (a few minutes): the device list,
# the forward and fast-exact-patching fixture tests on cuda, and the bench rows BENCHMARKS.md leaves empty
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
dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "FullyQualifiedName~CudaForwardTests|FullyQualifiedName~CudaFastPatchingTests|FullyQualifiedName~CudaPathPatchingTests" \
  --logger "console;verbosity=normal" 2>&1 | tee "$OUT/cuda-tests.txt" || echo "cuda tests FAILED (see $OUT/cuda-tests.txt); the benches still run"
# the backward kernels and device attribution (cuda against the cpu engine and the fixtures); `bench patch
# --device cuda` below also times attribution on the device next to the cpu engine
dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "FullyQualifiedName~CudaBackwardTests|FullyQualifiedName~CudaAttributionTests" \
  --logger "console;verbosity=normal" 2>&1 | tee "$OUT/cuda-attribution-tests.txt" || echo "cuda attribution tests FAILED (see $OUT/cuda-attribution-tests.txt); the benches still run"
"${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda 2>&1 | tee "$OUT/bench-forward-cuda-cublas.txt"
CIRCUITLENS_NO_CUBLAS=1 "${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda 2>&1 | tee "$OUT/bench-forward-cuda-tiled.txt"
"${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 2 2>&1 | tee "$OUT/bench-forward-cpu.txt"
"${CLI[@]}" bench patch --pairs 100 --baseline-components 12 --device cuda 2>&1 | tee "$OUT/bench-patch-cuda.txt"
"${CLI[@]}" bench path-patch --pairs 100 --baseline-senders 3 --device cuda 2>&1 | tee "$OUT/bench-path-patch-cuda.txt"
# EAP and EAP-IG (5 steps) on the device: runs, backward passes and the edge products there
"${CLI[@]}" bench path-patch --pairs 100 --baseline-senders 0 --eap --device cuda 2>&1 | tee "$OUT/bench-eap-cuda.txt"
