using Marconi.Tests.Support;

namespace Marconi.Tests.Metrics;

/// <summary>Bad <c>Marconi:Metrics</c> settings stop the host at start, naming the key.</summary>
public sealed class MetricsConfigurationTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("--Marconi:Metrics:Path=/v2/metrics", "Marconi:Metrics:Path")]
    [InlineData("--Marconi:Metrics:Path=metrics", "Marconi:Metrics:Path")]
    [InlineData("--Marconi:Metrics:Path=/readyz", "Marconi:Metrics:Path")]
    [InlineData("--Marconi:Metrics:TopQueues=-1", "Marconi:Metrics:TopQueues")]
    [InlineData("--Marconi:Metrics:TopQueues=1001", "Marconi:Metrics:TopQueues")]
    [InlineData("--Marconi:Metrics:DepthRefreshSeconds=-1", "Marconi:Metrics:DepthRefreshSeconds")]
    public async Task InvalidMetricsSettingsStopTheHostNamingTheKey(string argument, string key)
    {
        await using var host = HostProcess.Start(_database.Path, [argument]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain(key);
    }
}
