// One fuzz target: a parser of user-supplied bytes, driven with arbitrary input. The contract every target
// checks is the project's: bad input ends in CircuitLensException (one line for the user), never in any
// other exception, a crash or a hang. Targets may also assert properties of what they accept.
namespace CircuitLens.Fuzzing;

public sealed record FuzzTarget(string Name, string Description, Action<byte[]> Run)
{
    /// <summary>True for targets that refuse no input by throwing (any bytes are text to encode; the format filter counts bad rows): CI then expects no refusals.</summary>
    public bool AcceptsEverything { get; init; }

    /// <summary>The committed seed inputs for this target: corpus/&lt;name&gt;/ beside the binary.</summary>
    public string CorpusDir => Path.Combine(AppContext.BaseDirectory, "corpus", Name);

    public override string ToString() => Name;
}

/// <summary>Raised by a target when an accepted input breaks a property (e.g. decode(encode(text)) != text).</summary>
public sealed class FuzzPropertyException(string message) : Exception(message);
