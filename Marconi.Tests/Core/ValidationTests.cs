using System.Text;
using Marconi.Api;
using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;
using Marconi.Core.Validation;

namespace Marconi.Tests.Core;

public sealed class ValidationTests
{
    private static readonly LimitsOptions Limits = new();

    [Theory]
    [InlineData(59, false)]
    [InlineData(60, true)]
    [InlineData(1209600, true)]
    [InlineData(1209601, false)]
    [InlineData(-60, false)]
    public void MessageTtlMustBeWithinItsRange(long ttl, bool valid) =>
        new MessageDocumentValidator(Limits).Validate(new MessageDocument(ttl, "{}")).IsValid.Should().Be(valid);

    [Theory]
    [InlineData(60, 60, 1, null)]
    [InlineData(43200, 43200, 20, null)]
    [InlineData(59, 60, 1, "TTL")]
    [InlineData(43201, 60, 1, "TTL")]
    [InlineData(60, 59, 1, "grace")]
    [InlineData(60, 43201, 1, "grace")]
    [InlineData(60, 60, 0, "Limit")]
    [InlineData(60, 60, 21, "Limit")]
    [InlineData(59, 59, 0, "TTL")]      // TTL is checked first
    [InlineData(60, 59, 21, "Limit")]   // then the limit, then grace
    public void ClaimCreationChecksTtlThenLimitThenGrace(long ttl, long grace, long limit, string? failure)
    {
        var result = new ClaimCreateValidator(Limits).Validate(new ClaimRequest(ttl, grace, limit));
        if (failure is null)
        {
            result.IsValid.Should().BeTrue();
        }
        else
        {
            result.Errors[0].ErrorMessage.Should().Contain(failure);
        }
    }

    [Theory]
    [InlineData(60, 0, true)]
    [InlineData(60, -1, false)]
    [InlineData(60, 43200, true)]
    [InlineData(60, 43201, false)]
    [InlineData(59, 0, false)]
    public void ClaimRenewalAllowsZeroGrace(long ttl, long grace, bool valid) =>
        new ClaimUpdateValidator(Limits).Validate(new ClaimRequest(ttl, grace, 1)).IsValid.Should().Be(valid);

    [Theory]
    [InlineData("a", true)]
    [InlineData("Aa0_-.", true)]
    [InlineData("", false)]
    [InlineData("my q", false)]
    [InlineData("ü", false)]
    [InlineData("a/b", false)]
    public void QueueNamesUseTheContractAlphabet(string name, bool valid) =>
        QueueNames.IsValid(name).Should().Be(valid);

    [Fact]
    public void QueueNamesMayHaveSixtyFourCharactersButNotSixtyFive()
    {
        QueueNames.IsValid(new string('q', 64)).Should().BeTrue();
        QueueNames.IsValid(new string('q', 65)).Should().BeFalse();
    }

    [Fact]
    public void ProjectIdsOver256CharactersAreRejectedOnQueueRoutes()
    {
        var ok = RequestContext.FromHeaders(new string('p', 256), null);
        QueueNames.Validate(ok, "q").Project.Should().HaveLength(256);

        var tooLong = RequestContext.FromHeaders(new string('p', 257), null);
        var act = () => QueueNames.Validate(tooLong, "q");
        act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.InvalidQueueIdTitle);
    }

    [Theory]
    [InlineData("3381af92-2b9e-11e3-b191-71861300734c")]
    [InlineData("3381af922b9e11e3b19171861300734c")]
    [InlineData("{3381AF92-2B9E-11E3-B191-71861300734C}")]
    [InlineData("urn:uuid:3381af92-2b9e-11e3-b191-71861300734c")]
    [InlineData("URN:UUID:{3381af92-2b9e-11e3-b191-71861300734c}")]
    public void ClientIdsAcceptEveryUuidSpelling(string value)
    {
        ClientIds.TryParse(value, out var id).Should().BeTrue();
        id.Should().Be(Guid.Parse("3381af92-2b9e-11e3-b191-71861300734c"));
    }

    [Theory]
    [InlineData("1234")]
    [InlineData("aa2-bb3")]
    [InlineData("0xdeadbeef")]
    [InlineData("")]
    [InlineData("3381af922b9e11e3b19171861300734")]
    [InlineData("3381af922b9e11e3b19171861300734cc")]
    [InlineData("3381af922b9e11e3b19171861300734g")]
    public void ClientIdsRejectAnythingElse(string value)
    {
        ClientIds.TryParse(value, out _).Should().BeFalse();
        var act = () => RequestContext.FromHeaders(null, value);
        act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.WrongUuidTitle);
    }

    [Fact]
    public void ClientIdIsCheckedBeforeTheEmptyProject()
    {
        var act = () => RequestContext.FromHeaders("", "nope");
        act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.WrongUuidTitle);
        var empty = () => RequestContext.FromHeaders("", null);
        empty.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.EmptyProjectTitle);
    }

    [Theory]
    [InlineData("5", 5L)]
    [InlineData("+5", 5L)]
    [InlineData("-5", -5L)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("99999999999999999999", long.MaxValue)]
    [InlineData("-99999999999999999999", long.MinValue)]
    public void IntegerParametersFollowTheContract(string? value, long? expected) =>
        QueryParameters.Integer("limit", value).Should().Be(expected);

    [Theory]
    [InlineData("abc")]
    [InlineData("5.0")]
    [InlineData("+")]
    [InlineData(" 5")]
    [InlineData("0x10")]
    public void NonIntegerParametersAreInvalid(string value)
    {
        var act = () => QueryParameters.Integer("limit", value);
        act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.InvalidParameterTitle);
    }

    [Theory]
    [InlineData("true", true)] [InlineData("True", true)] [InlineData("t", true)] [InlineData("yes", true)]
    [InlineData("y", true)] [InlineData("1", true)] [InlineData("on", true)]
    [InlineData("false", false)] [InlineData("False", false)] [InlineData("f", false)] [InlineData("no", false)]
    [InlineData("n", false)] [InlineData("0", false)] [InlineData("off", false)]
    public void BooleanParametersAcceptEverySpelling(string value, bool expected) =>
        QueryParameters.Boolean("echo", value).Should().Be(expected);

    [Theory]
    [InlineData("maybe")]
    [InlineData("TRUE")]
    [InlineData("2")]
    public void OtherBooleanSpellingsAreInvalid(string value)
    {
        var act = () => QueryParameters.Boolean("echo", value);
        act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.InvalidParameterTitle);
    }

    [Fact]
    public void IdListsDropEmptyItemsAndKeepDuplicates() =>
        QueryParameters.IdList(["a,b,,a", "", "c", null]).Should().Equal("a", "b", "a", "c");

    [Theory]
    [InlineData(1, true)]
    [InlineData(20, true)]
    [InlineData(0, false)]
    [InlineData(21, false)]
    [InlineData(long.MaxValue, false)]
    public void LimitsAreBetweenOneAndTheMaximum(long value, bool valid)
    {
        var act = () => PageLimit.Resolve(value, 10, 20);
        if (valid)
        {
            act().Should().Be((int)value);
        }
        else
        {
            act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.InvalidApiRequestTitle);
        }
    }

    [Theory]
    [InlineData("[1]", true)]
    [InlineData("{\"a\":9223372036854775807}", true)]
    [InlineData("{\"a\":-9223372036854775808}", true)]
    [InlineData("{\"a\":9223372036854775808}", false)]
    [InlineData("[{\"b\":[-9223372036854775809]}]", false)]
    [InlineData("{\"a\":1e400}", true)]
    [InlineData("{\"a\":99999999999999999999.5}", true)]
    [InlineData("\"text\"", false)]
    [InlineData("42", false)]
    [InlineData("null", false)]
    [InlineData("true", false)]
    [InlineData("", false)]
    [InlineData("{", false)]
    [InlineData("{\"a\":1,}", false)]
    public void BodiesMustBeJsonObjectsOrArraysWith64BitIntegers(string json, bool valid)
    {
        var act = () => JsonBody.Parse(Encoding.UTF8.GetBytes(json)).Dispose();
        if (valid)
        {
            act.Should().NotThrow();
        }
        else
        {
            act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.InvalidRequestBodyTitle);
        }
    }

    [Fact]
    public void InvalidUtf8IsNotJson()
    {
        var act = () => JsonBody.Parse(new byte[] { (byte)'[', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)']' }).Dispose();
        act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.InvalidRequestBodyTitle);
    }

    [Theory]
    [InlineData("{\"ttl\":60}", 60L)]
    [InlineData("{\"ttl\":1,\"ttl\":60}", 60L)]
    public void IntegerFieldsTakeTheLastDuplicate(string json, long expected)
    {
        using var document = JsonBody.Parse(Encoding.UTF8.GetBytes(json));
        JsonBody.Integer(document.RootElement, "ttl", required: true).Should().Be(expected);
    }

    [Theory]
    [InlineData("{\"ttl\":60.0}")]
    [InlineData("{\"ttl\":6e1}")]
    [InlineData("{\"ttl\":\"60\"}")]
    [InlineData("{\"ttl\":true}")]
    [InlineData("{\"ttl\":null}")]
    [InlineData("{}")]
    public void IntegerFieldsMustBeIntegerLiterals(string json)
    {
        using var document = JsonBody.Parse(Encoding.UTF8.GetBytes(json));
        var act = () => JsonBody.Integer(document.RootElement, "ttl", required: true);
        act.Should().Throw<MarconiException>().Which.Title.Should().Be(Errors.InvalidRequestBodyTitle);
    }

    [Fact]
    public async Task BodySizeIsCheckedOnTheBytesAsSent()
    {
        var atLimit = new byte[100];
        atLimit.AsSpan().Fill((byte)' ');
        atLimit[0] = (byte)'{';
        atLimit[^1] = (byte)'}';
        (await JsonBody.ReadAsync(new MemoryRequestBody(atLimit), 100, "too large", default)).Dispose();

        var over = new byte[101];
        over.AsSpan().Fill((byte)' ');
        over[0] = (byte)'{';
        over[^1] = (byte)'}';
        var act = async () => (await JsonBody.ReadAsync(new MemoryRequestBody(over), 100, "too large", default)).Dispose();
        (await act.Should().ThrowAsync<MarconiException>()).Which.Title.Should().Be(Errors.InvalidApiRequestTitle);

        var missing = async () => (await JsonBody.ReadAsync(new MemoryRequestBody(null), 100, "too large", default)).Dispose();
        (await missing.Should().ThrowAsync<MarconiException>()).Which.Title.Should().Be(Errors.InvalidRequestBodyTitle);
    }

    [Fact]
    public void DefaultLimitsAreValidAndMessagesNameTheKey()
    {
        var validator = new LimitsOptionsValidator();
        validator.Validate(new LimitsOptions()).IsValid.Should().BeTrue();

        var result = validator.Validate(new LimitsOptions { MaxMessagesPerPage = 0, DefaultMessagesPerPage = 10, MaxClaimTtl = 59 });
        result.Errors.Select(e => e.ErrorMessage).Should().Contain(m => m.Contains("Marconi:Limits:MaxMessagesPerPage"))
            .And.Contain(m => m.Contains("Marconi:Limits:DefaultMessagesPerPage"))
            .And.Contain(m => m.Contains("Marconi:Limits:MaxClaimTtl"));
    }
}
