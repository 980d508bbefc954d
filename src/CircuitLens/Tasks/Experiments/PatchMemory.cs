// The memory plan of a cache-and-patch stage (`--max-memory`, automatic chunking by default): measures
// the pairs' token lengths and applies PatchingMemoryPlan's chunk size and fast-engine rows to the
// stage's options. `patch`, the experiments and their shards call it before PatchExperiment.
using CircuitLens.Model;
using CircuitLens.Model.Devices;
using CircuitLens.Patching;
using CircuitLens.Tasks.Pairs;

namespace CircuitLens.Tasks.Experiments;

public static class PatchMemory
{
    /// <summary>The plan for <paramref name="pairs"/> and the options it changes (chunk size at most the one asked for, rows per run).</summary>
    public static (PatchExperimentOptions Options, PatchingMemoryPlan Plan) Apply(HookedTransformer model, PairSet pairs, bool prependBos,
        PatchExperimentOptions options, DeviceKind device, long? budgetBytes)
    {
        var tokenized = pairs.Tokenize(model, prependBos);
        var plan = PatchingMemoryPlan.For(new MemoryPlanRequest
        {
            Config = model.Config, PairLengths = tokenized.Clean.Select(c => c.Length).ToArray(), Sweeps = options.Sweeps, Method = options.Method,
            Device = device, BudgetBytes = budgetBytes, MaxChunkSize = options.ChunkSize, MaxRowsPerRun = options.Fast.MaxRowsPerRun,
        });
        return (options with { ChunkSize = plan.ChunkSize, Fast = plan.Fast }, plan);
    }
}
