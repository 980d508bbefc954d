namespace CircuitLens;

/// <summary>A user-facing error: bad input, a missing file, a malformed model. The message is one line naming what is wrong.</summary>
public class CircuitLensException : Exception
{
    public CircuitLensException(string message) : base(message) { }
    public CircuitLensException(string message, Exception inner) : base(message, inner) { }
}
