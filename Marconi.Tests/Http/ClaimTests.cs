using System.Net;
using System.Text.Json;

namespace Marconi.Tests.Http;

/// <summary>Claims (contract 3.16–3.19, 5.4), message deletion with claims (3.14), queue deletion (5.6, 5.7).</summary>
public sealed class ClaimTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private const string Claim60 = """{"ttl":60,"grace":60}""";

    [Fact]
    public async Task ClaimingIs201WithLocationAndTheClaimedMessagesInFifoOrder()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3);

        var response = await client.PostAsync($"/v1/queues/{queue}/claims?limit=2", """{"ttl":300,"grace":60}""");

        var body = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
        var location = response.Location()!;
        location.Should().MatchRegex($"^/v1/queues/{queue}/claims/[A-Za-z0-9_-]{{1,64}}$");
        var claimId = location.Split('/')[^1];
        body.ValueKind.Should().Be(JsonValueKind.Array);
        var messages = body.EnumerateArray().ToList();
        messages.Select(m => m.GetProperty("href").GetString()).Should().Equal(
            $"/v1/queues/{queue}/messages/{ids[0]}?claim_id={claimId}",
            $"/v1/queues/{queue}/messages/{ids[1]}?claim_id={claimId}");
        messages.Should().AllSatisfy(m => m.Members().Should().BeEquivalentTo("href", "ttl", "age", "body"));
        messages[0].GetProperty("body").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task ClaimLimitDefaultsToTen()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 12);
        var (_, claimed) = await client.ClaimAsync(queue);
        claimed.Should().HaveCount(10);
    }

    [Fact]
    public async Task ClaimingTakesOnlyFreeMessagesIncludingTheCallersOwn()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3);
        var (_, first) = await client.ClaimAsync(queue, limit: 2);
        var (_, second) = await client.ClaimAsync(queue, limit: 2);
        first.Should().Equal(ids[0], ids[1]);
        second.Should().Equal(ids[2]);
        await (await client.PostAsync($"/v1/queues/{queue}/claims", Claim60)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ClaimingAnEmptyOrMissingQueueIs204WithoutLocation()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        foreach (var name in new[] { queue, V1Client.NewQueueName() })
        {
            var response = await client.PostAsync($"/v1/queues/{name}/claims", Claim60);
            await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
            response.Headers.Location.Should().BeNull();
        }
    }

    [Theory]
    [InlineData("limit=abc", "{", "Invalid parameter", null)]
    [InlineData("limit=1.0", Claim60, "Invalid parameter", null)]
    [InlineData("", "", "Invalid request body", null)]
    [InlineData("", "[]", "Invalid request body", null)]
    [InlineData("", "{\"ttl\":60}", "Invalid request body", null)]
    [InlineData("", "{\"grace\":60}", "Invalid request body", null)]
    [InlineData("", "{\"ttl\":60,\"grace\":null}", "Invalid request body", null)]
    [InlineData("", "{\"ttl\":60.0,\"grace\":60}", "Invalid request body", null)]
    [InlineData("", "{\"ttl\":\"60\",\"grace\":60}", "Invalid request body", null)]
    [InlineData("", "{\"ttl\":60,\"grace\":99999999999999999999}", "Invalid request body", null)]
    [InlineData("", "{\"ttl\":59,\"grace\":60}", "Invalid API request", "TTL")]
    [InlineData("", "{\"ttl\":43201,\"grace\":60}", "Invalid API request", "TTL")]
    [InlineData("", "{\"ttl\":60,\"grace\":59}", "Invalid API request", "grace")]
    [InlineData("", "{\"ttl\":60,\"grace\":43201}", "Invalid API request", "grace")]
    [InlineData("limit=0", Claim60, "Invalid API request", "Limit")]
    [InlineData("limit=21", Claim60, "Invalid API request", "Limit")]
    [InlineData("limit=99999999999999999999", Claim60, "Invalid API request", "Limit")]
    [InlineData("limit=21", "{\"ttl\":1,\"grace\":1}", "Invalid API request", "TTL")]
    [InlineData("limit=21", "{\"ttl\":60,\"grace\":1}", "Invalid API request", "Limit")]
    public async Task InvalidClaimRequestsAre400InTheContractsOrder(string query, string body, string title, string? mentions)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);

        var response = await client.PostAsync($"/v1/queues/{queue}/claims?{query}", body);

        await response.ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
        if (mentions is not null)
        {
            (await response.JsonAsync()).GetProperty("description").GetString().Should().Contain(mentions);
        }

        (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ClaimWithoutBodyIs400()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.SendAsync(HttpMethod.Post, $"/v1/queues/{queue}/claims"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Fact]
    public async Task ClaimBoundsAreInclusive()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        (await client.PostAsync($"/v1/queues/{queue}/claims?limit=20", """{"ttl":43200,"grace":43200}""")).StatusCode
            .Should().Be(HttpStatusCode.Created);
        await client.PostNumberedAsync(queue, 1);
        (await client.PostAsync($"/v1/queues/{queue}/claims?limit=1", Claim60)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task GettingAClaimShowsExactlyAgeTtlHrefAndMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 2);
        var (claimId, _) = await client.ClaimAsync(queue, ttl: 120, grace: 60);
        factory.Clock.Advance(TimeSpan.FromSeconds(9));

        var path = $"/v1/queues/{queue}/claims/{claimId}";
        var response = await client.GetAsync(path);
        var claim = await response.ShouldBeJsonAsync();
        response.ContentLocation().Should().Be(path);
        claim.Members().Should().BeEquivalentTo("age", "ttl", "href", "messages");
        claim.GetProperty("age").GetInt32().Should().Be(9);
        claim.GetProperty("ttl").GetInt32().Should().Be(120);
        claim.GetProperty("href").GetString().Should().Be(path);
        claim.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()).Should().Equal(
            $"/v1/queues/{queue}/messages/{ids[0]}?claim_id={claimId}", $"/v1/queues/{queue}/messages/{ids[1]}?claim_id={claimId}");
        claim.GetProperty("messages")[0].GetProperty("age").GetInt32().Should().Be(9);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("!!bad!!")]
    public async Task GettingAnUnknownClaimIs404(string claimId)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.GetAsync($"/v1/queues/{queue}/claims/{Uri.EscapeDataString(claimId)}"))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task ClaimsAreUnknownUnderAnotherQueueOrProject()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var other = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var (claimId, _) = await client.ClaimAsync(queue);
        using var stranger = factory.CreateV1Client();
        await stranger.CreateQueueAsync(queue);

        (await client.GetAsync($"/v1/queues/{other}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await stranger.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await stranger.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", Claim60)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await stranger.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AClaimExpiresAfterItsTtlAndItsMessagesBecomeFree()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1, ttl: 600);
        var (claimId, _) = await client.ClaimAsync(queue, ttl: 60, grace: 60);

        factory.Clock.Advance(TimeSpan.FromSeconds(59));
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.OK);
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
        await (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", Claim60)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");

        var listed = await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true")).ShouldBeJsonAsync();
        listed.GetProperty("messages").GetArrayLength().Should().Be(1);
        var (_, again) = await client.ClaimAsync(queue);
        again.Should().Equal(ids);
    }

    [Fact]
    public async Task ClaimingExtendsMessagesThatWouldExpireBeforeTheClaimByTheGrace()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostMessagesAsync(queue, """[{"ttl":60,"body":"short"},{"ttl":1000,"body":"long"}]""");

        var response = await client.PostAsync($"/v1/queues/{queue}/claims", """{"ttl":100,"grace":60}""");
        var claimed = (await response.ShouldBeJsonAsync(HttpStatusCode.Created)).EnumerateArray().ToList();
        claimed.Select(m => m.GetProperty("ttl").GetInt32()).Should().Equal(160, 1000);
        var claimId = response.Location()!.Split('/')[^1];

        factory.Clock.Advance(TimeSpan.FromSeconds(100));
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var message = await (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync();
        message.GetProperty("ttl").GetInt32().Should().Be(160);
        message.GetProperty("age").GetInt32().Should().Be(100);

        factory.Clock.Advance(TimeSpan.FromSeconds(60));
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[1]}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RenewingAClaimResetsItsAgeAndTtlAndExtendsItsMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1, ttl: 60);
        var (claimId, _) = await client.ClaimAsync(queue, ttl: 60, grace: 60);
        factory.Clock.Advance(TimeSpan.FromSeconds(30));

        var response = await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", """{"ttl":300,"grace":10}""");
        await response.ShouldBeEmptyAsync(HttpStatusCode.NoContent);

        factory.Clock.Advance(TimeSpan.FromSeconds(5));
        var claim = await (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync();
        claim.GetProperty("age").GetInt32().Should().Be(5);
        claim.GetProperty("ttl").GetInt32().Should().Be(300);
        claim.GetProperty("messages")[0].GetProperty("ttl").GetInt32().Should().Be(310);

        factory.Clock.Advance(TimeSpan.FromSeconds(200));
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"ttl":60}""")]
    [InlineData("""{"ttl":60,"grace":0}""")]
    [InlineData("""{"ttl":43200,"grace":43200,"other":"ignored"}""")]
    public async Task RenewalGraceIsOptionalFromZero(string body)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var (claimId, _) = await client.ClaimAsync(queue);
        await (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", body)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("", "Invalid request body")]
    [InlineData("{}", "Invalid request body")]
    [InlineData("""{"grace":60}""", "Invalid request body")]
    [InlineData("""{"ttl":null}""", "Invalid request body")]
    [InlineData("""{"ttl":"60"}""", "Invalid request body")]
    [InlineData("""[{"ttl":60}]""", "Invalid request body")]
    [InlineData("""{"ttl":60,"grace":1.5}""", "Invalid request body")]
    [InlineData("""{"ttl":59}""", "Invalid API request")]
    [InlineData("""{"ttl":43201}""", "Invalid API request")]
    [InlineData("""{"ttl":60,"grace":-1}""", "Invalid API request")]
    [InlineData("""{"ttl":60,"grace":43201}""", "Invalid API request")]
    public async Task InvalidRenewalsAre400EvenForUnknownClaims(string body, string title)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var (claimId, _) = await client.ClaimAsync(queue);
        await (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
        await (await client.PatchAsync($"/v1/queues/{queue}/claims/unknown", body)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task RenewingAnUnknownClaimIs404()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.PatchAsync($"/v1/queues/{queue}/claims/unknown", Claim60)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task ReleasingAClaimFreesItsMessagesAtOnce()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 2);
        var (claimId, _) = await client.ClaimAsync(queue);

        await (await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);

        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", Claim60)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var stats = (await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync()).GetProperty("messages");
        stats.GetProperty("claimed").GetInt64().Should().Be(0);
        stats.GetProperty("free").GetInt64().Should().Be(2);
        (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("!!bad!!")]
    public async Task ReleasingAnUnknownClaimIs204(string claimId)
    {
        using var client = factory.CreateV1Client();
        await (await client.DeleteAsync($"/v1/queues/{V1Client.NewQueueName()}/claims/{Uri.EscapeDataString(claimId)}"))
            .ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task AClaimWhoseMessagesWereAllDeletedIsGone()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        var (claimId, ids) = await client.ClaimAsync(queue);

        await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}?claim_id={claimId}");
        var claim = await (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync();
        claim.GetProperty("messages").GetArrayLength().Should().Be(1);

        await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[1]}?claim_id={claimId}");
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", Claim60)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    // Contract 3.14, rows 1–7.

    [Fact]
    public async Task Row1DeletingAMissingMessageIs204WithOrWithoutClaimId()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 2, ttl: 60);
        var (claimId, _) = await client.ClaimAsync(queue, limit: 1);
        await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[1]}");
        factory.Clock.Advance(TimeSpan.FromSeconds(121));

        foreach (var path in new[]
                 {
                     $"/v1/queues/{V1Client.NewQueueName()}/messages/{ids[0]}",
                     $"/v1/queues/{queue}/messages/unknown",
                     $"/v1/queues/{queue}/messages/unknown?claim_id={claimId}",
                     $"/v1/queues/{queue}/messages/{ids[0]}",
                     $"/v1/queues/{queue}/messages/{ids[0]}?claim_id={claimId}",
                     $"/v1/queues/{queue}/messages/{ids[1]}?claim_id=whatever",
                 })
        {
            await (await client.DeleteAsync(path)).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        }
    }

    [Fact]
    public async Task Row2UnclaimedMessageIsDeletedWithoutClaimId()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}?claim_id=")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?claim_id=")]
    public async Task Row3ClaimedMessageCannotBeDeletedWithoutItsClaim(string query)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        await client.ClaimAsync(queue);

        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}{query}"))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Unable to delete");
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Row4ClaimIdForAMessageThatNoLiveClaimHoldsIs400()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3, ttl: 600);
        var (released, _) = await client.ClaimAsync(queue, limit: 1);
        await client.DeleteAsync($"/v1/queues/{queue}/claims/{released}");
        var (expiring, _) = await client.ClaimAsync(queue, limit: 1);
        factory.Clock.Advance(TimeSpan.FromSeconds(60));

        // Never claimed (a fresh message), released, and expired claims.
        var fresh = (await client.PostNumberedAsync(queue, 1))[0];
        foreach (var path in new[]
                 {
                     $"/v1/queues/{queue}/messages/{fresh}?claim_id={released}",
                     $"/v1/queues/{queue}/messages/{ids[0]}?claim_id={released}",
                     $"/v1/queues/{queue}/messages/{ids[0]}?claim_id=unknown",
                     $"/v1/queues/{queue}/messages/{ids[1]}?claim_id={expiring}",
                 })
        {
            await (await client.DeleteAsync(path)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to delete");
        }

        (await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]},{ids[1]},{fresh}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await (await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]},{ids[1]},{fresh}")).JsonAsync())
            .GetArrayLength().Should().Be(3);
    }

    [Fact]
    public async Task Row5MessageIsDeletedWithTheClaimThatHoldsItAndTheClaimLivesOn()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        var (claimId, ids) = await client.ClaimAsync(queue);

        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[0]}?claim_id={claimId}"))
            .ShouldBeEmptyAsync(HttpStatusCode.NoContent);

        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var claim = await (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync();
        claim.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString())
            .Should().Equal($"/v1/queues/{queue}/messages/{ids[1]}?claim_id={claimId}");
    }

    [Fact]
    public async Task Row6ClaimIdThatNamesNoLiveClaimOfTheQueueIs400WhenAnotherClaimHoldsTheMessage()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var other = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2, ttl: 600);
        await client.PostNumberedAsync(other, 1);
        var (released, _) = await client.ClaimAsync(queue, limit: 1);
        await client.DeleteAsync($"/v1/queues/{queue}/claims/{released}");
        var (elsewhere, _) = await client.ClaimAsync(other);
        var (holder, held) = await client.ClaimAsync(queue, ttl: 600, limit: 2);

        foreach (var claimId in new[] { "unknown", "!!bad!!", released, elsewhere })
        {
            await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{held[0]}?claim_id={Uri.EscapeDataString(claimId)}"))
                .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to delete");
        }

        (await client.GetAsync($"/v1/queues/{queue}/claims/{holder}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{held[0]}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Row6ExpiredClaimIdIs400WhenAnotherLiveClaimHoldsTheMessage()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1, ttl: 600);
        var (expired, _) = await client.ClaimAsync(queue, ttl: 60);
        factory.Clock.Advance(TimeSpan.FromSeconds(60));
        var (_, held) = await client.ClaimAsync(queue, ttl: 60);

        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{held[0]}?claim_id={expired}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to delete");
    }

    [Fact]
    public async Task Row7AnotherLiveClaimOfTheQueueCannotDeleteTheMessageIs403()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        var (_, first) = await client.ClaimAsync(queue, limit: 1);
        var (second, _) = await client.ClaimAsync(queue, limit: 1);

        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{first[0]}?claim_id={second}"))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Unable to delete");
        (await client.GetAsync($"/v1/queues/{queue}/messages/{first[0]}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task DeletingAQueueRemovesItsMessagesAndClaimsForGood()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PutAsync($"/v1/queues/{queue}/metadata", """{"a":1}""");
        var ids = await client.PostNumberedAsync(queue, 2);
        var (claimId, _) = await client.ClaimAsync(queue, limit: 1);

        await (await client.DeleteAsync($"/v1/queues/{queue}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);

        (await client.GetAsync($"/v1/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/metadata")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/stats")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        await client.CreateQueueAsync(queue);
        (await (await client.GetAsync($"/v1/queues/{queue}/metadata")).JsonAsync()).GetRawText().Should().Be("{}");
        (await (await client.GetAsync($"/v1/queues/{queue}/stats")).JsonAsync()).GetProperty("messages").GetProperty("total")
            .GetInt64().Should().Be(0);
        foreach (var id in ids)
        {
            (await client.GetAsync($"/v1/queues/{queue}/messages/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await client.DeleteAsync($"/v1/queues/{queue}/messages/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", Claim60)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&include_claimed=true")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var fresh = await client.PostNumberedAsync(queue, 1);
        fresh.Should().NotIntersectWith(ids);
    }

    [Fact]
    public async Task OperationsOnAMissingQueueFollowTable57()
    {
        using var client = factory.CreateV1Client();
        var q = $"/v1/queues/{V1Client.NewQueueName()}";
        var cases = new (HttpMethod Method, string Path, string? Body, HttpStatusCode Status)[]
        {
            (HttpMethod.Get, q, null, HttpStatusCode.NotFound),
            (HttpMethod.Head, q, null, HttpStatusCode.NotFound),
            (HttpMethod.Delete, q, null, HttpStatusCode.NoContent),
            (HttpMethod.Get, q + "/metadata", null, HttpStatusCode.NotFound),
            (HttpMethod.Put, q + "/metadata", "{}", HttpStatusCode.NotFound),
            (HttpMethod.Get, q + "/stats", null, HttpStatusCode.NotFound),
            (HttpMethod.Post, q + "/messages", """[{"ttl":60,"body":1}]""", HttpStatusCode.NotFound),
            (HttpMethod.Get, q + "/messages", null, HttpStatusCode.NoContent),
            (HttpMethod.Get, q + "/messages?ids=a,b", null, HttpStatusCode.NoContent),
            (HttpMethod.Get, q + "/messages/a", null, HttpStatusCode.NotFound),
            (HttpMethod.Delete, q + "/messages/a", null, HttpStatusCode.NoContent),
            (HttpMethod.Delete, q + "/messages?ids=a", null, HttpStatusCode.NoContent),
            (HttpMethod.Post, q + "/claims", Claim60, HttpStatusCode.NoContent),
            (HttpMethod.Get, q + "/claims/c", null, HttpStatusCode.NotFound),
            (HttpMethod.Patch, q + "/claims/c", Claim60, HttpStatusCode.NotFound),
            (HttpMethod.Delete, q + "/claims/c", null, HttpStatusCode.NoContent),
        };

        foreach (var (method, path, body, status) in cases)
        {
            var response = await client.SendAsync(method, path, body);
            response.StatusCode.Should().Be(status, $"{method} {path}");
        }

        (await client.GetAsync(q)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.PutAsync(q)).StatusCode.Should().Be(HttpStatusCode.Created);
    }
}
