// `circuitlens devices`: what --device can select on this machine, as TSV (device, name, memory, compute capability, note).
using System.CommandLine;
using CircuitLens.Model.Devices;

namespace CircuitLens.Cli.Commands;

internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "List the devices --device can use here (TSV: device, name, memory, compute capability, note).");
        command.SetAction(_ => Cli.Run(() =>
        {
            Console.Out.WriteLine("device\tname\tmemory_gib\tcompute_capability\tnote");
            foreach (var d in DeviceCatalog.List())
                Console.Out.WriteLine($"{d.Device}\t{d.Name}\t{(d.MemoryBytes is long b ? (b / (1024.0 * 1024 * 1024)).ToString("F1") : "-")}\t{d.ComputeCapability ?? "-"}\t{d.Note}");
            if (DeviceCatalog.CudaDevices(out string? why).Count == 0) Cli.Stderr.Info($"cuda: {why}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
