// Progress on stderr: a Spectre.Console bar with elapsed time and ETA on a terminal, or a plain
// line every few seconds when stderr is redirected (logs, CI), so long jobs never look stuck.
using System.Diagnostics;
using CircuitLens.Patching;
using Spectre.Console;

namespace CircuitLens.Cli;

internal static class ProgressDisplay
{
    public static T Run<T>(string title, Func<IProgress<JobProgress>, T> body)
    {
        if (Console.IsErrorRedirected)
        {
            var lines = new LineProgress(title);
            var result = body(lines);
            lines.Finish();
            return result;
        }
        T value = default!;
        Cli.ErrorConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1000);
                value = body(new BarProgress(task, title));
                task.Value = task.MaxValue;
            });
        return value;
    }

    private sealed class BarProgress(ProgressTask task, string title) : IProgress<JobProgress>
    {
        public void Report(JobProgress p)
        {
            task.Value = Math.Clamp(p.Fraction, 0, 1) * task.MaxValue;
            task.Description = Markup.Escape($"{title}: {p.Stage}");
        }
    }

    private sealed class LineProgress(string title) : IProgress<JobProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.FromSeconds(-10);

        public void Report(JobProgress p)
        {
            if (_clock.Elapsed - _last < TimeSpan.FromSeconds(5) && p.Fraction < 1) return;
            _last = _clock.Elapsed;
            string eta = p.Fraction > 0.01 ? $", ETA {Format(TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds * (1 - p.Fraction) / p.Fraction))}" : "";
            Cli.Stderr.Info($"{title}: {p.Fraction:P0} {p.Stage} (elapsed {Format(_clock.Elapsed)}{eta})");
        }

        public void Finish() => Cli.Stderr.Info($"{title}: done in {Format(_clock.Elapsed)}");

        private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
    }
}
