// The command line's own contract, in one place for every command: how arguments are parsed (no
// response files: `--prompt "@Mary went"` is a prompt), what a parse error prints (one `error:` line
// and where to find help, never the whole help text), and the value rules every option of a kind
// shares (no empty strings, no NaN or infinite numbers). Per-option ranges are declared with Range.
using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace CircuitLens.Cli;

internal static class CommandLineRules
{
    /// <summary>The most pairs a dataset option accepts: far above any patching run, far below what would exhaust memory.</summary>
    public const int MaxPairs = 1_000_000;

    /// <summary>The longest timeout accepted (one day; HttpClient refuses more than about 24.8 days).</summary>
    public const double MaxTimeoutSeconds = 86_400;

    /// <summary>The parser settings: response files (`@file`) are off, so an argument starting with @ is taken literally.</summary>
    public static ParserConfiguration Parser { get; } = new() { ResponseFileTokenReplacer = null };

    /// <summary>Adds the shared value rules to every option of every command under <paramref name="root"/>.</summary>
    public static void Apply(Command root)
    {
        foreach (var option in root.Options) AddRules(option);
        foreach (var sub in root.Subcommands) Apply(sub);
    }

    private static void AddRules(Option option)
    {
        switch (option)
        {
            case Option<string> s: s.Validators.Add(r => NotEmpty(r, s.Name)); break;
            case Option<double> d: d.Validators.Add(r => { if (TryValue(r, out double v)) Finite(r, d.Name, v); }); break;
            case Option<double?> d: d.Validators.Add(r => { if (TryValue(r, out double? v) && v is { } x) Finite(r, d.Name, x); }); break;
            case Option<float> f: f.Validators.Add(r => { if (TryValue(r, out float v)) Finite(r, f.Name, v); }); break;
        }
    }

    // Only a value the user typed is checked: a default is the program's own choice.
    private static void NotEmpty(OptionResult r, string name)
    {
        if (r.Implicit) return;
        if (r.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value))) r.AddError($"{name}: the value is empty");
    }

    // The typed value; false when it was not typed or did not convert (System.CommandLine reports that error itself).
    private static bool TryValue<T>(OptionResult r, out T value)
    {
        value = default!;
        if (r.Implicit) return false;
        try { value = r.GetValueOrDefault<T>(); return true; }
        catch (InvalidOperationException) { return false; }
    }

    private static void Finite(OptionResult r, string name, double value)
    {
        if (!double.IsFinite(value)) r.AddError($"{name} must be a finite number, got {Typed(r)}");
    }

    /// <summary>Restricts an integer option to [min, max] (a value outside is a parse error naming the range).</summary>
    public static Option<int> Range(this Option<int> option, int min, int max)
    {
        option.Validators.Add(r =>
        {
            if (!TryValue(r, out int v)) return;
            if (v < min || v > max) r.AddError($"{option.Name} must be between {min} and {max}, got {Typed(r)}");
        });
        return option;
    }

    /// <summary>Restricts a number option to (min, max]: positive and at most max (timeouts, rates).</summary>
    public static Option<double> PositiveAtMost(this Option<double> option, double max)
    {
        option.Validators.Add(r =>
        {
            if (!TryValue(r, out double v)) return;
            if (double.IsFinite(v) && !(v > 0 && v <= max)) r.AddError($"{option.Name} must be greater than 0 and at most {max}, got {Typed(r)}");
        });
        return option;
    }

    /// <summary>Marks an option as an output file: an existing directory there is refused before anything runs or is written.</summary>
    public static Option<T> OutputFile<T>(this Option<T> option)
    {
        option.Validators.Add(r =>
        {
            if (Typed(r) is { Length: > 0 } path && path != "-" && Directory.Exists(path))
                r.AddError($"{option.Name} {path} is an existing directory; give a file path");
        });
        return option;
    }

    /// <summary>
    /// Declares a file the command writes next to <paramref name="output"/> (its value plus <paramref name="suffix"/>),
    /// unless <paramref name="unless"/> is given: an existing directory there is refused before anything runs.
    /// </summary>
    public static void DerivedOutputFile(this Command command, Option<string> output, string suffix, Option<string?>? unless = null)
    {
        command.Validators.Add(r =>
        {
            if (unless is not null && r.GetResult(unless) is { Implicit: false }) return;
            if (r.GetResult(output) is not { } o || Typed(o) is not { Length: > 0 } path || path == "-") return;
            if (Directory.Exists(path + suffix)) r.AddError($"{output.Name} {path}: {path + suffix} (written next to it) is an existing directory");
        });
    }

    /// <summary>Marks an option as an output directory: an existing file there is refused before anything runs or is written.</summary>
    public static Option<T> OutputDirectory<T>(this Option<T> option)
    {
        option.Validators.Add(r =>
        {
            if (Typed(r) is { Length: > 0 } path && File.Exists(path))
                r.AddError($"{option.Name} {path} is an existing file; give a directory");
        });
        return option;
    }

    /// <summary>Prints the parse errors as one `error:` line with where to find help, and returns 1; null when there are none.</summary>
    public static int? ReportParseErrors(ParseResult result)
    {
        if (result.Errors.Count == 0 || result.Action is not ParseErrorAction) return null;
        string messages = string.Join("; ", result.Errors.Select(e => OneLine(e.Message)).Distinct());
        Console.Error.WriteLine($"error: {messages} (see `{CommandPath(result.CommandResult)} --help`)");
        return ExitCodes.UserError;
    }

    private static string? Typed(OptionResult r) => r.Tokens.FirstOrDefault()?.Value;

    // System.CommandLine's messages may list choices on following lines; an error is one line.
    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? s = command; s is not null; s = s.Parent)
            if (s is CommandResult c) names.Add(c.Command is RootCommand ? "circuitlens" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
