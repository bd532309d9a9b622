using Marconi.Tests.EndToEnd;
using Marconi.Tests.Support;

namespace Marconi.Tests.Metrics;

/// <summary>The README's probes and scrape, run verbatim (but for the address) against the real server process.</summary>
public sealed class ReadmeOperatingTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task TheProbesAndTheScrapeOfTheReadmeAnswerAsItSays()
    {
        var lines = await Readme.RunAgainstServerAsync("operating-metrics", _database.Path);
        lines[0].Should().Be("Healthy");
        lines[1].Should().Be("Healthy");
        lines[2].Should().StartWith("""{"resources":["/v1/queues/demo/messages/""");
        // The harness's own wait for the server asked /v1/health, which the README's reader did not.
        lines[3..].Where(l => !l.Contains("operation=\"check_node_health\"", StringComparison.Ordinal)).Should().Equal(Readme.PromisedOutput("operating-metrics"));
    }
}
