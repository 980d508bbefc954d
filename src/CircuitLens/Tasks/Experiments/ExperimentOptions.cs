// What every task experiment (greater-than, acronyms, induction) is run with: dataset size and seed,
// the correctness filter, how to patch, BOS, the device the model runs on, where to write, and where
// progress and messages go.
// Task-specific settings live in the task's own options (e.g. the induction block length).
using CircuitLens.Model.Devices;
using CircuitLens.Patching;
using CircuitLens.Tasks.Filtering;

namespace CircuitLens.Tasks.Experiments;

public sealed record ExperimentOptions
{
    /// <summary>Rows to generate (acronyms: acronyms, three rows each).</summary>
    public int N { get; init; } = 100;
    public int Seed { get; init; }
    /// <summary>The correctness filter; null keeps every row.</summary>
    public CorrectnessMode? Filter { get; init; } = CorrectnessMode.Top1;
    /// <summary>Exact (fast engine), plain, attribution or both.</summary>
    public PatchingMethod Method { get; init; } = PatchingMethod.Exact;
    public int ChunkSize { get; init; } = 25;
    public bool PrependBos { get; init; } = true;
    /// <summary>Where the model runs (cpu, cuda, ilgpu-cpu): the experiment moves the model there before its first stage (model.To);
    /// null leaves it where it is. run.json records the device that ran.</summary>
    public DeviceKind? Device { get; init; }
    /// <summary>The run directory; it is created when missing and every artefact goes into it.</summary>
    public required string OutDir { get; init; }
    /// <summary>The model's name for titles and run.json (a hub id or checkpoint name); default: the config's.</summary>
    public string? ModelName { get; init; }
    /// <summary>One line per stage ("[2/4] correctness filter: kept 87 of 100").</summary>
    public Action<string> Log { get; init; } = _ => { };
    /// <summary>Progress of the long steps (patching).</summary>
    public IProgress<JobProgress>? Progress { get; init; }
    /// <summary>The patching stage's memory budget in bytes (PatchingMemoryPlan); null = the default budget.</summary>
    public long? MaxMemoryBytes { get; init; }
    /// <summary>Compute only this shard's slice of the patching stage and end there: set only by ShardedExperiment.RunShard, which catches the end.</summary>
    public ExperimentShard? Shard { get; internal init; }
    /// <summary>The patching stage's results, merged from shards: the stage writes them instead of patching (ShardedExperiment.Finish).</summary>
    public MergedPatching? MergedPatching { get; init; }
}
