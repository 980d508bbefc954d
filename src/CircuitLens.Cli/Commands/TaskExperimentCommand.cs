// The options and run loop the task experiment commands share (`greater-than`, `acronyms`,
// `induction`): model, dataset size and seed, correctness filter, method, chunk size, device, runs directory.
// It parses options into ExperimentOptions, claims runs/<task>-<timestamp>[-N]/ atomically and holds
// its run lock for the whole run (as `ioi` does: two runs started together get two directories), calls
// the library's experiment, and prints the report's path on stdout; the pipeline itself is in
// Tasks/<Task>/. Ctrl+C ends it with exit 130 and one line naming the unfinished run directory.
// With --shard I/N --out DIR it runs the experiment up to its patching stage and computes only that
// stage's slice into DIR (the library's ShardedExperiment); `merge OUT DIR...` finishes the experiment.
using System.CommandLine;
using System.Text.Json.Nodes;
using CircuitLens.Model;
using CircuitLens.Patching;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Runs;

namespace CircuitLens.Cli.Commands;

internal sealed class TaskExperimentCommand
{
    private readonly ModelOptions _model = new(defaultModel: "gpt2");
    private readonly Option<int> _n;
    private readonly Option<int> _seed = new("--seed") { Description = "Dataset seed.", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _filter = new("--filter") { Description = "Correctness filter: top1 (clean top-1 token is an answer), sign (clean metric > 0), or none.", DefaultValueFactory = _ => "top1" };
    private readonly Option<string> _method = new("--method") { Description = "exact, plain, attribution or both.", DefaultValueFactory = _ => "exact" };
    private readonly Option<string> _runsDir = new Option<string>("--runs-dir") { Description = "Where the new run directory is created.", DefaultValueFactory = _ => "runs" }.OutputDirectory();
    private readonly Option<int> _chunk = new("--chunk-size") { Description = "Pairs per patching chunk (unit of progress).", DefaultValueFactory = _ => 25 };
    private readonly MemoryOptions _memory = new();
    private readonly DeviceOptions _device = new();
    private readonly ShardOptions _shards = new();
    private readonly Option<string?> _out = new Option<string?>("--out", "-o") { Description = "With --shard: the shard's directory (instead of a new directory under --runs-dir)." }.OutputDirectory();

    public TaskExperimentCommand(int defaultN, string nDescription)
    {
        _n = new Option<int>("--n") { Description = nDescription, DefaultValueFactory = _ => defaultN };
        _filter.AcceptOnlyFromAmong("top1", "sign", "none");
        _method.AcceptOnlyFromAmong("exact", "plain", "attribution", "both");
    }

    /// <summary>A command named <paramref name="name"/> whose action runs <paramref name="run"/> and prints the report path.</summary>
    public Command Create(string name, string description, Func<HookedTransformer, ExperimentOptions, ParseResult, CancellationToken, string> run, params Option[] extra)
    {
        var command = new Command(name, description) { _n, _seed, _filter, _method, _runsDir, _chunk };
        foreach (var option in extra) command.Options.Add(option);
        _model.AddTo(command);
        _memory.AddTo(command);
        _device.AddTo(command);
        _shards.AddTo(command);
        command.Options.Add(_out);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            int n = r.GetValue(_n), chunk = r.GetValue(_chunk);
            if (n < 1) throw new CircuitLensException("--n must be at least 1");
            if (chunk < 1) throw new CircuitLensException("--chunk-size must be at least 1");
            long? budget = _memory.Budget(r);
            var shard = _shards.Request(r, r.GetValue(_model.Model)!);
            if (shard is null && r.GetValue(_out) is not null) throw new CircuitLensException("--out is for --shard (an unsharded run gets a new directory under --runs-dir)");
            if (shard is not null && r.GetValue(_out) is null) throw new CircuitLensException("--shard needs --out DIR (the shard's directory, one per shard)");
            var model = _device.Apply(r, _model.Load(r, ct));   // here, so an unavailable device fails before a run directory exists
            ExperimentOptions Options(string dir, IProgress<JobProgress> progress) => new()
            {
                N = n, Seed = r.GetValue(_seed), ChunkSize = chunk, OutDir = dir, PrependBos = _model.PrependBos(r),
                Filter = r.GetValue(_filter) switch { "sign" => CorrectnessMode.Sign, "none" => null, _ => CorrectnessMode.Top1 },
                Method = Enum.Parse<PatchingMethod>(r.GetValue(_method)!, ignoreCase: true),
                ModelName = ModelLabel(r.GetValue(_model.Model)!, model),
                Log = Cli.Stderr.Info, Progress = progress, MaxMemoryBytes = budget, Device = _device.Kind(r),
            };
            if (shard is not null)
            {
                string shardDir = r.GetValue(_out)!;
                Directory.CreateDirectory(shardDir);
                using var shardHold = RunLock.Acquire(shardDir);
                var identity = new ExperimentShard(shard, name, TaskOptions(r, extra));
                RunInterruptedException.Wrap($"{Path.GetFullPath(shardDir)} is unfinished: run the same command again to continue from its last finished chunk",
                    () => ProgressDisplay.Run($"{name} shard {shard.Shard}", progress => ShardedExperiment.RunShard(Options(shardDir, progress), identity, o => run(model, o, r, ct))));
                Console.Out.WriteLine(Path.GetFullPath(shardDir));
                return ExitCodes.Ok;
            }
            // created atomically and locked: two runs started in the same second get two directories
            using var hold = RunDirectory.CreateNew(r.GetValue(_runsDir)!, name, DateTime.Now);
            string dir = hold.Directory;
            Cli.Stderr.Info($"run directory: {dir}");
            string report = RunInterruptedException.Wrap($"{Path.GetFullPath(dir)} is unfinished (these runs do not resume: start the command again)",
                () => ProgressDisplay.Run(name, progress => run(model, Options(dir, progress), r, ct)));
            Cli.Stderr.Info($"report: {report}");
            Console.Out.WriteLine(Path.GetFullPath(report));
            return ExitCodes.Ok;
        })));
        return command;
    }

    // the task's own options (e.g. induction's --length) as they were given, for the shards' fingerprint and the merge
    private static JsonObject TaskOptions(ParseResult r, Option[] extra)
    {
        var json = new JsonObject();
        foreach (var option in extra)
            json[option.Name.TrimStart('-')] = option switch
            {
                Option<int> i => JsonValue.Create(r.GetValue(i)),
                Option<bool> b => JsonValue.Create(r.GetValue(b)),
                Option<string> t => JsonValue.Create(r.GetValue(t)),
                _ => throw new InvalidOperationException($"option {option.Name}: add its type to TaskOptions"),
            };
        return json;
    }

    // A hub id as given; a directory by its own name, or its parent's when it is called "model" (as in tiny-gpt2/model).
    private static string ModelLabel(string given, HookedTransformer model)
    {
        if (!Directory.Exists(given)) return given;
        var dir = new DirectoryInfo(Path.GetFullPath(given));
        return dir.Name == "model" && dir.Parent is not null ? dir.Parent.Name : dir.Name;
    }
}
