// What the fast path-patching engine does with step 1's stacked rows (every sender of a layer × the rows it
// can change): PathPatching.RowRunner does it on the CPU, DevicePathRows on an ILGPU device.
using CircuitLens.Hooks;
using CircuitLens.Patching.Metrics;

namespace CircuitLens.Circuits;

internal interface IPathRows
{
    /// <summary>x = clean resid_mid of the senders' layer + (z_source − z_clean)·W_O of each sender; changed[i, b]: sender i moved pair b at all.</summary>
    bool[,] Start(IReadOnlyList<HeadId> senders, ActivationCache clean, ActivationCache source, int[] rowStart, int[] rowOffset, int rowsPerHead, int T);

    /// <summary>From the senders' layer's MLP up to (not including) layer stop: later layers add their clean attention output, then their MLP.</summary>
    void RunMlpsFrom(int senderLayer, int stop, ActivationCache clean, int[] rowStart, int[] rowOffset, int rowsPerHead, Action<int>? beforeLayer);

    /// <summary>The metric of each (sender i, pair b) from its row at offset rowOffset[b], as values[i·B + b].</summary>
    float[] Metric(PatchingMetric metric, int senders, int B, int rowsPerHead, int[] rowOffset);

    /// <summary>The receivers of layer: their q/k/v head slices (R,HS) computed from the current rows.</summary>
    void RecordInputs(PathReceivers receivers, int layer, Dictionary<ReceiverInput, float[]> recorded);
}
