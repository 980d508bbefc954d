// A task experiment (`greater-than`, `acronyms`, `induction`) split over machines. Shard I of N runs the
// experiment's own steps — generate, correctness filter (every shard: they are deterministic, and the
// merge checks the datasets agree) — up to its patching stage, computes its slice of that stage into
// <shard>/patching/ (ShardedPatchExperiment) with shard.json at the top (the patching run's fingerprint
// plus the experiment's options), and ends there. `merge OUT DIR...` joins the shards' patching arrays
// (ShardedRunMerge) and then runs the experiment again into OUT with that merged job: generation and the
// filter are repeated (cheap next to patching), the patching stage writes the merged results instead of
// computing them, and the task's figures, analyses and report follow as in an unsharded run. Work after
// the main patching stage (greater-than's neuron re-measurement, the year-probability runs, induction's
// attention scores) runs once, on the merging machine.
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Sharding;
using CircuitLens.Tasks.Acronyms;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.GreaterThan;
using CircuitLens.Tasks.Induction;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Tasks.Experiments;

/// <summary>Which shard an experiment computes, and the experiment's identity for the fingerprint: "task" and its own options
/// (e.g. induction's "length"); ExperimentOptions' own settings are added by <see cref="ShardedExperiment"/>.</summary>
public sealed record ExperimentShard(ShardRequest Request, string Task, JsonObject TaskOptions);

/// <summary>Thrown by the patching stage of a shard when its slice is written: ends the experiment there (caught by RunShard).</summary>
internal sealed class ExperimentShardFinished(ShardedPatchResult result) : Exception("the shard's patching stage is done")
{
    public ShardedPatchResult Result { get; } = result;
}

public static class ShardedExperiment
{
    /// <summary>The tasks that run sharded, by name.</summary>
    public static IReadOnlyList<string> Tasks { get; } = ["greater-than", "acronyms", "induction"];

    /// <summary>Runs <paramref name="experiment"/> (a task's Run with these options) up to its patching stage for <paramref name="shard"/>.</summary>
    public static ShardedPatchResult RunShard(ExperimentOptions options, ExperimentShard shard, Action<ExperimentOptions> experiment)
    {
        try { experiment(options with { Shard = shard, MergedPatching = null }); }
        catch (ExperimentShardFinished done) { return done.Result; }
        throw new InvalidOperationException($"the {shard.Task} experiment finished without a patching stage");
    }

    // called by ExperimentSteps.Patch: computes the slice, then ends the experiment
    internal static void FinishShard(HookedTransformer model, PairSet pairs, ExperimentOptions options, PatchExperimentOptions stage, ExperimentShard shard,
        IProgress<JobProgress>? progress, CancellationToken ct)
    {
        // the pairs file is each shard's own copy: recorded relative to the run directory, so the shards' fingerprints agree
        var run = new JsonObject { ["experiment"] = Identity(options, shard), ["pairs_source"] = Path.GetRelativePath(options.OutDir, pairs.Source) };
        var result = ShardedPatchExperiment.Run(model, pairs, options.PrependBos, options.OutDir, "patching", stage, shard.Request, run, progress, ct);
        foreach (var note in result.Notes) options.Log(note);
        throw new ExperimentShardFinished(result);
    }

    private static JsonObject Identity(ExperimentOptions o, ExperimentShard shard) => new()
    {
        ["task"] = shard.Task, ["n"] = o.N, ["seed"] = o.Seed, ["filter"] = ExperimentSteps.FilterName(o), ["method"] = o.Method.ToString().ToLowerInvariant(),
        ["chunk_size"] = o.ChunkSize, ["max_memory_bytes"] = o.MaxMemoryBytes, ["model_name"] = o.ModelName, ["options"] = shard.TaskOptions.DeepClone(),
    };

    /// <summary>Runs the shards' experiment into <paramref name="outDir"/> from the merged patching results; returns the report's path.</summary>
    public static string Finish(HookedTransformer model, ShardSet set, MergedPatching merged, string outDir, Action<string> log, IProgress<JobProgress>? progress = null, CancellationToken ct = default)
    {
        var e = set.Run["experiment"]!.AsObject();
        string task = e["task"]!.GetValue<string>();
        var options = new ExperimentOptions
        {
            N = e["n"]!.GetValue<int>(), Seed = e["seed"]!.GetValue<int>(),
            Filter = e["filter"]!.GetValue<string>() switch { "top1" => CorrectnessMode.Top1, "sign" => CorrectnessMode.Sign, _ => null },
            Method = Enum.Parse<PatchingMethod>(e["method"]!.GetValue<string>(), ignoreCase: true), ChunkSize = e["chunk_size"]!.GetValue<int>(),
            MaxMemoryBytes = e["max_memory_bytes"]?.GetValue<long>(), ModelName = e["model_name"]?.GetValue<string>(),
            PrependBos = merged.PrependBos, OutDir = outDir, Log = log, Progress = progress, MergedPatching = merged,
        };
        var taskOptions = e["options"]?.AsObject() ?? [];
        return task switch
        {
            "greater-than" => GreaterThanExperiment.Run(model, options, ct).ReportPath,
            "acronyms" => AcronymsExperiment.Run(model, options, ct).ReportPath,
            "induction" => InductionExperiment.Run(model, options, taskOptions["length"]?.GetValue<int>() ?? 20, ct).ReportPath,
            _ => throw new CircuitLensException($"{set.Dirs[0]}: shards of an unknown experiment '{task}'"),
        };
    }

    /// <summary>Refuses a dataset (regenerated and filtered again at the merge) that is not the one the shards patched.</summary>
    public static void CheckSameDataset(PairSet pairs, MergedPatching merged)
    {
        if (PatchExperiment.DatasetHash(pairs) != PatchExperiment.DatasetHash(merged.Pairs))
            throw new CircuitLensException($"the experiment's dataset here ({pairs.Count} pairs after the filter) is not the one the shards patched ({merged.Pairs.Count} pairs): another model, build or options?");
    }
}
