// `circuitlens ioi`: the headline job in one command. Generates IOI pairs, filters them by format and
// by the model's correctness, patches every component, and writes maps and report.html into
// runs/ioi-<timestamp>/. Each stage saves its artefact before the next starts, so `--resume DIR`
// continues an interrupted run (patching itself resumes by chunk) with the options saved in DIR.
// `--shard I/N --out DIR` runs the stages up to patching and computes only the patching stage's slice
// (into DIR/patching, the library's ShardedPatchExperiment; the circuit analysis is left to the merge);
// `merge OUT DIR...` joins the shards and runs the stages again into OUT with the merged results (FinishMerged).
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using CircuitLens.Patching;
using CircuitLens.Tasks.Experiments;
using CircuitLens.Tasks.Filtering;
using CircuitLens.Tasks.Ioi;
using CircuitLens.Tasks.Runs;
using CircuitLens.Tensors;

namespace CircuitLens.Cli.Commands;

internal static class IoiCommand
{
    private sealed record IoiRunOptions(string Model, int N, int Seed, string Pattern, string Corruption, string Sweep, string Method, string Filter, bool PrependBos, int ChunkSize);

    public static Command Create()
    {
        var model = new ModelOptions(defaultModel: "gpt2");
        var n = new Option<int>("--n") { Description = "Number of IOI pairs to generate.", DefaultValueFactory = _ => 100 }.Range(1, CommandLineRules.MaxPairs);
        var seed = new Option<int>("--seed") { Description = "Dataset seed.", DefaultValueFactory = _ => 0 };
        var pattern = new Option<string>("--pattern") { Description = "baba, abba or mixed.", DefaultValueFactory = _ => "mixed" };
        pattern.AcceptOnlyFromAmong("baba", "abba", "mixed");
        var corruption = new Option<string>("--corruption") { Description = "s2-swap or abc.", DefaultValueFactory = _ => "s2-swap" };
        corruption.AcceptOnlyFromAmong("s2-swap", "abc");
        var sweep = new Option<string>("--sweep") { Description = "Sweeps to run (see `patch --help`).", DefaultValueFactory = _ => "heads-every,block-every" };
        var method = new Option<string>("--method") { Description = "exact, plain, attribution or both.", DefaultValueFactory = _ => "exact" };
        method.AcceptOnlyFromAmong("exact", "plain", "attribution", "both");
        var filter = new Option<string>("--filter") { Description = "Correctness filter: top1, sign, or none.", DefaultValueFactory = _ => "top1" };
        filter.AcceptOnlyFromAmong("top1", "sign", "none");
        var runsDir = new Option<string>("--runs-dir") { Description = "Where new run directories are created.", DefaultValueFactory = _ => "runs" }.OutputDirectory();
        var resume = new Option<string?>("--resume") { Description = "Continue an interrupted run in this directory (its saved options are used)." };
        var chunk = new Option<int>("--chunk-size") { Description = "Pairs per patching chunk (unit of progress and resume).", DefaultValueFactory = _ => 25 }.Range(1, CommandLineRules.MaxPairs);
        var noCircuit = new Option<bool>("--no-circuit") { Description = "Skip the circuit analysis (detectors, path patching, head classes, circuit check → circuit/)." };
        var memory = new MemoryOptions();
        var device = new DeviceOptions();
        var shards = new ShardOptions();
        var shardOut = new Option<string?>("--out", "-o") { Description = "With --shard: the shard's directory (instead of a new directory under --runs-dir)." }.OutputDirectory();
        var command = new Command("ioi", "The IOI experiment end to end: generate → filter by format → filter by model → cache & patch → heatmaps and report.html.")
        {
            n, seed, pattern, corruption, sweep, method, filter, runsDir, resume, chunk, noCircuit,
        };
        model.AddTo(command);
        memory.AddTo(command);
        device.AddTo(command);
        shards.AddTo(command);
        command.Options.Add(shardOut);
        command.SetAction((r, ct) => Task.FromResult(Cli.Run(() =>
        {
            long? budget = memory.Budget(r);
            if (shards.Request(r, r.GetValue(model.Model)!) is { } shard)
            {
                if (r.GetValue(resume) is not null) throw new CircuitLensException("--shard and --resume do not go together (rerun the shard's command to continue it)");
                string shardDir = r.GetValue(shardOut) ?? throw new CircuitLensException("--shard needs --out DIR (the shard's directory, one per shard)");
                var o = NewOptions(r, model, n, seed, pattern, corruption, sweep, method, filter, chunk);
                Directory.CreateDirectory(shardDir);
                using var shardHold = RunLock.Acquire(shardDir);
                var m = LoadModel(o, model, device, r, ct);
                var identity = new JsonObject { ["task"] = "ioi", ["circuit"] = !r.GetValue(noCircuit), ["max_memory_bytes"] = budget, ["options"] = JsonSerializer.SerializeToNode(o) };
                RunInterruptedException.Wrap($"{Path.GetFullPath(shardDir)} is unfinished: run the same command again to continue from its last finished chunk",
                    () => RunStages(shardDir, o, m, ct, circuit: false, budget, new IoiShard(shard with { ModelSource = o.Model }, identity), merged: null));
                Console.Out.WriteLine(Path.GetFullPath(shardDir));
                return ExitCodes.Ok;
            }
            if (r.GetValue(shardOut) is not null) throw new CircuitLensException("--out is for --shard (an unsharded run gets a new directory under --runs-dir)");
            var (dir, options, hold) = Prepare(r, model, n, seed, pattern, corruption, sweep, method, filter, runsDir, resume, chunk);
            using var _ = hold;   // held until the run ends: a second `ioi --resume` of this directory fails instead of mixing
            Cli.Stderr.Info($"run directory: {dir}");
            var loaded = LoadModelOrDiscardNewRun(dir, hold, options, model, device, r, fresh: r.GetValue(resume) is null, ct);
            string report = RunInterruptedException.Wrap($"rerun with `circuitlens ioi --resume {Path.GetFullPath(dir)}` to continue", () => RunStages(dir, options, loaded, ct, !r.GetValue(noCircuit), budget, null, null));
            Cli.Stderr.Info($"report: {report}");
            Console.Out.WriteLine(Path.GetFullPath(report));
            return ExitCodes.Ok;
        })));
        return command;
    }

    private static (string Dir, IoiRunOptions Options, RunLock Hold) Prepare(ParseResult r, ModelOptions model, Option<int> n, Option<int> seed, Option<string> pattern,
        Option<string> corruption, Option<string> sweep, Option<string> method, Option<string> filter, Option<string> runsDir, Option<string?> resume, Option<int> chunk)
    {
        if (r.GetValue(resume) is { } existing)
        {
            if (!Directory.Exists(existing)) throw new CircuitLensException($"--resume {existing}: no such directory");
            string path = Path.Combine(existing, "options.json");
            if (!File.Exists(path)) throw new CircuitLensException($"--resume {existing}: no options.json there (not an ioi run directory)");
            var saved = ReadSavedOptions(path);   // fail before any stage runs
            var held = RunLock.Acquire(existing);
            RunDirectory.RemoveTemporaryFiles(existing);   // writes the interrupted run left unfinished
            return (existing, saved, held);
        }
        var options = NewOptions(r, model, n, seed, pattern, corruption, sweep, method, filter, chunk);
        // created atomically, options.json already in it: two runs started in the same second get two directories, and a run
        // killed at any moment leaves either a directory `--resume` continues or none
        var hold = RunDirectory.CreateNew(r.GetValue(runsDir)!, "ioi", DateTime.Now,
            dir => AtomicFile.WriteAllText(Path.Combine(dir, "options.json"), JsonSerializer.Serialize(options, new JsonSerializerOptions { WriteIndented = true })));
        return (hold.Directory, options, hold);
    }

    private static IoiRunOptions NewOptions(ParseResult r, ModelOptions model, Option<int> n, Option<int> seed, Option<string> pattern,
        Option<string> corruption, Option<string> sweep, Option<string> method, Option<string> filter, Option<int> chunk)
    {
        string modelArg = r.GetValue(model.Model)!;
        // a local directory is saved as an absolute path, so `--resume` works from any working directory
        if (Directory.Exists(modelArg)) modelArg = Path.GetFullPath(modelArg);
        var options = new IoiRunOptions(modelArg, r.GetValue(n), r.GetValue(seed), r.GetValue(pattern)!, r.GetValue(corruption)!,
            r.GetValue(sweep)!, r.GetValue(method)!, r.GetValue(filter)!, model.PrependBos(r), r.GetValue(chunk));
        if (options.ChunkSize < 1) throw new CircuitLensException("--chunk-size must be at least 1");
        Sweep.Parse(options.Sweep);   // fail before any work
        return options;
    }

    /// <summary>`merge` of `ioi --shard` directories: the stages run again into <paramref name="outDir"/> (a resumable ioi run directory)
    /// with the merged patching results in place of patching; returns the report's path.</summary>
    public static string FinishMerged(Model.HookedTransformer model, ShardSet set, MergedPatching merged, string outDir, CancellationToken ct)
    {
        var identity = set.Run["experiment"]!;
        var o = identity["options"].Deserialize<IoiRunOptions>() ?? throw new CircuitLensException($"{set.Dirs[0]}: shard.json holds no ioi options");
        AtomicFile.WriteAllText(Path.Combine(outDir, "options.json"), JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true }));
        return RunStages(outDir, o, model, ct, identity["circuit"]?.GetValue<bool>() ?? true, identity["max_memory_bytes"]?.GetValue<long>(), null, merged);
    }

    private sealed record IoiShard(ShardRequest Request, JsonObject Identity);

    // A run's saved options, checked as strictly as the command line checks them.
    private static IoiRunOptions ReadSavedOptions(string path)
    {
        IoiRunOptions? o;
        try { o = JsonSerializer.Deserialize<IoiRunOptions>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new CircuitLensException($"{path}: not valid run options ({e.Message})"); }
        if (o is null) throw new CircuitLensException($"{path}: not valid run options (null)");
        void Check(bool ok, string field, object? value, string expected)
        {
            if (!ok) throw new CircuitLensException($"{path}: {field} is {(value is null ? "missing" : $"'{value}'")}; expected {expected}");
        }
        Check(!string.IsNullOrWhiteSpace(o.Model), "Model", o.Model, "a model directory or hub id");
        Check(o.N is >= 1 and <= CommandLineRules.MaxPairs, "N", o.N, $"1 to {CommandLineRules.MaxPairs}");
        Check(o.Pattern is "baba" or "abba" or "mixed", "Pattern", o.Pattern, "baba, abba or mixed");
        Check(o.Corruption is "s2-swap" or "abc", "Corruption", o.Corruption, "s2-swap or abc");
        Check(o.Method is "exact" or "plain" or "attribution" or "both", "Method", o.Method, "exact, plain, attribution or both");
        Check(o.Filter is "top1" or "sign" or "none", "Filter", o.Filter, "top1, sign or none");
        Check(o.ChunkSize >= 1, "ChunkSize", o.ChunkSize, "at least 1");
        Check(!string.IsNullOrWhiteSpace(o.Sweep), "Sweep", o.Sweep, "a comma-separated list of sweeps");
        try { Sweep.Parse(o.Sweep); }
        catch (CircuitLensException e) { throw new CircuitLensException($"{path}: Sweep: {e.Message}"); }
        return o;
    }

    // The model is loaded before any stage: a model that cannot be had (no network, a bad directory) must not leave
    // a new run directory behind that holds nothing but its options.
    private static Model.HookedTransformer LoadModelOrDiscardNewRun(string dir, RunLock hold, IoiRunOptions o, ModelOptions modelOptions, DeviceOptions device, ParseResult r, bool fresh, CancellationToken ct)
    {
        try { return LoadModel(o, modelOptions, device, r, ct); }
        catch when (fresh)
        {
            hold.Dispose();
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    private static string RunStages(string dir, IoiRunOptions o, Model.HookedTransformer model, CancellationToken ct, bool circuit, long? budget,
        IoiShard? shard, MergedPatching? merged)
    {
        var tables = new List<(string, string[], IReadOnlyList<string[]>)>();
        var info = new List<(string, string)> { ("dataset", $"{o.N} template pairs, seed {o.Seed}, pattern {o.Pattern}, corruption {o.Corruption}"), ("run directory", Path.GetFullPath(dir)) };

        // 1. generate
        string pairsPath = Path.Combine(dir, "pairs.jsonl");
        IReadOnlyList<IoiPair> pairs;
        if (File.Exists(pairsPath)) { pairs = IoiJsonl.Read(pairsPath); Cli.Stderr.Info($"[1/4] dataset: reusing {pairsPath} ({pairs.Count} pairs)"); }
        else
        {
            var dataset = IoiDatasetGenerator.Generate(new IoiDatasetOptions
            {
                N = o.N, Seed = o.Seed, Pattern = IoiOptionText.ParsePattern(o.Pattern), Corruption = IoiOptionText.ParseCorruption(o.Corruption),
            });
            pairs = dataset.Pairs;
            IoiJsonl.Write(pairsPath, pairs);
            AtomicFile.WriteAllText(Path.Combine(dir, "dataset.json"), JsonSerializer.Serialize(new { pairs = pairs.Count, dropped_words = dataset.Dropped }, new JsonSerializerOptions { WriteIndented = true }));
            Cli.Stderr.Info($"[1/4] dataset: {pairs.Count} pairs → {pairsPath}" + (dataset.Dropped.Count > 0 ? $" ({dataset.Dropped.Count} words dropped: not single tokens)" : ""));
        }

        // 2. format filter (defined for S2-swap pairs; ABC corruptions are not S2 swaps)
        string formattedPath = Path.Combine(dir, "formatted.jsonl");
        if (o.Corruption == "s2-swap")
        {
            if (!File.Exists(formattedPath))
            {
                var filter = new FormatFilter(text => Tokenization.Gpt2Tokenizer.Default.Encode(text));
                var accepted = new List<IoiPair>(); var rejected = new List<FormatRejection>();
                for (int i = 0; i < pairs.Count; i++)
                {
                    var p = pairs[i];
                    var verdict = filter.Check(p.Clean, p.Corrupt, p.Io, p.S, p.Answer, p.Wrong, p.Template, i + 1);
                    if (verdict.Accepted) accepted.Add(p); else rejected.Add(verdict.Rejection!);
                }
                var result = new FormatFilterResult(accepted, rejected);
                FormatFilterJsonl.WriteRejections(Path.Combine(dir, "format_rejects.jsonl"), rejected);
                FormatFilterJsonl.WriteJson(Path.Combine(dir, "format_filter.json"), FormatFilterJsonl.Report(pairsPath, accepted.Count, result.CountsByReason));
                IoiJsonl.Write(formattedPath, accepted);
                Cli.Stderr.Info($"[2/4] format filter: kept {accepted.Count} of {pairs.Count}" + string.Concat(result.CountsByReason.Select(kv => $"; {kv.Key}: {kv.Value}")));
            }
            else Cli.Stderr.Info($"[2/4] format filter: reusing {formattedPath}");
            var kept = ReadStageOutput(formattedPath);
            tables.Add(("Format filter", ["stage", "pairs"], [["generated", pairs.Count.ToString()], ["well-formed (kept)", kept.Count.ToString()], ["rejected", (pairs.Count - kept.Count).ToString()]]));
            pairs = kept;
        }
        else Cli.Stderr.Info("[2/4] format filter: skipped (it checks S2-swap pairs; ABC corruptions are not)");
        if (pairs.Count == 0) throw new CircuitLensException($"no pair passed the format filter (see {Path.Combine(dir, "format_rejects.jsonl")})");

        // 3. correctness filter
        string keptPath = Path.Combine(dir, "kept.jsonl");
        if (o.Filter == "none") { Cli.Stderr.Info("[3/4] correctness filter: skipped (--filter none)"); }
        else if (File.Exists(keptPath))
        {
            pairs = ReadStageOutput(keptPath);
            Cli.Stderr.Info($"[3/4] correctness filter: reusing {keptPath} ({pairs.Count} pairs)");
            tables.Add(CorrectnessTable(o.Filter, pairs.Count, ReadReasonCounts(Path.Combine(dir, "filter_model.json"))));
        }
        else
        {
            Cli.Stderr.Info("[3/4] correctness filter");
            var result = FilterModelStage.Run(model, IoiJsonl.ToPairSet(pairs, pairsPath), o.PrependBos, CorrectnessFilter.ParseMode(o.Filter), keptPath, Path.Combine(dir, "filter_model.json"), ct);
            tables.Add(CorrectnessTable(o.Filter, result.Kept.Count, result.ReasonCounts));
            pairs = ReadStageOutput(keptPath);
        }
        if (pairs.Count == 0)
            throw new CircuitLensException($"the dataset is empty after the correctness filter: the model got no pair right (see {Path.Combine(dir, "filter_model.json")}); try --filter sign or a larger model");

        // circuit analysis (its tables go into the patching report)
        if (circuit)
        {
            var analysis = IoiCircuitAnalysis.Run(model, pairs, dir, new IoiCircuitAnalysisOptions
            {
                Seed = o.Seed, PrependBos = o.PrependBos,
            }, Cli.Stderr.Info, ct);
            tables.AddRange(analysis.Tables);
            Cli.Stderr.Info($"circuit: {analysis.Classes.Count} heads classified → {Path.Combine(dir, IoiCircuitAnalysis.Directory)}");
        }

        // 4. cache and patch, pictures, report
        Cli.Stderr.Info($"[4/4] patching {pairs.Count} pairs: {o.Sweep} ({o.Method})");
        var pairSet = IoiJsonl.ToPairSet(pairs, o.Filter == "none" ? pairsPath : keptPath);
        var stage = new PatchExperimentOptions
        {
            Sweeps = Sweep.Parse(o.Sweep), Method = Enum.Parse<PatchingMethod>(o.Method, ignoreCase: true), ChunkSize = o.ChunkSize,
            ExtraTables = tables, ExtraInfo = info,
        };
        if (merged is not null)
        {
            ShardedExperiment.CheckSameDataset(pairSet, merged);
            var written = PatchExperiment.WriteOutputs(model, pairSet, o.PrependBos, dir, merged.Options with { ExtraTables = tables, ExtraInfo = info }, merged.Job, TimeSpan.Zero);
            foreach (var warning in written.Warnings) Console.Error.WriteLine($"warning: {warning}");
            return written.ReportPath;
        }
        (stage, var plan) = PatchMemory.Apply(model, pairSet, o.PrependBos, stage, model.Device, budget);
        Cli.Stderr.Info(plan.Summary);
        if (shard is not null)
        {
            // the pairs file is each shard's own copy: recorded relative to the shard directory, so the shards' fingerprints agree
            var run = new JsonObject { ["experiment"] = shard.Identity.DeepClone(), ["pairs_source"] = Path.GetRelativePath(dir, pairSet.Source) };
            var done = ProgressDisplay.Run($"patching shard {shard.Request.Shard}", progress => ShardedPatchExperiment.Run(model, pairSet, o.PrependBos, dir, "patching", stage, shard.Request, run, progress, ct));
            foreach (var note in done.Notes) Cli.Stderr.Info(note);
            return dir;
        }
        PatchStage.Run(model, pairSet, o.PrependBos, dir, stage, ct);
        return Path.Combine(dir, "report.html");
    }

    // the saved model (on --resume) wins over the command line's default; the device is the command line's (a run may resume on another machine)
    private static Model.HookedTransformer LoadModel(IoiRunOptions o, ModelOptions modelOptions, DeviceOptions device, ParseResult r, CancellationToken ct) =>
        device.Apply(r, ModelOptions.Load(o.Model, r.GetValue(modelOptions.Offline), ct));

    private static (string, string[], IReadOnlyList<string[]>) CorrectnessTable(string mode, int kept, IReadOnlyDictionary<string, int> reasons) =>
        ($"Correctness filter ({mode})", ["outcome", "pairs", "meaning"],
            new[] { new[] { "kept", kept.ToString(), "the model is right on both sides" } }
                .Concat(reasons.Select(kv => new[] { kv.Key, kv.Value.ToString(), CorrectnessFilter.Describe(kv.Key) })).ToList());

    // The reason counts saved by an earlier run's correctness stage (empty when its report is missing or unreadable).
    private static IReadOnlyDictionary<string, int> ReadReasonCounts(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.GetProperty("reasons").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("count").GetInt32());
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException) { return new Dictionary<string, int>(); }
    }

    // A filter stage's output may be empty (it kept nothing, reported by the caller); IoiJsonl.Read would call that malformed.
    private static IReadOnlyList<IoiPair> ReadStageOutput(string path) =>
        string.IsNullOrWhiteSpace(File.ReadAllText(path)) ? [] : IoiJsonl.Read(path);
}
