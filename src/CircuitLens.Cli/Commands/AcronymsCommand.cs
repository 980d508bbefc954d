// `circuitlens acronyms`: the acronym experiment end to end (Tasks/Acronyms/AcronymsExperiment).
using System.CommandLine;
using CircuitLens.Tasks.Acronyms;

namespace CircuitLens.Cli.Commands;

internal static class AcronymsCommand
{
    public static Command Create() => new TaskExperimentCommand(100, "Number of acronyms to generate (three rows each).").Create("acronyms",
        "The acronym experiment end to end: generate → keep acronyms the model gets right at all three letters → patch heads (logit-diff-to-max) → per-letter head maps, report.html.",
        (model, options, _, ct) => AcronymsExperiment.Run(model, options, ct).ReportPath);
}
