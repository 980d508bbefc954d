// report.html in a real browser (system Chromium through Playwright): `circuitlens patch` writes a
// report for the fixture's pairs; hovering a head cell shows its value, clicking it opens that head's
// attention pattern as a token × token grid with the prompt's tokens on both axes, the example
// selector switches the prompt, and the page logs no console errors.
using System.Text.Json;
using System.Text.RegularExpressions;
using CircuitLens.Tests.Cli;
using Microsoft.Playwright;

namespace CircuitLens.Tests.Browser;

[Collection(ConsoleCollection.Name)]
public sealed class ReportInBrowserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("circuitlens-browser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [BrowserFact]
    public async Task ClickingAHeadCellOpensItsAttentionPatternWithoutConsoleErrors()
    {
        string chromium = BrowserFactAttribute.ChromiumPath()
            ?? throw new InvalidOperationException($"CI is set but no Chromium was found: install it (apt-get install -y chromium) or set {BrowserFactAttribute.Variable}");
        string pairs = CliFixture.WritePairs(_dir);
        var result = CliRunner.Run("patch", "--model", CliFixture.Model, "--pairs", pairs, "--sweep", "heads-every", "--no-bos", "--out", Path.Combine(_dir, "run"));
        Assert.True(result.Exit == 0, result.ToString());
        string report = Path.Combine(_dir, "run", "report.html");
        var data = AttentionData(File.ReadAllText(report));
        var examples = data.GetProperty("examples").EnumerateArray().ToList();
        Assert.True(examples.Count >= 2, "the fixture run should carry several examples");
        string[] Tokens(int i) => examples[i].GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(new Uri(report).AbsoluteUri);

        // Hover: the tooltip shows the cell's label and value.
        var cell = page.Locator("figure svg rect.cell[data-l='1'][data-h='2']").First;
        await cell.HoverAsync();
        var tip = page.Locator("#tip");
        Assert.True(await tip.IsVisibleAsync());
        Assert.Matches(new Regex(@"^layer 1, head 2: -?\d"), await tip.TextContentAsync());

        // Click: the viewer opens on head 1.2, example 1, with a T × T grid and the tokens on both axes.
        Assert.False(await page.Locator("#pattern-view").IsVisibleAsync());
        await cell.ClickAsync();
        Assert.True(await page.Locator("#pattern-view").IsVisibleAsync());
        Assert.Equal("Head 1.2 · attention pattern", await page.Locator("#pv-title").TextContentAsync());
        var tokens = Tokens(0);
        Assert.Equal(tokens.Length * tokens.Length, await page.Locator("#pv-grid rect.cell").CountAsync());
        Assert.Equal(tokens, await page.Locator("#pv-grid text.qtok").AllTextContentsAsync());
        Assert.Equal(tokens, await page.Locator("#pv-grid text.ktok").AllTextContentsAsync());
        // Causal attention: the first query attends only to itself.
        Assert.EndsWith(": 1.000", await page.Locator("#pv-grid rect.cell title").First.TextContentAsync());
        Assert.EndsWith(": 0.000", await page.Locator("#pv-grid rect.cell title").Nth(1).TextContentAsync());

        // The example selector redraws the same head on another prompt.
        await page.SelectOptionAsync("#pv-example", "1");
        var tokens2 = Tokens(1);
        Assert.Equal(tokens2, await page.Locator("#pv-grid text.qtok").AllTextContentsAsync());
        Assert.Equal(tokens2.Length * tokens2.Length, await page.Locator("#pv-grid rect.cell").CountAsync());
        Assert.Equal("Head 1.2 · attention pattern", await page.Locator("#pv-title").TextContentAsync());

        // A strongest-head button opens its head; the close button hides the viewer.
        var button = page.Locator("button.head").First;
        string l = (await button.GetAttributeAsync("data-l"))!, h = (await button.GetAttributeAsync("data-h"))!;
        await button.ClickAsync();
        Assert.Equal($"Head {l}.{h} · attention pattern", await page.Locator("#pv-title").TextContentAsync());
        await page.ClickAsync("#pv-close");
        Assert.False(await page.Locator("#pattern-view").IsVisibleAsync());

        Assert.Empty(errors);
    }

    private static JsonElement AttentionData(string html)
    {
        var m = Regex.Match(html, "<script type=\"application/json\" id=\"attention-data\">(.*?)</script>", RegexOptions.Singleline);
        Assert.True(m.Success, "report.html carries no attention data");
        return JsonDocument.Parse(m.Groups[1].Value).RootElement.Clone();
    }
}
