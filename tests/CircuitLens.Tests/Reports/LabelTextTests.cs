using CircuitLens.Reports;

namespace CircuitLens.Tests.Reports;

public class LabelTextTests
{
    [Theory]
    [InlineData(" John", "·John")]
    [InlineData("When", "When")]
    [InlineData("\n", "\\n")]
    [InlineData(" \t", "·\\t")]
    [InlineData("", "∅")]
    [InlineData("<|endoftext|>", "<|endoftext|>")]
    [InlineData(" extraordinarily", "·extraordinar…")]
    public void TokenLabelsShowWhitespaceAndAreCut(string raw, string shown) => Assert.Equal(shown, LabelText.Token(raw));

    [Fact]
    public void TruncationCountsUnicodeScalarsNotUtf16Units()
    {
        string emoji = string.Concat(Enumerable.Repeat("😀", 20));
        string shown = LabelText.Token(emoji, 5);
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 4)) + "…", shown);
    }

    [Theory]
    [InlineData(0.2134f, "0.213")]
    [InlineData(-1f, "-1.000")]
    [InlineData(0f, "0.000")]
    [InlineData(float.NaN, "NaN")]
    [InlineData(0.00001234f, "1.23e-5")]
    public void HoverValues(float v, string shown) => Assert.Equal(shown, LabelText.Value(v));

    [Theory]
    [InlineData(0.2134f, "+0.213")]
    [InlineData(-0.041f, "-0.041")]
    [InlineData(-0.0004f, "0.000")]   // rounds to zero: no sign at all (once "-+0.00")
    [InlineData(0.0004f, "0.000")]
    [InlineData(-1.5f, "-1.500")]
    public void SignedScoresPrintTheSignOnce(float v, string shown) => Assert.Equal(shown, LabelText.Signed(v));

    [Theory]
    [InlineData(0.213f, "0.21")]
    [InlineData(-0.05f, "-0.05")]
    [InlineData(-0.004f, "0.00")]
    [InlineData(123.4f, "123")]
    public void CellValuesNeverPrintMinusZero(float v, string shown) => Assert.Equal(shown, LabelText.CellValue(v));
}
