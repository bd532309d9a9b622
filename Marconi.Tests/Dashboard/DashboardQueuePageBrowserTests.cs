using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Marconi.Tests.Support;
using OpenQA.Selenium;
using Xunit.Abstractions;
using static Marconi.Tests.Dashboard.DashboardBrowser;

namespace Marconi.Tests.Dashboard;

/// <summary>
/// One queue's page in a real headless Chromium against the real host process: peeking messages
/// by marker without claiming them, live claims, subscriptions, editing metadata, redriving dead letters, purging
/// and deleting with confirmation, each through the API and in the host's request log.
/// </summary>
public sealed class DashboardQueuePageBrowserTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly string _project = "dash-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Request lines at the level the host writes, so the test sees the page's requests logged.</summary>
    private const string LoggedRequests = "--Marconi:Logging:RequestLevel=Information";

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task MessagesArePeekedPageByPageWithoutBeingClaimedAndLiveClaimsAndSubscriptionsShow()
    {
        SkipWithoutBrowser();
        await using var host = await HostProcess.StartServingAsync(_database.Path, [LoggedRequests]);
        using var api = ApiClient(host.BaseAddress, _project);
        await PostAsync(api, "jobs", Enumerable.Range(0, 12).Select(n => (object)new { ttl = 300, body = new { n } }).ToArray());
        var claim = await api.PostAsJsonAsync("/v2/queues/jobs/claims?limit=2", new { ttl = 60, grace = 60 });
        claim.StatusCode.Should().Be(HttpStatusCode.Created);
        var claimId = claim.Headers.Location!.OriginalString.Split('/')[^1];
        (await api.PostAsJsonAsync("/v2/queues/jobs/subscriptions", new { subscriber = "http://127.0.0.1:9/hook", ttl = 3600 }))
            .StatusCode.Should().Be(HttpStatusCode.Created);

        using var browser = Open();
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));
        LogIn(browser, "", _project);
        Displayed(browser, "tr[data-queue='jobs'] a").Click();

        // The first page: ten messages, oldest first, the two claimed ones with their claim.
        Wait(browser).Until(b => b.FindElements(By.CssSelector("#messages tbody tr")).Count == 10);
        Bodies(browser).Should().Equal(Enumerable.Range(0, 10).Select(n => $"{{\"n\":{n}}}"));
        Column(browser, "claim").Take(3).Should().Equal(claimId, claimId, "–");
        Text(browser, "#depth [data-field='claimed']").Should().Be("2");
        Text(browser, "#depth [data-field='free']").Should().Be("10");
        Wait(browser).Until(b => Text(b, $"tr[data-claim='{claimId}'] td[data-field='messages']") == "2");
        int.Parse(Text(browser, $"tr[data-claim='{claimId}'] td[data-field='left']"), System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeInRange(1, 60);
        Wait(browser).Until(b => Text(b, "#subscriptions td[data-field='subscriber']") == "http://127.0.0.1:9/hook");
        Text(browser, "#subscriptions td[data-field='confirmed']").Should().Be("no", "a subscription is created unconfirmed (v2 contract 10.1)");

        // Tall enough for the whole page in one picture.
        browser.Manage().Window.Size = new System.Drawing.Size(1024, 2000);
        Wait(browser).Until(b => Text(b, $"tr[data-claim='{claimId}'] td[data-field='messages']") == "2");
        Screenshot(browser, output, "queue.png", readme: true);

        // The next page by marker, and back to the first.
        browser.FindElement(By.Id("messages-next")).Click();
        Wait(browser).Until(b => Bodies(b).SequenceEqual(["{\"n\":10}", "{\"n\":11}"]));
        browser.FindElement(By.Id("messages-first")).Click();
        Wait(browser).Until(b => Bodies(b).FirstOrDefault() == "{\"n\":0}");

        // Peeking claimed nothing: the queue is as it was.
        var stats = await api.GetFromJsonAsync<JsonElement>("/v2/queues/jobs/stats");
        stats.GetProperty("messages").GetProperty("claimed").GetInt32().Should().Be(2);
        stats.GetProperty("messages").GetProperty("free").GetInt32().Should().Be(10);
        host.Output.Should().NotContain("/claims responded 201\n", "only the test's own claim was made")
            .And.Contain("HTTP GET /v2/queues/jobs/messages responded 200");
    }

    [SkippableFact]
    public async Task MetadataIsEditedThroughTheApiWhichKeepsItsChecks()
    {
        SkipWithoutBrowser();
        await using var host = await HostProcess.StartServingAsync(_database.Path, [LoggedRequests]);
        using var api = ApiClient(host.BaseAddress, _project);
        (await api.PutAsJsonAsync("/v2/queues/settings", new { owner = "team-a", retired = true })).EnsureSuccessStatusCode();

        using var browser = Open();
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));
        LogIn(browser, "", _project);
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, $"/ui#/p/{_project}/q/settings"));
        Wait(browser).Until(b => Text(b, "#metadata").Contains("team-a", StringComparison.Ordinal));

        // Not JSON: the page says so and sends nothing.
        Edit(browser, "{ owner: ");
        Displayed(browser, "#message").Text.Should().Contain("not JSON");

        // Refused by the server's checks (a reserved key of the wrong type): its 400 shown, nothing changed.
        Edit(browser, """{"owner": "team-a", "retired": true, "_max_claim_count": "many"}""");
        Wait(browser).Until(b => b.FindElement(By.Id("message")).Text.Contains("400", StringComparison.Ordinal));
        (await Metadata(api))["_max_claim_count"].ValueKind.Should().Be(JsonValueKind.Null, "v2 shows the reserved keys' defaults");

        // Accepted: a key changed, one added, one removed, in one JSON patch.
        Edit(browser, """{"owner": "team-b", "_max_claim_count": 5}""");
        Wait(browser).Until(b => b.FindElement(By.Id("notice")).Text.Contains("Metadata saved", StringComparison.Ordinal));
        var metadata = await Metadata(api);
        metadata["owner"].GetString().Should().Be("team-b");
        metadata["_max_claim_count"].GetInt32().Should().Be(5);
        metadata.Should().NotContainKey("retired");
        host.Output.Should().Contain($"HTTP PATCH /v2/queues/settings responded 400").And.Contain("HTTP PATCH /v2/queues/settings responded 200");
    }

    [SkippableFact]
    public async Task DeadLettersAreMovedBackToTheEndOfTheirQueue()
    {
        SkipWithoutBrowser();
        await using var host = await HostProcess.StartServingAsync(_database.Path, [LoggedRequests]);
        using var api = ApiClient(host.BaseAddress, _project);
        (await api.PutAsJsonAsync("/v2/queues/work", new Dictionary<string, object> { ["_max_claim_count"] = 1, ["_dead_letter_queue"] = "work-dead" }))
            .EnsureSuccessStatusCode();
        await PostAsync(api, "work", new { ttl = 300, body = "m1" }, new { ttl = 300, body = "m2" }, new { ttl = 300, body = "m3" });
        // Claimed once and released: the next claim that reaches them moves them to the dead-letter queue.
        var first = await api.PostAsJsonAsync("/v2/queues/work/claims?limit=3", new { ttl = 60, grace = 60 });
        (await api.DeleteAsync(first.Headers.Location)).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("/v2/queues/work/claims?limit=3", new { ttl = 60, grace = 60 })).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await PostAsync(api, "work", new { ttl = 300, body = "fresh" });

        using var browser = Open();
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));
        LogIn(browser, "", _project);
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, $"/ui#/p/{_project}/q/work"));
        Wait(browser).Until(b => Text(b, "#dead-letter").Contains("holds 3 free", StringComparison.Ordinal));
        Screenshot(browser, output, "dead-letters.png");

        // Asked, and cancelled: nothing moves.
        Displayed(browser, "#redrive").Click();
        Displayed(browser, "#confirm-no").Click();
        (await Bodies(api, "work-dead")).Should().HaveCount(3);

        Displayed(browser, "#redrive").Click();
        Displayed(browser, "#confirm-yes").Click();
        Wait(browser).Until(b => b.FindElement(By.Id("notice")).Text.Contains("Moved 3 messages back to work", StringComparison.Ordinal));
        (await Bodies(api, "work")).Should().Equal("fresh", "m1", "m2", "m3");
        (await Bodies(api, "work-dead")).Should().BeEmpty();
        host.Output.Should().Contain("HTTP POST /v2/queues/work/redrive responded 200");

        // Claimable again, from the start of their count.
        var again = await api.PostAsJsonAsync("/v2/queues/work/claims?limit=4", new { ttl = 60, grace = 60 });
        again.StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [SkippableFact]
    public async Task PurgeAndDeleteAskFirstAndDoNothingWhenCancelled()
    {
        SkipWithoutBrowser();
        await using var host = await HostProcess.StartServingAsync(_database.Path, [LoggedRequests]);
        using var api = ApiClient(host.BaseAddress, _project);
        await PostAsync(api, "old", new { ttl = 300, body = 1 }, new { ttl = 300, body = 2 });

        using var browser = Open();
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, "/ui"));
        LogIn(browser, "", _project);
        browser.Navigate().GoToUrl(new Uri(host.BaseAddress, $"/ui#/p/{_project}/q/old"));
        Wait(browser).Until(b => b.FindElements(By.CssSelector("#messages tbody tr")).Count == 2);

        Displayed(browser, "#purge").Click();
        Displayed(browser, "#confirm-text").Text.Should().Contain("Delete every message of old");
        Screenshot(browser, output, "purge-confirm.png");
        Displayed(browser, "#confirm-no").Click();
        (await Bodies(api, "old")).Should().HaveCount(2, "cancelled, the purge was not sent");

        Displayed(browser, "#purge").Click();
        Displayed(browser, "#confirm-yes").Click();
        Wait(browser).Until(b => b.FindElement(By.Id("no-messages")).Displayed);
        (await Bodies(api, "old")).Should().BeEmpty();

        // Deleting asks for the queue's name before it may be confirmed.
        Displayed(browser, "#delete").Click();
        var yes = Displayed(browser, "#confirm-yes");
        yes.Enabled.Should().BeFalse();
        browser.FindElement(By.Id("confirm-name")).SendKeys("ol");
        yes.Enabled.Should().BeFalse();
        browser.FindElement(By.Id("confirm-name")).SendKeys("d");
        Wait(browser).Until(_ => yes.Enabled);
        yes.Click();
        Wait(browser).Until(b => b.Url.EndsWith($"#/p/{_project}", StringComparison.Ordinal) && b.FindElement(By.Id("empty")).Displayed);
        // Queues are lazy (v2 contract 6.3): gone means not listed.
        (await api.GetStringAsync("/v2/queues")).Should().NotContain("\"old\"");
        host.Output.Should().Contain("HTTP POST /v2/queues/old/purge responded 204").And.Contain("HTTP DELETE /v2/queues/old responded 204");
    }

    private static void Edit(IWebDriver browser, string json)
    {
        if (!browser.FindElement(By.Id("metadata-form")).Displayed)
        {
            Displayed(browser, "#metadata-edit").Click();
        }

        var text = Displayed(browser, "#metadata-text");
        text.Clear();
        text.SendKeys(json);
        browser.FindElement(By.CssSelector("#metadata-form button[type='submit']")).Click();
    }

    private static IEnumerable<string> Bodies(IWebDriver browser) => Column(browser, "body");

    private static List<string> Column(IWebDriver browser, string field) =>
        Script(browser, $"return Array.from(document.querySelectorAll(\"#messages tbody td[data-field='{field}']\"), td => td.textContent).join('\\n');")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static async Task<Dictionary<string, JsonElement>> Metadata(HttpClient api) =>
        (await api.GetFromJsonAsync<Dictionary<string, JsonElement>>("/v2/queues/settings"))!;

    /// <summary>The queue's message bodies as strings, oldest first, claimed and delayed ones too.</summary>
    private static async Task<List<string>> Bodies(HttpClient api, string queue)
    {
        var page = await api.GetAsync($"/v2/queues/{queue}/messages?include_claimed=true&include_delayed=true&echo=true&limit=20");
        if (page.StatusCode == HttpStatusCode.NoContent)
        {
            return [];
        }

        var body = await page.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").ToString()).ToList();
    }
}
