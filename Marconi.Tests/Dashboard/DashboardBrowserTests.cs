using System.Drawing;
using System.Globalization;
using System.Net.Http.Json;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Support;
using OpenQA.Selenium;
using Xunit.Abstractions;
using static Marconi.Tests.Dashboard.DashboardBrowser;

namespace Marconi.Tests.Dashboard;

/// <summary>
/// The dashboard's log-in, projects and queue lists in a real headless Chromium against the real
/// host process: what a user sees, waited for on the page itself.
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task AQueuePostedToByAnotherClientAppearsWithItsCountsAndTheHostsRates()
    {
        SkipWithoutBrowser();
        await using var host = await HostProcess.StartServingAsync(_database.Path);
        using var browser = Open();
        var project = "dash-" + Guid.NewGuid().ToString("N")[..8];

        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));
        LogIn(browser, key: "", project);
        Displayed(browser, "#empty");
        // The first sample of the host's counters is taken; the posts below fall in the next interval.
        Wait(browser).Until(b => Text(b, "[data-rate='posted']") != "" && b.FindElement(By.Id("rates")).Displayed);

        // Another client: three messages, one of them delayed and one claimed.
        using var api = ApiClient(host.BaseAddress, project);
        // A delayed queue (v2 contract 9.4), where a message's own delay of 0 means not delayed.
        (await api.PutAsJsonAsync("/v2/queues/orders", new Dictionary<string, object> { ["_default_message_delay"] = 300 })).EnsureSuccessStatusCode();
        await PostAsync(api, "orders", new { ttl = 300, delay = 0, body = 1 }, new { ttl = 300, delay = 0, body = 2 }, new { ttl = 300, body = 3 });
        (await api.PostAsJsonAsync("/v2/queues/orders/claims?limit=1", new { ttl = 60, grace = 60 })).EnsureSuccessStatusCode();

        // Each refresh redraws the rows, so every look finds them afresh.
        Wait(browser).Until(b => Field(b, "orders", "total") == "3");
        var cells = Script(browser,
            "return Array.from(document.querySelectorAll(\"tr[data-queue='orders'] td\"), td => td.textContent).join('|');").Split('|');
        // Delayed messages count as free (v2 contract 6.6); the delayed column says how many of them are.
        cells.Take(5).Should().Equal("orders", "2", "1", "1", "3");
        int.Parse(cells[5], CultureInfo.InvariantCulture).Should().BeInRange(0, 60, "the oldest message's age in seconds");
        browser.FindElement(By.Id("who")).Text.Should().Contain(project);
        browser.FindElement(By.Id("login")).Displayed.Should().BeFalse("the log-in form gives way to the queues");
        browser.FindElement(By.Id("empty")).Displayed.Should().BeFalse();

        // The three posts show in the host's posted rate (messages per second, as a number beside the chart).
        Wait(browser).Until(b => double.Parse(Text(b, "[data-rate='posted']"), CultureInfo.InvariantCulture) > 0);
        Screenshot(browser, output, "queues.png", readme: true);

        // A phone-sized window: one column, each number beside its label.
        browser.Manage().Window.Size = new Size(400, 800);
        Wait(browser).Until(b => b.FindElement(By.CssSelector("tr[data-queue='orders']")).GetCssValue("display") == "block");
        // The label is the cell's ::before, which WebDriver's text leaves out.
        Script(browser,
            "const td = document.querySelector(\"tr[data-queue='orders'] td[data-field='free']\");"
            + "return getComputedStyle(td, '::before').content + ' ' + td.textContent;").Should().Be("\"Free\" 2");
        Screenshot(browser, output, "queues-phone.png");
    }

    [SkippableFact]
    public async Task AnAdminKeySeesEveryProjectAndAProjectKeyOnlyItsOwn()
    {
        SkipWithoutBrowser();
        var admin = await KeyAsync("--admin");
        var alphaKey = await KeyAsync("--project", "alpha");
        await using var host = await HostProcess.StartServingAsync(_database.Path, ["--Marconi:Auth:Mode=keys"]);
        using (var alpha = ApiClient(host.BaseAddress, "alpha", admin))
        using (var beta = ApiClient(host.BaseAddress, "beta", admin))
        {
            await PostAsync(alpha, "alpha-jobs", new { ttl = 300, body = "a" });
            await PostAsync(beta, "beta-jobs", new { ttl = 300, body = "b" });
            await PostAsync(beta, "beta-mail", new { ttl = 300, body = "b" });
        }

        using var browser = Open();
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));

        // An admin key without a project: every project with its number of queues.
        LogIn(browser, admin, "");
        Wait(browser).Until(b => Text(b, "tr[data-project='beta'] td[data-field='queues']") == "2");
        Text(browser, "tr[data-project='alpha'] td[data-field='queues']").Should().Be("1");
        Screenshot(browser, output, "projects.png", readme: true);
        Displayed(browser, "tr[data-project='beta'] a").Click();
        Wait(browser).Until(b => Field(b, "beta-mail", "total") == "1");
        Field(browser, "beta-jobs", "total").Should().Be("1");
        LogOut(browser);

        // A project key asking for another project: the server's refusal, and none of that project's queues.
        LogIn(browser, alphaKey, "beta");
        Wait(browser).Until(b => b.FindElement(By.Id("message")).Displayed);
        browser.FindElement(By.Id("message")).Text.Should().Contain("403").And.Contain("not valid for this project");
        browser.FindElements(By.CssSelector("tr[data-queue]")).Should().BeEmpty();
        LogOut(browser);

        // A project key without a project cannot list projects: back to the log-in, saying why.
        LogIn(browser, alphaKey, "");
        Wait(browser).Until(b => b.FindElement(By.Id("login")).Displayed && b.FindElement(By.Id("message")).Displayed);
        browser.FindElement(By.Id("message")).Text.Should().Contain("Only an admin key lists every project");

        // Its own project: its queue, and only its queue.
        LogIn(browser, alphaKey, "alpha");
        Wait(browser).Until(b => Field(b, "alpha-jobs", "total") == "1");
        browser.FindElements(By.CssSelector("tr[data-queue]")).Select(r => r.GetDomAttribute("data-queue")).Should().Equal("alpha-jobs");
        browser.FindElement(By.Id("crumbs")).Text.Should().NotContain("Projects", "only an admin key has the projects page");
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
        browser.FindElement(By.Id("queues-view")).Displayed.Should().BeFalse();
        browser.FindElement(By.Id("project")).GetDomProperty("value").Should().Be("dash-refused", "the project is kept, the key is not");
        Screenshot(browser, output, "refused.png");
    }

    private async Task<string> KeyAsync(params string[] scope)
    {
        var created = await CliProcess.RunAsync(["key", "create", "--name", "dashboard", "--role", "full", .. scope, "--db", _database.Path]);
        created.Code.Should().Be(0, created.Stderr);
        return created.Stdout.TrimEnd('\n');
    }

    private static string Field(IWebDriver browser, string queue, string field) =>
        Text(browser, $"tr[data-queue='{queue}'] td[data-field='{field}']");
}
