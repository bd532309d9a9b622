using Marconi.Core.Storage;

namespace Marconi.Tests.Core;

/// <summary>
/// The public id and marker formats every driver issues: what they look like, that they read back,
/// and that anything else is refused (so a lookup with it is simply "not found").
/// </summary>
public sealed class IdsTests
{
    [Theory]
    [InlineData(1L, "0000000000000001")]
    [InlineData(0xabcdefL, "0000000000abcdef")]
    [InlineData(long.MaxValue, "7fffffffffffffff")]
    public void AMessageIdIsItsMarkerIn16LowerHexDigits(long marker, string id)
    {
        Ids.MessageId(marker).Should().Be(id);
        Ids.TryParseMessageId(id, out var parsed).Should().BeTrue();
        parsed.Should().Be(marker);
    }

    [Theory]
    [InlineData("0000000000000000")] // markers start at 1
    [InlineData("000000000000000A")] // upper case is another id
    [InlineData("00000000000000001")]
    [InlineData("000000000000001")]
    [InlineData("ffffffffffffffff")] // negative
    [InlineData("-000000000000001")]
    [InlineData("")]
    public void AnythingElseIsNoMessageId(string id) =>
        Ids.TryParseMessageId(id, out _).Should().BeFalse();

    [Fact]
    public void AClaimIdIsItsRowAndA32BitSalt()
    {
        var salt = Ids.NewSalt();
        salt.Should().BeInRange(0, uint.MaxValue);
        var id = Ids.ClaimId(42, salt);

        id.Should().HaveLength(24).And.StartWith("000000000000002a");
        Ids.TryParseClaimId(id, out var claim, out var parsedSalt).Should().BeTrue();
        (claim, parsedSalt).Should().Be((42L, salt));
        Ids.TryParseClaimId(id[..^1], out _, out _).Should().BeFalse();
        Ids.TryParseClaimId(id.ToUpperInvariant(), out _, out _).Should().BeFalse("upper case is another id");
        Ids.TryParseClaimId(null, out _, out _).Should().BeFalse();
        Ids.TryParseClaimId(Ids.ClaimId(0, salt), out _, out _).Should().BeFalse("rows start at 1");
    }

    [Fact]
    public void ASubscriptionIdIsItsRowAnd64RandomBits()
    {
        var salts = Enumerable.Range(0, 8).Select(_ => Ids.NewSubscriptionSalt()).ToList();
        salts.Distinct().Should().HaveCount(8);
        var id = Ids.SubscriptionId(7, salts[0]);

        id.Should().HaveLength(32).And.StartWith("0000000000000007");
        Ids.TryParseSubscriptionId(id, out var seq, out var salt).Should().BeTrue();
        (seq, salt).Should().Be((7L, salts[0]));
        Ids.TryParseSubscriptionId(Ids.ClaimId(7, 1), out _, out _).Should().BeFalse("a claim id is not a subscription id");
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("17", 17L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void AMarkerIsDecimal(string marker, long value)
    {
        Ids.TryParseMarker(marker, out var parsed).Should().BeTrue();
        parsed.Should().Be(value);
        Ids.Marker(value).Should().Be(marker);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1e3")]
    [InlineData(" 1")]
    [InlineData("١")] // a digit, but not an ASCII one
    [InlineData("9223372036854775808")]
    public void AnythingElseIsNoMarker(string marker) =>
        Ids.TryParseMarker(marker, out _).Should().BeFalse();
}
