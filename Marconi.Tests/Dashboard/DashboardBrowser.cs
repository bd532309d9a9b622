using System.Net.Http.Json;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit.Abstractions;

namespace Marconi.Tests.Dashboard;

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c> and <c>chromium-driver</c>) for the dashboard's
/// browser tests: opening it, logging in, waiting on the page itself, and screenshots.
/// </summary>
internal static class DashboardBrowser
{
    /// <summary>Where the screenshots are saved, beside the test binaries; each test names its file in its output.</summary>
    private static readonly string Artefacts = Path.Combine(AppContext.BaseDirectory, "TestArtefacts", "dashboard");

    /// <summary>
    /// Set to 1, the screenshots the README shows are also written to docs/dashboard in the
    /// repository (how they are kept current: run the browser tests with it and commit them).
    /// </summary>
    public const string ReadmeScreenshotsVariable = "MARCONI_README_SCREENSHOTS";

    public static void SkipWithoutBrowser()
    {
        var missing = HeadlessChromium.Missing;
        Skip.If(missing is not null, missing ?? "");
    }

    /// <summary>Debian's driver and browser by path, so Selenium Manager downloads nothing.</summary>
    public static ChromeDriver Open() => HeadlessChromium.Open();

    public static void LogIn(IWebDriver browser, string key, string project) => HeadlessChromium.LogIn(browser, key, project);

    public static void LogOut(IWebDriver browser) => Wait(browser).Until(b => b.FindElement(By.Id("logout")) is { Displayed: true } l ? l : null).Click();

    /// <summary>The text of the element the selector finds, or "" while there is none.</summary>
    public static string Text(IWebDriver browser, string selector) =>
        browser.FindElements(By.CssSelector(selector)).FirstOrDefault()?.GetDomProperty("textContent") ?? "";

    public static IWebElement Displayed(IWebDriver browser, string selector) => HeadlessChromium.Displayed(browser, selector);

    public static WebDriverWait Wait(IWebDriver browser, int seconds = 10) => HeadlessChromium.Wait(browser, seconds);

    /// <summary>Saves a screenshot as a test artefact; <paramref name="readme"/> names the README's copy of it.</summary>
    public static void Screenshot(ITakesScreenshot browser, ITestOutputHelper output, string name, bool readme = false)
    {
        Directory.CreateDirectory(Artefacts);
        var path = Path.Combine(Artefacts, name);
        var shot = browser.GetScreenshot();
        shot.SaveAsFile(path);
        output.WriteLine($"Screenshot: {path}");
        if (readme && Environment.GetEnvironmentVariable(ReadmeScreenshotsVariable) == "1")
        {
            var copy = Path.Combine(Readme.RepositoryRoot(), "docs", "dashboard", name);
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            shot.SaveAsFile(copy);
            output.WriteLine($"README screenshot: {copy}");
        }
    }

    /// <summary>A client of the API beside the page, as another program would be.</summary>
    public static HttpClient ApiClient(Uri baseAddress, string project, string? key = null)
    {
        var api = new HttpClient { BaseAddress = baseAddress };
        api.DefaultRequestHeaders.Add("Client-ID", Guid.NewGuid().ToString());
        api.DefaultRequestHeaders.Add("X-Project-ID", project);
        if (key is not null)
        {
            api.DefaultRequestHeaders.Add("X-Auth-Token", key);
        }

        return api;
    }

    public static async Task PostAsync(HttpClient api, string queue, params object[] messages) =>
        (await api.PostAsJsonAsync($"/v2/queues/{queue}/messages", new { messages })).EnsureSuccessStatusCode();

    /// <summary>Runs a script in the page and returns its answer as text.</summary>
    public static string Script(IWebDriver browser, string script) => ((IJavaScriptExecutor)browser).ExecuteScript(script)?.ToString() ?? "";
}
