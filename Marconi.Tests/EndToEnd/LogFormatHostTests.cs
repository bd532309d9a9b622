using System.Net;
using System.Text.Json;
using Marconi.Tests.Support;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The real host's console: JSON lines with <c>Marconi:Logging:Format=json</c>, one line per HTTP and
/// ZeroMQ request with the same properties, none at the default request level, and built-in logging
/// when no appsettings.json is beside the binary.
/// </summary>
public sealed class LogFormatHostTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task JsonFormatWritesOneObjectPerLineAndOneRequestLinePerHttpAndZeroMqRequest()
    {
        // The README's command; the test host takes the settings (its verb is implied).
        var command = Readme.Block("logs-json", "bash").Trim();
        command.Should().StartWith("marconi serve ");
        string[] settings = command["marconi serve ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        settings.Should().Equal("--Marconi:Logging:Format=json", "--Marconi:Logging:RequestLevel=Information");

        var queue = $"log-{Guid.NewGuid():N}";
        var lines = await RequestBothThenStopAsync(settings, queue);

        var http = lines.Should().ContainSingle(l => Text(l, "Transport") == "http" && Text(l, "Queue") == queue).Subject;
        Text(http, "@m").Should().StartWith($"HTTP \"GET\" \"/v1/queues/{queue}/stats\" responded 404 in ");
        Text(http, "RequestMethod").Should().Be("GET");
        Text(http, "Version").Should().Be("v1");
        Text(http, "Operation").Should().Be("queue_get_stats");
        Text(http, "Project").Should().Be("logs");
        http.GetProperty("StatusCode").GetInt32().Should().Be(404);
        http.GetProperty("Elapsed").GetDouble().Should().BeGreaterThanOrEqualTo(0);
        // Information is the line's level; the compact format leaves "@l" out for it.
        http.TryGetProperty("@l", out _).Should().BeFalse();

        var zmq = lines.Should().ContainSingle(l => Text(l, "Transport") == "zmq" && Text(l, "Queue") == queue).Subject;
        Text(zmq, "Version").Should().Be("v1");
        Text(zmq, "Operation").Should().Be("queue_get_stats");
        Text(zmq, "Project").Should().Be("logs");
        zmq.GetProperty("StatusCode").GetInt32().Should().Be(404);
        zmq.GetProperty("Elapsed").GetDouble().Should().BeGreaterThanOrEqualTo(0);
        zmq.TryGetProperty("@l", out _).Should().BeFalse();
        zmq.GetRawText().Should().NotContain("secret-token", "a credential is never logged");
    }

    [Fact]
    public async Task TheDefaultRequestLevelWritesNoRequestLineForEitherTransport()
    {
        var queue = $"log-{Guid.NewGuid():N}";
        var lines = await RequestBothThenStopAsync([], queue);

        lines.Should().Contain(l => Text(l, "Endpoint") != null, "the host logged, in JSON");
        lines.Should().NotContain(l => Text(l, "Transport") != null);
        lines.Should().NotContain(l => l.GetRawText().Contains(queue, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--Marconi:Logging:Format=xml", "Marconi:Logging:Format")]
    [InlineData("--Marconi:Logging:RequestLevel=Loud", "Marconi:Logging:RequestLevel")]
    public async Task AnInvalidLoggingValueStopsTheHostWithOneLineNamingTheKey(string argument, string key)
    {
        await using var host = HostProcess.Start(_database.Path, [argument]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(1);
        var output = host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        output.Should().ContainSingle(l => l.Contains(key, StringComparison.Ordinal)).Which.Should().Contain("Invalid configuration");
    }

    [Fact]
    public async Task WithoutAppsettingsJsonBesideTheBinaryTheHostStillLogsToTheConsole()
    {
        var folder = Directory.CreateTempSubdirectory("marconi-bare-").FullName;
        try
        {
            CopyWithout(AppContext.BaseDirectory, folder, "appsettings.json");
            File.Exists(Path.Combine(folder, "appsettings.json")).Should().BeFalse();

            await using var host = HostProcess.Start(_database.Path, HostProcess.FreePort(), directory: folder);
            await host.WaitUntilServingAsync();
            host.Terminate();
            (await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
            host.Output.Should().MatchRegex(@"\[\d\d:\d\d:\d\d INF\] Microsoft\.Hosting\.Lifetime: Application started")
                .And.Contain("Application is shutting down");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Starts the host in the JSON format with both transports, asks each for a missing queue's stats
    /// (404), stops it and returns every output line, each parsed as one JSON object.
    /// </summary>
    private async Task<List<JsonElement>> RequestBothThenStopAsync(string[] arguments, string queue)
    {
        await using var host = HostProcess.Start(_database.Path,
        [
            "--Marconi:Logging:Format=json",
            "--Marconi:Transports:Zmq:Enabled=true",
            "--Marconi:Transports:Zmq:Endpoint=tcp://127.0.0.1:*",
            .. arguments,
        ]);
        var endpoint = (await host.WaitForOutputAsync("\"Endpoint\":\"(tcp://127\\.0\\.0\\.1:\\d+)\"")).Groups[1].Value;
        await host.WaitUntilServingAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/queues/{queue}/stats");
        request.Headers.Add("Client-ID", Guid.NewGuid().ToString());
        request.Headers.Add("X-Project-Id", "logs");
        (await host.Client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NotFound);

        using (var zmq = ZmqClient.Req(endpoint))
        {
            zmq.Project = "logs";
            zmq.Token = "secret-token";
            zmq.Call("queue_get_stats", new { queue_name = queue }).Status().Should().Be(404);
        }

        host.Terminate();
        // Waiting for the exit also waits for the end of its redirected output.
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
        return host.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
    }

    private static string? Text(JsonElement line, string name) =>
        line.ValueKind == JsonValueKind.Object && line.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static void CopyWithout(string from, string to, string excluded)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative != excluded)
            {
                File.Copy(file, Path.Combine(to, relative));
            }
        }
    }
}
