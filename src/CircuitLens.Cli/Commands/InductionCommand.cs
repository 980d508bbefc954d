// `circuitlens induction`: the induction experiment end to end (Tasks/Induction/InductionExperiment).
using System.CommandLine;
using CircuitLens.Tasks.Induction;

namespace CircuitLens.Cli.Commands;

internal static class InductionCommand
{
    public static Command Create()
    {
        var length = new Option<int>("--length") { Description = "Tokens in the random block that is repeated.", DefaultValueFactory = _ => 20 };
        return new TaskExperimentCommand(100, "Number of repeated sequences to generate.").Create("induction",
            "The induction experiment end to end: repeated random tokens → filter by model → patch heads (logit-diff) → induction scores, loss by position, report.html.",
            (model, options, r, ct) => InductionExperiment.Run(model, options, r.GetValue(length), ct).ReportPath, length);
    }
}
