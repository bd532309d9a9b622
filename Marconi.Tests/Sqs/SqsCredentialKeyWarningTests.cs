using FluentAssertions;
using Xunit;

namespace Marconi.Tests.Sqs;

/// <summary>
/// The host's warning at start when keys are required, the SQS endpoint is on and AWS secret access keys
/// are derived with a credential key kept in the store (Marconi:Auth:AwsCredentialKey not set).
/// </summary>
public sealed class SqsCredentialKeyWarningTests
{
    private const string Warning = "AWS secret access keys (the SQS endpoint's signatures) are derived with a key kept in the store";

    [Theory]
    [InlineData(new[] { "--Marconi:Auth:Mode=keys" }, 1)]
    [InlineData(new[] { "--Marconi:Auth:Mode=keys", "--Marconi:Auth:AwsCredentialKey=kept-outside-the-store" }, 0)]
    [InlineData(new string[0], 0)]
    public async Task TheWarningIsLoggedOnceWhenTheCredentialKeyIsKeptInTheStore(string[] settings, int warnings)
    {
        await using var host = await SqsHostProcess.StartAsync(settings);
        // Logged before the server starts, so in the output once the start-up line is.
        var lines = host.Host.Output.Split('\n').Where(l => l.Contains(Warning, StringComparison.Ordinal)).ToList();
        lines.Should().HaveCount(warnings, host.Host.Output);
        foreach (var line in lines)
        {
            line.Should().MatchRegex(@"\bWRN\b").And.Contain("set Marconi:Auth:AwsCredentialKey to keep it outside");
        }
    }
}
