// The places in the forward pass where activations can be read or replaced, with their
// TransformerLens names. Per-layer points are combined with a layer index ("blocks.{l}.<suffix>").
namespace CircuitLens.Hooks;

public enum HookPoint
{
    // global
    Embed, PosEmbed, LnFinalScale, LnFinalNormalized,
    // per layer, in forward order
    ResidPre, Ln1Scale, Ln1Normalized, Q, K, V, AttnScores, Pattern, Z, Result,
    AttnOut, ResidMid, Ln2Scale, Ln2Normalized, MlpPre, MlpPost, MlpOut, ResidPost,
}

public static class HookNames
{
    public const int LayerPointCount = (int)HookPoint.ResidPost - (int)HookPoint.ResidPre + 1;

    public static bool IsLayerPoint(HookPoint p) => p >= HookPoint.ResidPre;

    public static string Suffix(HookPoint p) => p switch
    {
        HookPoint.Embed => "hook_embed",
        HookPoint.PosEmbed => "hook_pos_embed",
        HookPoint.LnFinalScale => "ln_final.hook_scale",
        HookPoint.LnFinalNormalized => "ln_final.hook_normalized",
        HookPoint.ResidPre => "hook_resid_pre",
        HookPoint.Ln1Scale => "ln1.hook_scale",
        HookPoint.Ln1Normalized => "ln1.hook_normalized",
        HookPoint.Q => "attn.hook_q",
        HookPoint.K => "attn.hook_k",
        HookPoint.V => "attn.hook_v",
        HookPoint.AttnScores => "attn.hook_attn_scores",
        HookPoint.Pattern => "attn.hook_pattern",
        HookPoint.Z => "attn.hook_z",
        HookPoint.Result => "attn.hook_result",
        HookPoint.AttnOut => "hook_attn_out",
        HookPoint.ResidMid => "hook_resid_mid",
        HookPoint.Ln2Scale => "ln2.hook_scale",
        HookPoint.Ln2Normalized => "ln2.hook_normalized",
        HookPoint.MlpPre => "mlp.hook_pre",
        HookPoint.MlpPost => "mlp.hook_post",
        HookPoint.MlpOut => "hook_mlp_out",
        HookPoint.ResidPost => "hook_resid_post",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    /// <summary>"blocks.9.attn.hook_z" for (Z, 9); "hook_embed" for (Embed, _).</summary>
    public static string Name(HookPoint p, int layer = -1) =>
        IsLayerPoint(p) ? $"blocks.{layer}.{Suffix(p)}" : Suffix(p);

    public static string ResidPre(int layer) => Name(HookPoint.ResidPre, layer);
    public static string AttnZ(int layer) => Name(HookPoint.Z, layer);
    public static string AttnPattern(int layer) => Name(HookPoint.Pattern, layer);

    /// <summary>Every hook name of a model with <paramref name="nLayers"/> layers, in forward order.</summary>
    public static IEnumerable<string> All(int nLayers)
    {
        yield return Name(HookPoint.Embed);
        yield return Name(HookPoint.PosEmbed);
        for (int l = 0; l < nLayers; l++)
            for (var p = HookPoint.ResidPre; p <= HookPoint.ResidPost; p++)
                yield return Name(p, l);
        yield return Name(HookPoint.LnFinalScale);
        yield return Name(HookPoint.LnFinalNormalized);
    }

    /// <summary>Parses a hook name into its point and layer; false for names that are not hook points of this model.</summary>
    public static bool TryParse(string name, int nLayers, out HookPoint point, out int layer)
    {
        layer = -1;
        point = default;
        if (name.StartsWith("blocks.", StringComparison.Ordinal))
        {
            int dot = name.IndexOf('.', 7);
            if (dot < 0 || !int.TryParse(name.AsSpan(7, dot - 7), out layer) || layer < 0 || layer >= nLayers) return false;
            string suffix = name[(dot + 1)..];
            for (var p = HookPoint.ResidPre; p <= HookPoint.ResidPost; p++)
                if (Suffix(p) == suffix) { point = p; return true; }
            return false;
        }
        for (var p = HookPoint.Embed; p <= HookPoint.LnFinalNormalized; p++)
            if (Suffix(p) == name) { point = p; return true; }
        return false;
    }
}
