using Marconi.Client;
using Marconi.Tests.Http;

namespace Marconi.Tests.Client;

/// <summary>The client snippet of the READMEs: a whole cycle in a handful of lines.</summary>
public sealed class ClientReadmeTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private const string ReadmeEndpoint = "http://127.0.0.1:8888";

    [Fact]
    public async Task TheReadmeSnippetRunsAgainstTheServer()
    {
        var endpoint = factory.ServerAddress.ToString().TrimEnd('/');
        var output = new StringWriter();
        var console = output; // the snippet's Console.WriteLine, captured

        // --- the README snippet, verbatim but for the endpoint and the captured console ---
        await using var client = new MarconiClient(endpoint, projectId: "demo-project");
        var queue = await client.CreateQueueAsync("demo");
        await queue.PostAsync(new { @event = "BackupStarted" }, ttl: 300);
        var claim = await queue.ClaimAsync(limit: 5, ttl: 300);
        foreach (var message in claim?.Messages ?? []) { console.WriteLine(message.Body); await message.DeleteAsync(); }
        // --- end of snippet ---

        output.ToString().Trim().Should().Be("""{"event":"BackupStarted"}""");
        (await queue.GetStatsAsync()).Total.Should().Be(0, "the claimed message was deleted with its claim id");

        // The same lines stand in the repository's README and in the package's.
        foreach (var path in new[] { "README.md", Path.Combine("Marconi.Client", "README.md") })
        {
            var readme = await File.ReadAllTextAsync(Path.Combine(Marconi.Tests.EndToEnd.Readme.RepositoryRoot(), path));
            var snippet = readme[readme.IndexOf("<!-- client-csharp:start -->", StringComparison.Ordinal)..readme.IndexOf("<!-- client-csharp:end -->", StringComparison.Ordinal)];
            var code = snippet.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("```") && !l.StartsWith("<!--")).ToList();
            code.Should().HaveCountLessThanOrEqualTo(10, "the README promises a program of under ten lines");
            code.Should().Equal(
                "using Marconi.Client;",
                $"await using var client = new MarconiClient(\"{ReadmeEndpoint}\", projectId: \"demo-project\");",
                "var queue = await client.CreateQueueAsync(\"demo\");",
                "await queue.PostAsync(new { @event = \"BackupStarted\" }, ttl: 300);",
                "var claim = await queue.ClaimAsync(limit: 5, ttl: 300);",
                "foreach (var message in claim?.Messages ?? []) { Console.WriteLine(message.Body); await message.DeleteAsync(); }");
        }
    }
}
