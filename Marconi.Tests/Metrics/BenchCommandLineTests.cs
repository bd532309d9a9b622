namespace Marconi.Tests.Metrics;

/// <summary>
/// The bench's command line, on the bench the solution build made: seconds may be fractional for every
/// verb, and a value it cannot use stops it with one line naming the option, not a stack trace.
/// </summary>
public sealed class BenchCommandLineTests
{
    [Theory]
    [InlineData("post --seconds abc", "--seconds abc")]
    [InlineData("api --seconds 0", "--seconds 0")]
    [InlineData("post --clients 1,x", "--clients x")]
    [InlineData("sqs --seconds 0,5", "--seconds 0,5")]
    [InlineData("consume --interval -1", "--interval -1")]
    [InlineData("perf --rounds many", "--rounds many")]
    [InlineData("stores --warmup NaN", "--warmup NaN")]
    [InlineData("metrics lots", "CALLS lots")]
    public async Task ABadValueIsOneLineNamingTheOption(string arguments, string named)
    {
        var (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{ReadmeBenchTests.Bench()}' {arguments}");
        code.Should().Be(2, output + error);
        error.TrimEnd().Should().NotContain("\n").And.StartWith($"bench {arguments.Split(' ')[0]}: {named}: expected ");
        output.Should().BeEmpty();
    }

    [Fact]
    public async Task HalfASecondARowIsAccepted()
    {
        // One workload, no warm-up, one round: one server start and two half-second rows.
        var (code, output, error) = await Cli.CliScriptTests.BashAsync(
            $"dotnet '{ReadmeBenchTests.Bench()}' sqs --seconds 0.5 --rounds 1 --warmup 0 --only send-1");
        code.Should().Be(0, output + error);
        output.Should().Contain("0.5 s per row after 0 s of warm-up");
        output.Split('\n').Where(l => l.StartsWith("| send-1 |", StringComparison.Ordinal)).Should().HaveCount(2);
    }
}
