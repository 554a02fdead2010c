using Microsoft.Playwright;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>The page at / in real headless Chromium (Debian's, driven by Playwright for .NET): as a person uses it.</summary>
[Collection(SharedHostCollection.Name)]
public sealed class WebPageTests(SharedHost shared) : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly List<string> _foreign = [];
    private readonly List<string> _scriptErrors = [];

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    private async Task<IPage> OpenAsync(string user)
    {
        var page = await _browser!.NewPageAsync();
        var origin = shared.Host.BaseAddress.GetLeftPart(UriPartial.Authority);
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(origin, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal) && !request.Url.StartsWith("blob:", StringComparison.Ordinal))
            {
                _foreign.Add(request.Url);
            }
        };
        page.PageError += (_, error) => _scriptErrors.Add(error);
        (await page.GotoAsync(shared.Host.BaseAddress.ToString()))!.Status.ShouldBe(200);
        await page.GetByLabel("Token").FillAsync(Tokens.For(user));
        await page.GetByLabel("Token").DispatchEventAsync("change");
        return page;
    }

    [Fact]
    public async Task A_person_uploads_a_scan_watches_it_to_100_percent_reads_its_text_with_confidence_and_finds_it_after_a_reload()
    {
        var page = await OpenAsync("web-reader");

        await page.GetByLabel("File").SetInputFilesAsync(EvalCorpus.PathOf("images/tess_phototest.tif"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();

        await page.GetByText("This is a lot of 12 point text", new() { Exact = false }).WaitForAsync(new() { Timeout = 120_000 });
        (await page.Locator("#job-percent").InnerTextAsync()).ShouldBe("100 %");
        (await page.Locator("#job-status").InnerTextAsync()).ShouldBe("completed");
        (await page.Locator("#pages").InnerTextAsync()).ShouldContain("confidence");
        // The words outlined on the page's own image, as many boxes as the result has words.
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('figure.scan img'); return i && i.complete && i.naturalWidth > 0; }",
            null, new() { Timeout = 60_000 });
        var boxes = await page.Locator("figure.scan svg.words rect").CountAsync();
        boxes.ShouldBeGreaterThan(20);
        (await page.GetByRole(AriaRole.Img, new() { Name = $"Page 1 as scanned, {boxes} words outlined" }).IsVisibleAsync()).ShouldBeTrue();
        // A download in every format; the searchable PDF is a PDF.
        foreach (var label in new[] { "JSON", "text", "hOCR", "ALTO XML", "searchable PDF", "Markdown" })
        {
            (await page.GetByRole(AriaRole.Button, new() { Name = $"Download {label}" }).IsVisibleAsync()).ShouldBeTrue(label);
        }

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download searchable PDF" }).ClickAsync());
        var saved = Path.Combine(Path.GetTempPath(), $"akkaocr-web-{Guid.NewGuid():N}.pdf");
        await download.SaveAsAsync(saved);
        try
        {
            (await File.ReadAllBytesAsync(saved)).Take(5).ShouldBe("%PDF-"u8.ToArray());
            download.SuggestedFilename.ShouldEndWith(".pdf");
        }
        finally
        {
            File.Delete(saved);
        }

        await page.ReloadAsync();
        await page.Locator("#history").GetByText("tess_phototest.tif").WaitForAsync(new() { Timeout = 30_000 });
        _foreign.ShouldBeEmpty();
        _scriptErrors.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_long_PDF_can_be_cancelled_from_the_page_with_the_keyboard()
    {
        var page = await OpenAsync("web-canceller");
        await page.GetByLabel("File").SetInputFilesAsync(EvalCorpus.PathOf("pdfs/ocrmypdf_cardinal.pdf"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        var cancel = page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" });
        await cancel.WaitForAsync(new() { Timeout = 60_000 });
        await page.WaitForFunctionAsync("() => !document.getElementById('cancel').disabled", null, new() { Timeout = 60_000 });
        await cancel.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        try
        {
            await page.WaitForFunctionAsync("() => document.getElementById('job-status').textContent === 'cancelled'", null, new() { Timeout = 60_000 });
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the page never showed 'cancelled': status '{await page.Locator("#job-status").InnerTextAsync()}', " +
                $"message '{await page.Locator("#job-message").InnerTextAsync()}', error '{await page.Locator("#error").InnerTextAsync()}'");
        }

        (await page.Locator("#error").InnerTextAsync()).ShouldBeEmpty();
        await page.Locator("#history").GetByText("cancelled").First.WaitForAsync(new() { Timeout = 30_000 });
        _scriptErrors.ShouldBeEmpty();
    }
}
