#!/usr/bin/env bash
# A whole CircuitLens experiment (ioi, greater-than, acronyms or induction) split over a Slurm job array,
# then merged and finished.
#
#   sbatch --export=ALL,TASK=greater-than,MODEL=gpt2,OUT=$PWD/runs/gt-sharded deploy/slurm-experiment-array.sh
#
# Each array task I of N runs `circuitlens TASK --shard I/N --out $OUT/shards/I`: the experiment's own
# steps (dataset, correctness filter: the same in every task, seeded) up to its patching stage, and only
# shard I's slice of that stage. The merge job starts when every task has succeeded (afterok): `circuitlens
# merge $OUT shards...` joins the patching arrays and finishes the experiment in $OUT — maps, the task's
# own figures and analyses, report.html — the same files as an unsharded run. SHARD_BY=components gives
# each task every pair and a slice of the layers instead (useful when N exceeds the chunks of pairs).
# Give MAX_MEMORY (e.g. 24G) so every task plans the same chunks whatever its node's memory.
#SBATCH --job-name=circuitlens-experiment
#SBATCH --array=0-3
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=02:00:00
#SBATCH --output=%x-%A_%a.log
set -euo pipefail

: "${TASK:?set TASK (ioi, greater-than, acronyms or induction)}"
: "${MODEL:?set MODEL (hub id or model directory)}"
: "${OUT:?set OUT (the merged run directory)}"
N_PAIRS="${N_PAIRS:-100}"
SEED="${SEED:-0}"
CHUNK="${CHUNK:-25}"
SHARD_BY="${SHARD_BY:-pairs}"
FILTER="${FILTER:-top1}"            # none for a random test model (it gets nothing right)
MAX_MEMORY="${MAX_MEMORY:-16G}"
CIRCUITLENS="${CIRCUITLENS:-circuitlens}"   # e.g. "dotnet /opt/circuitlens/CircuitLens.Cli.dll"

N="${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=0-(N-1)}"
I="${SLURM_ARRAY_TASK_ID:?submit with sbatch --array}"
[ "${SLURM_ARRAY_TASK_MIN:-0}" = 0 ] || { echo "error: the array must start at 0 (--array=0-$((N - 1)))" >&2; exit 1; }

# the last task to start submits the merge, held until the whole array has finished successfully
if [ "$I" = "${SLURM_ARRAY_TASK_MAX:-$((N - 1))}" ]; then
  shards=()
  for ((k = 0; k < N; k++)); do shards+=("$OUT/shards/$k"); done
  sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=circuitlens-merge --cpus-per-task=8 --mem=16G \
    --output="%x-%j.log" --wrap="$CIRCUITLENS merge '$OUT' ${shards[*]} --offline"
fi

srun $CIRCUITLENS "$TASK" --model "$MODEL" --n "$N_PAIRS" --seed "$SEED" --filter "$FILTER" --chunk-size "$CHUNK" --max-memory "$MAX_MEMORY" \
  --shard "$I/$N" --shard-by "$SHARD_BY" --out "$OUT/shards/$I"
