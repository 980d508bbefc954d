// `--shard I/N` and `--shard-by pairs|components` on `patch`, `path-patch` and the experiments: parsed
// into the library's ShardRequest (null without --shard). Parsing only; the slicing is in the library.
using System.CommandLine;
using CircuitLens.Sharding;
using CircuitLens.Tasks.Experiments;

namespace CircuitLens.Cli;

internal sealed class ShardOptions
{
    public Option<string?> Shard { get; } = new("--shard")
    {
        Description = "I/N: compute only shard I (0-based) of N into a partial run directory; join the N directories with `circuitlens merge OUT DIR...`.",
    };
    public Option<string> ShardBy { get; } = new("--shard-by")
    {
        Description = "What --shard slices: pairs (whole chunks of pairs, every component) or components (every pair, a zig-zag slice of the layers).",
        DefaultValueFactory = _ => "pairs",
    };

    public ShardOptions() => ShardBy.AcceptOnlyFromAmong("pairs", "components");

    public void AddTo(Command command)
    {
        command.Options.Add(Shard);
        command.Options.Add(ShardBy);
    }

    /// <summary>The shard asked for, or null; <paramref name="modelSource"/> is --model as given (recorded for `merge`).</summary>
    public ShardRequest? Request(ParseResult r, string modelSource)
    {
        if (r.GetValue(Shard) is not { } spec)
        {
            if (r.GetResult(ShardBy) is { Implicit: false }) throw new CircuitLensException("--shard-by needs --shard I/N");
            return null;
        }
        return new ShardRequest(ShardSpec.Parse(spec), ShardByNames.Parse(r.GetValue(ShardBy)!), modelSource);
    }
}
