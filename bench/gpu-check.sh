#!/usr/bin/env bash
# The device checks for a machine with a CUDA GPU, as one short script (a few minutes): the device list,
# the forward fixture tests on cuda, and the bench rows BENCHMARKS.md leaves empty when a task has no
# GPU (cuBLAS and the tiled kernel, cpu for comparison, the plain sweep on the device). Run from the
# repository root; results go to ${OUT:-gpu-check}/.
set -euo pipefail
OUT="${OUT:-gpu-check}"
mkdir -p "$OUT"
dotnet build -c Release CircuitLens.slnx -v q
CLI=(dotnet src/CircuitLens.Cli/bin/Release/net10.0/CircuitLens.Cli.dll)
"${CLI[@]}" devices | tee "$OUT/devices.tsv"
dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "FullyQualifiedName~CudaForwardTests" \
  --logger "console;verbosity=normal" 2>&1 | tee "$OUT/cuda-tests.txt"
# the backward kernels and device attribution (cuda against the cpu engine and the fixtures); `bench patch
# --device cuda` below also times attribution on the device next to the cpu engine
dotnet test tests/CircuitLens.Tests -c Release --no-build --filter "FullyQualifiedName~CudaBackwardTests|FullyQualifiedName~CudaAttributionTests" \
  --logger "console;verbosity=normal" 2>&1 | tee "$OUT/cuda-attribution-tests.txt"
"${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda 2>&1 | tee "$OUT/bench-forward-cuda-cublas.txt"
CIRCUITLENS_NO_CUBLAS=1 "${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 5 --device cuda 2>&1 | tee "$OUT/bench-forward-cuda-tiled.txt"
"${CLI[@]}" bench forward --batch 64 --seq 128 --repeats 2 2>&1 | tee "$OUT/bench-forward-cpu.txt"
"${CLI[@]}" bench patch --pairs 100 --baseline-components 12 --device cuda 2>&1 | tee "$OUT/bench-patch-cuda.txt"
