#!/usr/bin/env bash
# Builds what bench/gpu-check.sh needs on a GPU machine that has no .NET and no network (this workplace's
# device machines): the CLI as one self-contained linux-x64 file (runtime, ILGPU, natives inside; ≈ 48 MB,
# under the device tool's 64 MiB carry limit). Run here, then carry publish/ with the check:
#   bench/publish-for-gpu.sh   →   device run: command "bash bench/gpu-check.sh", carry ["publish"]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish src/CircuitLens.Cli -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -p:DebugType=none -o publish/gpu -v q
ls -l publish/gpu
