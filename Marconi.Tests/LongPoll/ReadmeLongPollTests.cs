using System.Globalization;
using System.Text.RegularExpressions;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Support;

namespace Marconi.Tests.LongPoll;

/// <summary>The README's curl long-poll, run verbatim against the real host process, prints what the README says.</summary>
public sealed partial class ReadmeLongPollTests
{
    [Fact]
    public async Task TheCurlLongPollPrintsTheMessageAndHowLongEachClaimWaited()
    {
        using var database = new TempDatabase();

        var lines = await Readme.RunAgainstServerAsync("consume-curl", database.Path);

        var promised = Readme.PromisedOutput("consume-curl");
        lines.Should().HaveSameCount(promised);
        lines[0].Should().MatchRegex("""^\{"messages":\[\{"id":"[0-9a-f]+","href":"/v2/queues/jobs/messages/[0-9a-f]+\?claim_id=[0-9a-f]+","ttl":3600,"age":\d+,"body":\{"job": 42\}\}\]\}$""");
        Seconds(lines[1], "201").Should().BeInRange(0.9, 10, "the claim waited for the post a second later, not for its 20 s");
        Seconds(lines[2], "204").Should().BeInRange(1.9, 10, "the empty claim waited its 2 s");
    }

    private static double Seconds(string line, string status)
    {
        var match = Took().Match(line);
        match.Success.Should().BeTrue(line);
        match.Groups[1].Value.Should().Be(status);
        return double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(\d{3}) after (\d+\.\d+) s$")]
    private static partial Regex Took();
}
