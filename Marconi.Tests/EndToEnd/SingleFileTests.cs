using System.Net;
using System.Reflection;
using Marconi.Client;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The README's one-file publish, run once for the class: a folder holding the published output, and the same
/// commands run in it (the README's <c>publish</c> folder is this temporary one).
/// </summary>
public sealed class PublishedBinary : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("marconi-publish-").FullName;

    /// <summary>The files <c>dotnet publish</c> wrote.</summary>
    public string[] Published { get; private set; } = [];

    /// <summary>The single file, to copy into each test's own empty folder.</summary>
    public string Binary => Path.Combine(_folder, "publish", "marconi");

    /// <summary>What the README's block printed: the copied binary's version, last.</summary>
    public string Printed { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var script = Readme.Block("one-file", "bash")
            .Replace("dotnet publish Marconi.Host", $"dotnet publish '{Path.Combine(Readme.RepositoryRoot(), "Marconi.Host")}'", StringComparison.Ordinal);
        var run = await FileProcess.BashAsync(script, _folder, TimeSpan.FromMinutes(8));
        run.ExitCode.Should().Be(0, run.Output);
        Printed = run.Stdout;
        Published = [.. Directory.GetFiles(Path.Combine(_folder, "publish")).Select(Path.GetFileName).Order()!];
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A fresh folder holding only the single file.</summary>
    public string CopyToEmptyFolder()
    {
        var folder = Directory.CreateTempSubdirectory("marconi-single-").FullName;
        File.Copy(Binary, Path.Combine(folder, "marconi")); // keeps the execute bit
        return folder;
    }
}

/// <summary>The published single file, copied alone into an empty folder and run as an operator would.</summary>
public sealed class SingleFileTests(PublishedBinary published) : IClassFixture<PublishedBinary>, IDisposable
{
    private const string StartUpLine = @"Marconi (\S+) serving on (\S+); store (\S+) \(Synchronous=(\w+)\)";
    private readonly List<string> _folders = [];

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Version => typeof(MarconiClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    private string Folder()
    {
        var folder = published.CopyToEmptyFolder();
        _folders.Add(folder);
        return folder;
    }

    private static FileProcess Marconi(string folder, params string[] args) => FileProcess.Start(Path.Combine(folder, "marconi"), args, folder);

    [Fact]
    public void PublishingGivesOneExecutableAndNothingElse()
    {
        published.Published.Should().Equal("marconi");
        published.Printed.Should().EndWith(Version + "\n");
    }

    [Fact]
    public async Task VersionAndUsageErrorsStartNothingAndCreateNoStore()
    {
        var folder = Folder();
        var version = await FileProcess.RunAsync(Path.Combine(folder, "marconi"), ["--version"], folder);
        version.ExitCode.Should().Be(0);
        version.Stdout.Should().Be(Version + "\n");

        foreach (var args in new[] { new[] { "foo" }, ["help", "me"], ["serve", "--port", "23555"], ["queues", "list"] })
        {
            var usage = await FileProcess.RunAsync(Path.Combine(folder, "marconi"), args, folder);
            usage.ExitCode.Should().Be(2, usage.Output);
            usage.Stdout.Should().BeEmpty();
            usage.Stderr.TrimEnd().Split('\n').Should().ContainSingle().Which.Should().StartWith("marconi: ");
        }

        Directory.GetFiles(folder).Select(Path.GetFileName).Should().Equal("marconi");
    }

    [Fact]
    public async Task ABadSettingStopsItWithOneLineNamingTheKey()
    {
        var folder = Folder();
        var run = await FileProcess.RunAsync(Path.Combine(folder, "marconi"),
            ["--Marconi:Limits:MaxMessageTtl=-1", "--url", $"http://127.0.0.1:{HostProcess.FreePort()}"], folder);
        run.ExitCode.Should().NotBe(0);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Lines the store logged on opening may come first; the failure is one line, without a stack trace.
        lines.Where(l => !l.Contains(" INF] ", StringComparison.Ordinal)).Should().ContainSingle(run.Output)
            .Which.Should().Contain("Marconi:Limits:MaxMessageTtl").And.Contain("at least 60");
        lines.Should().NotContain(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithOrWithoutAppsettingsBesideItItServesAndLogsTheSame()
    {
        var alone = Folder();
        var beside = Folder();
        File.Copy(Path.Combine(Readme.RepositoryRoot(), "appsettings.json"), Path.Combine(beside, "appsettings.json"));

        var answers = new List<string>();
        foreach (var folder in new[] { alone, beside })
        {
            var port = HostProcess.FreePort();
            await using var server = Marconi(folder, "serve", "--url", $"http://127.0.0.1:{port}", "--Marconi:Limit:MaxMessageTtl=60");
            var started = await server.WaitForOutputAsync(StartUpLine);
            started.Groups[1].Value.Should().Be(Version);
            started.Groups[2].Value.Should().Be($"http://127.0.0.1:{port}");
            started.Groups[3].Value.Should().Be(Path.Combine(folder, "marconi.db"));
            started.Groups[4].Value.Should().Be("Full");
            server.Output.Should().Contain("Unknown setting Marconi:Limit:MaxMessageTtl is ignored; did you mean Marconi:Limits:MaxMessageTtl?");

            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            using var home = await client.GetAsync("/v2");
            home.StatusCode.Should().Be(HttpStatusCode.OK);
            using var dashboard = await client.GetAsync("/ui/dashboard.js");
            dashboard.StatusCode.Should().Be(HttpStatusCode.OK, "the single file carries the dashboard's assets");
            dashboard.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
            using var tooMany = new HttpRequestMessage(HttpMethod.Get, "/v1/queues/q/messages?limit=21");
            tooMany.Headers.Add("Client-ID", Guid.NewGuid().ToString());
            using var refused = await client.SendAsync(tooMany);
            refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            answers.Add(await home.Content.ReadAsStringAsync() + await refused.Content.ReadAsStringAsync());
            (await server.StopAsync()).Should().Be(0, server.Output);
        }

        answers[0].Should().Be(answers[1]);
    }

    [Fact]
    public async Task TheReadmeServeBackupAndRestoreCommandsWork()
    {
        var folder = Folder();
        await File.WriteAllTextAsync(Path.Combine(folder, "marconi.json"),
            """{ "Marconi": { "Limits": { "MaxMessagesPerPage": 5, "DefaultMessagesPerPage": 5 } } }""");
        var port = HostProcess.FreePort();
        var serveLine = Readme.Block("serve", "bash").Trim().Replace(":8888", $":{port}", StringComparison.Ordinal);
        var backup = Readme.Block("backup", "bash").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        backup.Should().HaveCount(4);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        await using (var server = FileProcess.Start("bash", ["-c", "exec " + serveLine], folder))
        {
            await server.WaitForOutputAsync(StartUpLine);
            // The --config file is a layer above the defaults: the page limit is 5.
            (await SendAsync(client, HttpMethod.Get, "/v1/queues/q/messages?limit=6")).Should().Be(HttpStatusCode.BadRequest);
            (await SendAsync(client, HttpMethod.Put, "/v1/queues/q")).Should().Be(HttpStatusCode.Created);
            (await SendAsync(client, HttpMethod.Post, "/v1/queues/q/messages", """[{"ttl":300,"body":"kept"}]""")).Should().Be(HttpStatusCode.Created);

            var copy = await FileProcess.BashAsync(backup[0], folder, TimeSpan.FromSeconds(60));
            copy.ExitCode.Should().Be(0, copy.Output);
            (await SendAsync(client, HttpMethod.Post, "/v1/queues/q/messages", """[{"ttl":300,"body":"after"}]""")).Should().Be(HttpStatusCode.Created);
            (await server.StopAsync()).Should().Be(0, server.Output);
        }

        var restore = await FileProcess.BashAsync(backup[2], folder, TimeSpan.FromSeconds(30));
        restore.ExitCode.Should().Be(0, restore.Output);
        await using var restored = FileProcess.Start("bash", ["-c", "exec " + backup[3].Replace(":8888", $":{port}", StringComparison.Ordinal)], folder);
        await restored.WaitForOutputAsync(StartUpLine);
        using var list = new HttpRequestMessage(HttpMethod.Get, "/v1/queues/q/messages?echo=true");
        list.Headers.Add("Client-ID", Guid.NewGuid().ToString());
        using var listed = await client.SendAsync(list);
        var body = await listed.Content.ReadAsStringAsync();
        body.Should().Contain("\"kept\"").And.NotContain("\"after\"");
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Client-ID", "3381af92-2b9e-11e3-b191-71861300734c");
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
