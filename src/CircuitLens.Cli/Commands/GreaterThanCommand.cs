// `circuitlens greater-than`: the greater-than experiment end to end (Tasks/GreaterThan/GreaterThanExperiment).
using System.CommandLine;
using CircuitLens.Tasks.GreaterThan;

namespace CircuitLens.Cli.Commands;

internal static class GreaterThanCommand
{
    public static Command Create() => new TaskExperimentCommand(100, "Number of greater-than pairs to generate.").Create("greater-than",
        "The greater-than experiment end to end: generate → filter by model → patch heads and MLPs (prob-diff) → neurons, year-probability maps, report.html.",
        (model, options, _, ct) => GreaterThanExperiment.Run(model, options, ct).ReportPath);
}
