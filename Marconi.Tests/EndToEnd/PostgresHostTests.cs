using System.Diagnostics;
using System.Net;
using System.Text;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>The real host process with <c>Marconi:Storage:Driver=postgres</c>: its settings, its start-up line, and long-polls across hosts.</summary>
public sealed partial class PostgresHostTests : IAsyncLifetime
{
    private readonly PostgresSchemas _schemas = new();

    public Task InitializeAsync() => _schemas.InitializeAsync();

    public Task DisposeAsync() => _schemas.DisposeAsync();

    private async Task<string[]> SettingsAsync()
    {
        _schemas.SkipUnlessAvailable();
        var schema = await _schemas.CreateAsync();
        return
        [
            "--Marconi:Storage:Driver=postgres",
            $"--Marconi:Storage:Postgres:ConnectionString={_schemas.Server.ConnectionString}",
            $"--Marconi:Storage:Postgres:Schema={schema}",
        ];
    }

    [Theory]
    [InlineData("--Marconi:Storage:Postgres:Schema=marconi", "Marconi:Storage:Postgres:ConnectionString")]
    [InlineData("--Marconi:Storage:Postgres:ConnectionString=Host=/no/such/folder;Timeout=2", "Marconi:Storage:Postgres:ConnectionString")]
    [InlineData("--Marconi:Storage:Postgres:ConnectionString=Hots=db", "Marconi:Storage:Postgres:ConnectionString")]
    [InlineData("--Marconi:Storage:Postgres:Schema=Queues; DROP", "Marconi:Storage:Postgres:Schema")]
    [InlineData("--Marconi:Storage:Postgres:CollectorChunk=0", "Marconi:Storage:Postgres:CollectorChunk")]
    public async Task InvalidSettingsStopTheHostWithOneLineNamingTheKey(string argument, string key)
    {
        using var database = new TempDatabase();
        var connection = argument.Contains("ConnectionString", StringComparison.Ordinal) || argument.Contains("Schema=marconi", StringComparison.Ordinal)
            ? []
            : new[] { "--Marconi:Storage:Postgres:ConnectionString=Host=/no/such/folder" };
        await using var host = HostProcess.Start(database.Path, ["--Marconi:Storage:Driver=postgres", .. connection, argument]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Split('\n').Where(l => l.Contains(key, StringComparison.Ordinal)).Should().ContainSingle(host.Output);
    }

    [SkippableFact]
    public async Task TheStartUpLineNamesTheDatabaseAndItsDurability()
    {
        var settings = await SettingsAsync();
        await using var host = await HostProcess.StartServingAsync("unused.db", settings);

        var line = await host.WaitForOutputAsync(@"serving on \S+; store (\S+) \(schema (\w+)\) \((synchronous_commit=\w+)\)");
        line.Groups[1].Value.Should().StartWith("postgresql://");
        line.Groups[2].Value.Should().Be(settings[2].Split('=')[1]);
        line.Groups[3].Value.Should().Be("synchronous_commit=on");
        await host.WaitForOutputAsync("The database's clock reads -?[0-9.]+ ms later than this host's");
    }

    [SkippableFact]
    public async Task AClaimWaitingOnOneHostIsAnsweredByAPostThroughAnother()
    {
        var settings = await SettingsAsync();
        await using var a = await HostProcess.StartServingAsync("unused.db", [.. settings, "--Marconi:Storage:Postgres:WakeUpIntervalMilliseconds=250"]);
        await using var b = await HostProcess.StartServingAsync("unused.db", settings);
        foreach (var client in new[] { a.Client, b.Client })
        {
            client.DefaultRequestHeaders.Add("Client-ID", Guid.NewGuid().ToString());
            client.DefaultRequestHeaders.Add("X-Project-ID", "wake");
        }

        (await a.Client.PutAsync("/v2/queues/jobs", null)).StatusCode.Should().Be(HttpStatusCode.Created);
        var started = Stopwatch.StartNew();
        var claim = a.Client.PostAsync("/v2/queues/jobs/claims?limit=1&wait=15", new StringContent("{}", Encoding.UTF8, "application/json"));
        await WaitUntilWaitingAsync(a, claim);
        (await b.Client.PostAsync("/v2/queues/jobs/messages",
            new StringContent("""{"messages": [{"body": {"job": 1}}]}""", Encoding.UTF8, "application/json"))).StatusCode.Should().Be(HttpStatusCode.Created);
        var posted = started.Elapsed;

        using var answer = await claim;
        answer.StatusCode.Should().Be(HttpStatusCode.Created);
        (await answer.Content.ReadAsStringAsync()).Should().Contain("\"job\": 1");
        (started.Elapsed - posted).Should().BeLessThan(TimeSpan.FromSeconds(5),
            "host a looks for other hosts' posts every 250 ms while a claim waits, far inside the 15 s wait");
    }

    /// <summary>Waits until the claim waits on host a (its gauge of waiting claims reads 1), failing if it was answered first.</summary>
    private static async Task WaitUntilWaitingAsync(HostProcess host, Task<HttpResponseMessage> claim)
    {
        using var metrics = new HttpClient { BaseAddress = host.BaseAddress };
        while (!Waiting().IsMatch(await metrics.GetStringAsync("/metrics")))
        {
            claim.IsCompleted.Should().BeFalse("nothing is claimable yet");
            await Task.Delay(20);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^marconi_claims_waiting(?:\{[^}]*\})? 1\b", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex Waiting();
}
