using System.Text.Json;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Support;

namespace Marconi.Tests.Sqs;

/// <summary>
/// The README's SQS client examples, run verbatim but for the endpoint's address, against the real
/// host process with the SQS endpoint on and no keys (the access key id names the project): the AWS
/// CLI block with Debian's awscli (SQS's query protocol), and the C# block as a program of its own on
/// AWSSDK.SQS (the JSON protocol).
/// </summary>
public sealed class ReadmeSqsExamplesTests(ReadmeSqsExamplesTests.Server server) : IClassFixture<ReadmeSqsExamplesTests.Server>
{
    private const string ReadmeSqsUrl = "http://127.0.0.1:9324";
    private const string DebianAws = "/usr/bin/aws";

    /// <summary>One host for the class; each example works in a project of its own.</summary>
    public sealed class Server : IAsyncLifetime
    {
        public SqsHostProcess Process { get; private set; } = null!;

        public async Task InitializeAsync() => Process = await SqsHostProcess.StartAsync([]);

        public async Task DisposeAsync() => await Process.DisposeAsync();
    }

    [SkippableFact]
    public async Task TheAwsCliExampleRunsAgainstTheServer()
    {
        Skip.IfNot(File.Exists(DebianAws), "no aws command here (.ci/run installs Debian's awscli)");
        var script = Readme.Block("sqs-awscli", "bash");
        script.Should().Contain($"S={ReadmeSqsUrl}\n");
        script = script.Replace($"S={ReadmeSqsUrl}\n", $"S={server.Process.SqsUrl}\n", StringComparison.Ordinal);

        var folder = Directory.CreateTempSubdirectory("marconi-sqs-awscli-").FullName;
        string output;
        try
        {
            // Debian's CLI first on PATH: the one .ci/run installs, whichever other aws a machine has.
            output = await AwsClientProcess.RunAsync("bash", ["-euo", "pipefail", "-c", script], folder,
                new Dictionary<string, string> { ["PATH"] = "/usr/bin:" + Environment.GetEnvironmentVariable("PATH") });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().HaveCount(2, output);
        lines[0].Should().MatchRegex("^[0-9a-f]{16}$", "send-message prints the message's id");
        lines[1].Should().Be("0", "the message was received and deleted");
        (await QueuesOfAsync("demo-project")).Should().Equal(["jobs"], "the access key id named the project");
        (await TotalAsync("demo-project", "jobs")).Should().Be(0);
    }

    [Fact]
    public async Task TheCSharpExampleRunsAgainstTheServer()
    {
        var program = Readme.Block("sqs-csharp", "csharp");
        program.Should().Contain($"ServiceURL = \"{ReadmeSqsUrl}\"");
        const string Project = "readme-csharp";

        var folder = Directory.CreateTempSubdirectory("marconi-sqs-csharp-").FullName;
        string output;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "Program.cs"),
                program.Replace($"ServiceURL = \"{ReadmeSqsUrl}\"", $"ServiceURL = \"{server.Process.SqsUrl}\"", StringComparison.Ordinal));
            ExampleProject.Write(folder, "SqsDemo", "AWSSDK.SQS", "4.1.0.1");
            output = await AwsClientProcess.RunAsync("dotnet", ["run", "--project", folder], folder,
                new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = Project, ["AWS_SECRET_ACCESS_KEY"] = "anything" },
                homeInFolder: false);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(["order 42 (priority 1)"], output);
        (await QueuesOfAsync(Project)).Should().Equal(["orders"], "the access key id named the project");
        (await TotalAsync(Project, "orders")).Should().Be(0, "the example deleted what it received");
    }

    /// <summary>The project's queues, as Marconi's own API lists them.</summary>
    private async Task<string[]> QueuesOfAsync(string project)
    {
        using var document = JsonDocument.Parse(await GetAsync(project, "/v2/queues"));
        return [.. document.RootElement.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()!)];
    }

    private async Task<long> TotalAsync(string project, string queue)
    {
        using var document = JsonDocument.Parse(await GetAsync(project, $"/v2/queues/{queue}/stats"));
        return document.RootElement.GetProperty("messages").GetProperty("total").GetInt64();
    }

    private async Task<string> GetAsync(string project, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Project-Id", project);
        request.Headers.Add("Client-ID", "3381af92-2b9e-11e3-b191-71861300734c");
        using var response = await server.Process.Host.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.Should().BeTrue(body);
        return body;
    }
}
