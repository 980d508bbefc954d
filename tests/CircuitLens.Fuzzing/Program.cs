// Command line of the fuzzing project (the tests need none of it):
//   list                         the targets
//   afl <target>                 one AFL run's child: reads the input AFL provides on stdin (SharpFuzz forkserver);
//                                see fuzz-afl.sh, which instruments CircuitLens.dll and starts afl-fuzz
//   libfuzzer <target>           the same for libFuzzer (libfuzzer-dotnet)
//   replay <target> <file>...    runs saved inputs (AFL findings) and prints each outcome; exit 1 on a finding
//   mutate <target> <seconds>    the CI mutation loop for longer, without AFL; exit 1 on the first finding
// In afl/libfuzzer mode CircuitLensException is the expected way to refuse input and is swallowed; any other
// exception escapes and is recorded by the fuzzer as a crash.
using CircuitLens;
using CircuitLens.Fuzzing;
using SharpFuzz;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: CircuitLens.Fuzzing list | afl TARGET | libfuzzer TARGET | replay TARGET FILE... | mutate TARGET SECONDS");
    return args.Length == 0 ? 2 : 0;
}

switch (args[0])
{
    case "list":
        foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name}\t{t.Description}");
        return 0;
    case "afl" when args.Length == 2:
    {
        var target = FuzzTargets.Get(args[1]);
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            try { target.Run(buffer.ToArray()); }
            catch (CircuitLensException) { }
        });
        return 0;
    }
    case "libfuzzer" when args.Length == 2:
    {
        var target = FuzzTargets.Get(args[1]);
        Fuzzer.LibFuzzer.Run(span =>
        {
            try { target.Run(span.ToArray()); }
            catch (CircuitLensException) { }
        });
        return 0;
    }
    case "replay" when args.Length >= 3:
    {
        var target = FuzzTargets.Get(args[1]);
        int findings = 0;
        foreach (string file in args[2..])
        {
            var result = FuzzRunner.Run(target, File.ReadAllBytes(file), TimeSpan.FromSeconds(10));
            if (result.IsFinding) findings++;
            Console.WriteLine($"{file}\t{result.Outcome}\t{result.Elapsed.TotalMilliseconds:F0} ms\t{result.Exception?.GetType().Name}: {result.Exception?.Message}");
            if (result.Outcome == FuzzOutcome.Crashed) Console.Error.WriteLine(result.Exception);
        }
        return findings == 0 ? 0 : 1;
    }
    case "mutate" when args.Length == 3:
    {
        var target = FuzzTargets.Get(args[1]);
        var campaign = new FuzzCampaign(target, seed: Environment.TickCount);
        var report = campaign.Run(TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)), int.MaxValue);
        Console.WriteLine(report.Summary);
        if (report.Finding is { } f) Console.Error.WriteLine(f.Describe());
        return report.Finding is null ? 0 : 1;
    }
    default:
        Console.Error.WriteLine($"unknown command '{string.Join(' ', args)}'; run with --help");
        return 2;
}
