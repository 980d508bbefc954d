// The shared --device option: parsed once into a DeviceKind at the edge, applied to a loaded model.
using System.CommandLine;
using CircuitLens.Model;
using CircuitLens.Model.Devices;

namespace CircuitLens.Cli;

internal sealed class DeviceOptions
{
    public Option<string> Device { get; } = new("--device")
    {
        Description = $"Where the forward pass runs: {DeviceKinds.Choices} (ILGPU's CPU accelerator, for tests). `circuitlens devices` lists what is available.",
        DefaultValueFactory = _ => "cpu",
    };

    public DeviceOptions() => Device.AcceptOnlyFromAmong("cpu", "cuda", "ilgpu-cpu");

    public void AddTo(Command command) => command.Options.Add(Device);

    public DeviceKind Kind(ParseResult r) => DeviceKinds.Parse(r.GetValue(Device)!);

    /// <summary>Moves <paramref name="model"/> to the chosen device (weights uploaded once) and says on stderr what runs.</summary>
    public HookedTransformer Apply(ParseResult r, HookedTransformer model)
    {
        var kind = Kind(r);
        if (kind == DeviceKind.Cpu) return model;
        model.To(kind);
        Cli.Stderr.Info($"device {model.DeviceDescription}");
        return model;
    }
}
