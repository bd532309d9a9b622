using System.Globalization;
using Marconi.Tests.EndToEnd;

namespace Marconi.Tests.Metrics;

/// <summary>
/// The README's sqs benchmark command run shortened on the bench the solution build made: every
/// workload through the AWS SDK and through v2, on one server.
/// </summary>
public sealed class SqsBenchTests
{
    [Fact]
    public async Task TheSqsBenchmarkSendsReceivesAndDeletesThroughTheSdkBesideTheV2Api()
    {
        var command = Readme.Block("bench-sqs", "bash").Split('\n').Single(l => l.StartsWith("dotnet", StringComparison.Ordinal));
        const string Long = "--seconds 10 --rounds 3 --fill 400000";
        command.Should().Be(ReadmeBenchTests.Run + " sqs " + Long);

        // One second a row, no warm-up, one round: one server start, two queues filled, six rows, about 15 s.
        var (code, output, error) = await Cli.CliScriptTests.BashAsync($"dotnet '{ReadmeBenchTests.Bench()}' sqs --seconds 1 --rounds 1 --warmup 0");
        code.Should().Be(0, "no receive found its queue empty and every answer was the expected one: " + output + error);
        output.Should().MatchRegex(@"sqs: AWSSDK\.SQS 4\.\d+\.\d+\.\d+ \(one AmazonSQSClient, 16 concurrent loops")
            .And.Contain($"{Environment.ProcessorCount} cores shared by the load generator and the server");

        // | workload | API | msg/s (mean) | msg/s by round | requests/msg | p50 | p99 | server CPU µs/msg | client CPU µs/msg | SDK ÷ v2 msg/s |
        var rows = output.Split('\n').Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .Where(c => c.Length == 12 && c[2] is "SDK" or "v2").ToList();
        rows.Select(c => $"{c[1]} {c[2]}").Should().Equal(
            "send-1 SDK", "send-1 v2", "receive-10+delete-batch SDK", "receive-10+delete-batch v2", "receive-10+delete-each SDK", "receive-10+delete-each v2");
        foreach (var row in rows)
        {
            var name = $"{row[1]} {row[2]}";
            double.Parse(row[3], CultureInfo.InvariantCulture).Should().BePositive(name);
            // One round: its rate is the mean.
            row[4].Should().Be(row[3], name);
            double.Parse(row[6], CultureInfo.InvariantCulture).Should().BeLessThanOrEqualTo(double.Parse(row[7], CultureInfo.InvariantCulture), name);
            double.Parse(row[8], CultureInfo.InvariantCulture).Should().BePositive(name);
            // The SDK row carries its rate over v2's.
            if (row[2] == "SDK")
            {
                double.Parse(row[10], CultureInfo.InvariantCulture).Should().BeApproximately(
                    double.Parse(row[3], CultureInfo.InvariantCulture) / double.Parse(rows[rows.IndexOf(row) + 1][3], CultureInfo.InvariantCulture), 0.02, name);
            }
            else
            {
                row[10].Should().BeEmpty(name);
            }
        }

        // Requests per message say each receive took ten messages: one send per message; a receive and
        // a batch delete per ten; a receive and ten deletes per ten.
        rows.Select(c => c[5]).Should().Equal("1.00", "1.00", "0.20", "0.20", "1.10", "1.10");
    }
}
