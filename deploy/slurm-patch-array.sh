#!/usr/bin/env bash
# A CircuitLens activation-patching sweep split over a Slurm job array, then merged.
#
#   sbatch --export=ALL,MODEL=gpt2,PAIRS=$PWD/pairs.jsonl,OUT=$PWD/runs/ioi-sharded deploy/slurm-patch-array.sh
#
# Each array task I of N runs `circuitlens patch --shard I/N` into $OUT/shards/I (whole chunks of
# --chunk-size pairs; keep N ≤ the number of chunks). The merge job starts when every task has
# succeeded (afterok) and writes the same files as an unsharded run into $OUT. An interrupted task
# resumes from its last finished chunk when resubmitted with the same arguments.
#SBATCH --job-name=circuitlens-patch
#SBATCH --array=0-3
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=02:00:00
#SBATCH --output=%x-%A_%a.log
## On GPU nodes: add --gres=gpu:1 and DEVICE=cuda (runs the plain engine on the GPU).
##SBATCH --gres=gpu:1
set -euo pipefail

: "${MODEL:?set MODEL (hub id or model directory)}"
: "${PAIRS:?set PAIRS (pairs JSONL)}"
: "${OUT:?set OUT (run directory)}"
SWEEP="${SWEEP:-heads-every}"
CHUNK="${CHUNK:-25}"
DEVICE="${DEVICE:-cpu}"
METHOD="${METHOD:-exact}"
SHARD_BY="${SHARD_BY:-pairs}"   # components: every pair, a slice of the layers per task
MAX_MEMORY="${MAX_MEMORY:-16G}" # the same budget on every task, so they plan the same chunks
[ "$DEVICE" = cpu ] || METHOD=plain
CIRCUITLENS="${CIRCUITLENS:-circuitlens}"   # e.g. "dotnet /opt/circuitlens/CircuitLens.Cli.dll"

N="${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=0-(N-1)}"
I="${SLURM_ARRAY_TASK_ID:?submit with sbatch --array}"
[ "${SLURM_ARRAY_TASK_MIN:-0}" = 0 ] || { echo "error: the array must start at 0 (--array=0-$((N - 1)))" >&2; exit 1; }

# the last task to start submits the merge, held until the whole array has finished successfully
if [ "$I" = "${SLURM_ARRAY_TASK_MAX:-$((N - 1))}" ]; then
  shards=()
  for ((k = 0; k < N; k++)); do shards+=("$OUT/shards/$k"); done
  sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=circuitlens-merge --cpus-per-task=2 --mem=8G \
    --output="%x-%j.log" --wrap="$CIRCUITLENS merge '$OUT' ${shards[*]} --offline"
fi

srun $CIRCUITLENS patch --model "$MODEL" --pairs "$PAIRS" --sweep "$SWEEP" --method "$METHOD" --device "$DEVICE" \
  --chunk-size "$CHUNK" --max-memory "$MAX_MEMORY" --no-plots --shard "$I/$N" --shard-by "$SHARD_BY" --out "$OUT/shards/$I"
