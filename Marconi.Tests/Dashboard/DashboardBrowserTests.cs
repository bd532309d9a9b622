using System.Drawing;
using System.Net.Http.Json;
using Marconi.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit.Abstractions;

namespace Marconi.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's <c>chromium</c> and <c>chromium-driver</c>)
/// against the real host process: what a user sees, waited for on the page itself.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output) : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriver = "/usr/bin/chromedriver";

    /// <summary>Where the screenshots are saved, beside the test binaries; each test names its file in its output.</summary>
    private static readonly string Artefacts = Path.Combine(AppContext.BaseDirectory, "TestArtefacts", "dashboard");

    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task AQueuePostedToByAnotherClientAppearsWithItsCounts()
    {
        SkipWithoutBrowser();
        await using var host = await HostProcess.StartServingAsync(_database.Path);
        using var browser = Open();
        var project = "dash-" + Guid.NewGuid().ToString("N")[..8];

        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));
        LogIn(browser, key: "", project);
        Wait(browser).Until(b => b.FindElement(By.Id("empty")).Displayed);

        // Another client: three messages, one of them claimed.
        using var api = new HttpClient { BaseAddress = host.BaseAddress };
        api.DefaultRequestHeaders.Add("Client-ID", Guid.NewGuid().ToString());
        api.DefaultRequestHeaders.Add("X-Project-ID", project);
        (await api.PostAsJsonAsync("/v2/queues/orders/messages",
            new { messages = new[] { new { ttl = 300, body = 1 }, new { ttl = 300, body = 2 }, new { ttl = 300, body = 3 } } }))
            .EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("/v2/queues/orders/claims?limit=1", new { ttl = 60, grace = 60 })).EnsureSuccessStatusCode();

        // Each refresh redraws the rows, so every look finds them afresh.
        Wait(browser).Until(b => Field(b, "orders", "total") == "3");
        var counts = ((IJavaScriptExecutor)browser).ExecuteScript(
            "return Array.from(document.querySelectorAll(\"tr[data-queue='orders'] td\"), td => td.textContent);");
        var cells = ((IEnumerable<object>)counts!).Select(c => (string)c).ToList();
        cells.Take(4).Should().Equal("orders", "2", "1", "3");
        int.Parse(cells[4], System.Globalization.CultureInfo.InvariantCulture).Should().BeInRange(0, 60, "the oldest message's age in seconds");
        browser.FindElement(By.Id("who")).Text.Should().Contain(project);
        browser.FindElement(By.Id("login")).Displayed.Should().BeFalse("the log-in form gives way to the queues");
        browser.FindElement(By.Id("empty")).Displayed.Should().BeFalse();
        Screenshot(browser, "queues.png");

        // A phone-sized window: one column, each number beside its label.
        browser.Manage().Window.Size = new Size(400, 800);
        Wait(browser).Until(b => b.FindElement(By.CssSelector("tr[data-queue='orders']")).GetCssValue("display") == "block");
        // The label is the cell's ::before, which WebDriver's text leaves out.
        ((IJavaScriptExecutor)browser).ExecuteScript(
            "const td = document.querySelector(\"tr[data-queue='orders'] td[data-field='free']\");"
            + "return getComputedStyle(td, '::before').content + ' ' + td.textContent;").Should().Be("\"Free\" 2");
        Screenshot(browser, "queues-phone.png");
    }

    [SkippableFact]
    public async Task AKeyTheServerRefusesReturnsToTheLogInWithTheReason()
    {
        SkipWithoutBrowser();
        await using var host = await HostProcess.StartServingAsync(_database.Path, ["--Marconi:Auth:Mode=keys"]);
        using var browser = Open();

        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));
        LogIn(browser, key: "not-a-key", "dash-refused");

        var message = Wait(browser).Until(b => b.FindElement(By.Id("message")) is { Displayed: true } m ? m : null);
        message.Text.Should().Contain("401");
        browser.FindElement(By.Id("login")).Displayed.Should().BeTrue();
        browser.FindElement(By.Id("dashboard")).Displayed.Should().BeFalse();
        browser.FindElement(By.Id("project")).GetAttribute("value").Should().Be("dash-refused", "the project is kept, the key is not");
        Screenshot(browser, "refused.png");
    }

    private static void SkipWithoutBrowser()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is missing (Debian package chromium; .ci/run installs it)");
        Skip.IfNot(File.Exists(ChromeDriver), $"{ChromeDriver} is missing (Debian package chromium-driver; .ci/run installs it)");
    }

    /// <summary>Debian's driver and browser by path, so Selenium Manager downloads nothing.</summary>
    private static ChromeDriver Open()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        // No sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1024,768");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(30));
    }

    private static void LogIn(IWebDriver browser, string key, string project)
    {
        var form = Wait(browser).Until(b => b.FindElement(By.Id("login")) is { Displayed: true } f ? f : null);
        form.FindElement(By.Id("key")).SendKeys(key);
        form.FindElement(By.Id("project")).SendKeys(project);
        form.FindElement(By.CssSelector("button[type='submit']")).Click();
    }

    private static string Field(IWebDriver browser, string queue, string field) =>
        browser.FindElements(By.CssSelector($"tr[data-queue='{queue}'] td[data-field='{field}']")).SingleOrDefault()?.GetDomProperty("textContent") ?? "";

    /// <summary>Polling every 3 s means a change shows within one or two refreshes.</summary>
    private static WebDriverWait Wait(IWebDriver browser)
    {
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(10)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        // A refresh may redraw the rows between finding an element and reading it.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        return wait;
    }

    private void Screenshot(ITakesScreenshot browser, string name)
    {
        Directory.CreateDirectory(Artefacts);
        var path = Path.Combine(Artefacts, name);
        browser.GetScreenshot().SaveAsFile(path);
        output.WriteLine($"Screenshot: {path}");
    }
}
