using System.Net;
using System.Text;
using System.Text.Json;

namespace Marconi.Tests.Http;

/// <summary>
/// A contract review (v1.md Part I): edge cases of query parameters, bodies, precedence, hrefs,
/// claim arithmetic and stats that the other HTTP test classes do not pin down.
/// </summary>
public sealed class ContractReviewTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    // ---------------------------------------------------------------- 1.5 bodies

    /// <summary>1.5 / 2.1: any valid JSON body round-trips; nesting depth is not a contract limit.</summary>
    [Fact]
    public async Task DeeplyNestedMessageBodyIsAcceptedAndRoundTrips()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var body = new string('[', 100) + "1" + new string(']', 100);
        var response = await client.PostAsync($"/v1/queues/{queue}/messages", $$"""[{"ttl":60,"body":{{body}}}]""");
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var id = (await response.JsonAsync()).GetProperty("resources")[0].GetString()!.Split('/')[^1];
        var got = await (await client.GetAsync($"/v1/queues/{queue}/messages/{id}")).ShouldBeJsonAsync();
        got.GetProperty("body").GetRawText().Should().Be(body);
    }

    /// <summary>1.5: metadata is any JSON object; nesting depth is not a contract limit.</summary>
    [Fact]
    public async Task DeeplyNestedMetadataIsAccepted()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var metadata = "{\"a\":" + new string('[', 80) + new string(']', 80) + "}";
        (await client.PutAsync($"/v1/queues/{queue}/metadata", metadata)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await client.GetAsync($"/v1/queues/{queue}/metadata")).ShouldBeJsonAsync()).GetRawText().Should().Be(metadata);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("1E+2")]
    [InlineData("123456789012345678901234567890.5")]
    [InlineData("9223372036854775807")]
    [InlineData("\"\\u0000\\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\\u00e9\"")]
    [InlineData("\"\\ud800\"")]
    [InlineData("{\"a\":1,\"a\":2}")]
    [InlineData("{\"\":[{},[],\"\"]}")]
    [InlineData("\"\u2028\u2029</script>\"")]
    public async Task MessageBodyEdgeCasesRoundTripAsSent(string body)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostMessagesAsync(queue, $$"""[{"ttl":60,"body":{{body}}}]""");
        var got = await (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync();
        got.GetProperty("body").GetRawText().Should().Be(body);
    }

    [Theory]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("{\"n\":[1,2,100000000000000000000]}")]
    public async Task IntegersOutside64BitsAnywhereInTheBodyAre400(string body)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.PostAsync($"/v1/queues/{queue}/messages", $$"""[{"ttl":60,"body":{{body}}}]"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Theory]
    [InlineData("[{\"ttl\":60,\"body\":1}] [1]")]
    [InlineData("[{\"ttl\":60,\"body\":1},]")]
    [InlineData("[{\"ttl\":60,\"body\":1}] // c")]
    [InlineData("[{'ttl':60,'body':1}]")]
    [InlineData("[{\"ttl\":60,\"body\":NaN}]")]
    [InlineData("{\"ttl\":60,\"body\":1}")]
    [InlineData("\"[]\"")]
    [InlineData("[{\"ttl\":60,\"body\":1,\"ttl\":\"60\"}]")]
    [InlineData("[{\"ttl\":6e1,\"body\":1}]")]
    [InlineData("[{\"ttl\":-0.0,\"body\":1}]")]
    [InlineData("[{\"ttl\":60}]")]
    [InlineData("[{\"ttl\":60,\"body\":1},2]")]
    [InlineData("[{\"ttl\":1,\"body\":1},{\"ttl\":\"x\",\"body\":1}]")]
    public async Task MalformedMessagePostsAre400InvalidRequestBody(string body)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.PostAsync($"/v1/queues/{queue}/messages", body))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
    }

    [Fact]
    public async Task ByteOrderMarkBeforeTheBodyIsAccepted()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var request = client.Request(HttpMethod.Post, $"/v1/queues/{queue}/messages");
        request.Content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. """[{"ttl":60,"body":"x"}]"""u8.ToArray()]);
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    /// <summary>1.5: sizes are bytes as sent; multi-byte UTF-8 counts per byte.</summary>
    [Fact]
    public async Task MetadataSizeCountsUtf8BytesNotCharacters()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        // {"k":"…"} is 8 bytes of frame; each é is 2 bytes.
        var exact = "{\"k\":\"" + new string('\u00e9', (65536 - 8) / 2) + "\"}";
        Encoding.UTF8.GetByteCount(exact).Should().Be(65536);
        (await client.PutAsync($"/v1/queues/{queue}/metadata", exact)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await (await client.GetAsync($"/v1/queues/{queue}/metadata")).ShouldBeJsonAsync()).GetProperty("k").GetString()!
            .Length.Should().Be((65536 - 8) / 2);

        var over = "{\"k\":\"" + new string('\u00e9', (65536 - 8) / 2) + "x\"}";
        await (await client.PutAsync($"/v1/queues/{queue}/metadata", over))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Fact]
    public async Task MessagePostSizeCountsUtf8BytesNotCharacters()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        const string frame = "[{\"ttl\":60,\"body\":\"\"}]";
        var snowmen = (262144 - frame.Length) / 3; // U+2603 is 3 bytes
        var pad = 262144 - frame.Length - snowmen * 3;
        var exact = "[{\"ttl\":60,\"body\":\"" + new string('\u2603', snowmen) + new string('x', pad) + "\"}]";
        Encoding.UTF8.GetByteCount(exact).Should().Be(262144);
        (await client.PostAsync($"/v1/queues/{queue}/messages", exact)).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await client.PostAsync($"/v1/queues/{queue}/messages", exact.Replace("\"}]", "y\"}]")))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    /// <summary>
    /// 3.16 / 3.18: "Other members are ignored"; no size limit applies to claim documents, so a
    /// claim body with a large ignored member is still a valid claim request (the server bounds
    /// what it reads by the message post size).
    /// </summary>
    [Fact]
    public async Task ClaimDocumentsWithLargeIgnoredMembersAreAccepted()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var padding = new string('x', 70000);
        var create = await client.PostAsync($"/v1/queues/{queue}/claims", $$"""{"ttl":60,"grace":60,"note":"{{padding}}"}""");
        create.StatusCode.Should().Be(HttpStatusCode.Created, await create.Content.ReadAsStringAsync());
        var claimId = create.Location()!.Split('/')[^1];
        var patch = await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", $$"""{"ttl":60,"note":"{{padding}}"}""");
        patch.StatusCode.Should().Be(HttpStatusCode.NoContent, await patch.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("HEAD", "")]
    [InlineData("DELETE", "")]
    [InlineData("GET", "/stats")]
    [InlineData("GET", "/metadata")]
    [InlineData("GET", "/messages?echo=true")]
    public async Task BodiesOnEndpointsThatIgnoreThemAreIgnored(string method, string suffix)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var request = client.Request(new HttpMethod(method), $"/v1/queues/{queue}{suffix}", "{not json at all", "text/plain");
        var response = await client.SendAsync(request);
        ((int)response.StatusCode).Should().BeOneOf(200, 204);
    }

    [Fact]
    public async Task BodiesOnMessageAndClaimEndpointsThatIgnoreThemAreIgnored()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3);
        var (claimId, _) = await client.ClaimAsync(queue, limit: 1);
        const string junk = "<xml/>";

        (await client.SendAsync(client.Request(HttpMethod.Get, $"/v1/queues/{queue}/messages/{ids[1]}", junk))).StatusCode
            .Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(client.Request(HttpMethod.Get, $"/v1/queues/{queue}/messages?ids={ids[1]}", junk))).StatusCode
            .Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(client.Request(HttpMethod.Get, $"/v1/queues/{queue}/claims/{claimId}", junk))).StatusCode
            .Should().Be(HttpStatusCode.OK);
        (await client.SendAsync(client.Request(HttpMethod.Delete, $"/v1/queues/{queue}/messages/{ids[1]}", junk))).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
        (await client.SendAsync(client.Request(HttpMethod.Delete, $"/v1/queues/{queue}/messages?ids={ids[2]}", junk))).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
        (await client.SendAsync(client.Request(HttpMethod.Delete, $"/v1/queues/{queue}/claims/{claimId}", junk))).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
        (await client.SendAsync(client.Request(HttpMethod.Get, "/v1/health", junk))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await client.SendAsync(client.Request(HttpMethod.Get, "/v1/queues", junk))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    // ---------------------------------------------------------------- 1.4 query parameters

    /// <summary>1.4: an empty value is treated as absent, so it does not override an earlier value.</summary>
    [Fact]
    public async Task AnEmptyRepeatedValueIsAbsentAndDoesNotOverrideAnEarlierValue()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.GetAsync($"/v1/queues/{queue}/messages?limit=abc&limit="))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
    }

    [Fact]
    public async Task TheLastOfRepeatedScalarParametersWins()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        client.ClientId = Guid.NewGuid().ToString();
        await client.PostNumberedAsync(queue, 5);
        client.ClientId = Guid.NewGuid().ToString();
        var page = await (await client.GetAsync($"/v1/queues/{queue}/messages?limit=abc&limit=2")).ShouldBeJsonAsync();
        page.GetProperty("messages").GetArrayLength().Should().Be(2);
        await (await client.GetAsync($"/v1/queues/{queue}/messages?limit=2&limit=abc"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
        await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&echo=maybe"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
    }

    [Fact]
    public async Task QueryParameterNamesAreCaseSensitiveAndPercentDecodedValuesAreUsed()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        client.ClientId = Guid.NewGuid().ToString();
        await client.PostNumberedAsync(queue, 3);
        client.ClientId = Guid.NewGuid().ToString();

        (await client.GetAsync($"/v1/queues/{queue}/messages?LIMIT=abc&Echo=maybe")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/v1/queues?Limit=abc&DETAILED=maybe")).StatusCode.Should().Be(HttpStatusCode.OK);
        var page = await (await client.GetAsync($"/v1/queues/{queue}/messages?limit=%32")).ShouldBeJsonAsync();
        page.GetProperty("messages").GetArrayLength().Should().Be(2);
        var signed = await (await client.GetAsync($"/v1/queues/{queue}/messages?limit=%2B1")).ShouldBeJsonAsync();
        signed.GetProperty("messages").GetArrayLength().Should().Be(1);
    }

    /// <summary>
    /// 1.4: values are percent-decoded, and an integer is "an optional sign followed by decimal
    /// digits"; a literal '+' in the query is the sign, not a form-encoded space.
    /// </summary>
    [Fact]
    public async Task APlusSignInTheQueryIsTheIntegerSign()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        client.ClientId = Guid.NewGuid().ToString();
        await client.PostNumberedAsync(queue, 3);
        client.ClientId = Guid.NewGuid().ToString();
        var response = await client.GetAsync($"/v1/queues/{queue}/messages?limit=+2");
        var page = await response.ShouldBeJsonAsync();
        page.GetProperty("messages").GetArrayLength().Should().Be(2);
    }

    [Theory]
    [InlineData("/v1/queues?limit=99999999999999999999999")]
    [InlineData("/v1/queues?limit=-99999999999999999999999")]
    [InlineData("/v1/queues/QUEUE/messages?limit=18446744073709551616")]
    public async Task HugeIntegersAreRangeErrorsNot500(string uri)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.GetAsync(uri.Replace("QUEUE", queue)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PostAsync($"/v1/queues/{queue}/claims?limit=99999999999999999999", """{"ttl":60,"grace":60}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }

    [Theory]
    [InlineData("limit=1.0")]
    [InlineData("limit=0x10")]
    [InlineData("limit=1e1")]
    [InlineData("limit=%20")]
    [InlineData("limit=-")]
    [InlineData("limit=%EF%BC%91")]
    public async Task NonIntegerClaimLimitsAre400InvalidParameterBeforeTheBody(string query)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.PostAsync($"/v1/queues/{queue}/claims?{query}", "not json"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
    }

    [Fact]
    public async Task IdsArePercentDecodedBeforeSplittingAndRepeatedListsConcatenate()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 3);
        var got = await (await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[2]}%2C{ids[0]}&ids=,,{ids[1]},"))
            .ShouldBeJsonAsync();
        got.EnumerateArray().Select(m => m.GetProperty("body").GetInt32()).Should().Equal(0, 1, 2);
    }

    [Fact]
    public async Task GetManyIgnoresAndDoesNotValidateOtherParametersNorNeedsClientId()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        client.ClientId = null;
        var response = await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]}&limit=abc&echo=maybe&include_claimed=x&marker=zz");
        (await response.ShouldBeJsonAsync()).GetArrayLength().Should().Be(1);
    }

    [Theory]
    [InlineData("?ids=,")]
    [InlineData("?ids=,&ids=")]
    public async Task DeleteManyWithIdsThatSplitToNothingIsInvalidApiRequest(string query)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages{query}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages?ids=&ids="))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing parameter");
    }

    // ---------------------------------------------------------------- 1.6 headers and hrefs

    [Fact]
    public async Task ContentLocationCarriesTheQueryStringExactlyAsReceived()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        client.ClientId = Guid.NewGuid().ToString();
        var ids = await client.PostNumberedAsync(queue, 2);
        client.ClientId = Guid.NewGuid().ToString();
        var (claimId, claimed) = await client.ClaimAsync(queue, limit: 1);

        const string odd = "z=%2C+b%20&limit=2&&x";
        var list = await client.GetAsync($"/v1/queues/{queue}/messages?{odd}");
        list.StatusCode.Should().Be(HttpStatusCode.OK);
        list.ContentLocation().Should().Be($"/v1/queues/{queue}/messages?{odd}");

        var empty = await client.GetAsync($"/v1/queues/{queue}/messages?marker=99999999999&{odd}");
        await empty.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        empty.ContentLocation().Should().Be($"/v1/queues/{queue}/messages?marker=99999999999&{odd}");

        var many = await client.GetAsync($"/v1/queues/{queue}/messages?ids={ids[0]}%2c{ids[1]}&{odd}");
        many.ContentLocation().Should().Be($"/v1/queues/{queue}/messages?ids={ids[0]}%2c{ids[1]}&{odd}");

        var one = await client.GetAsync($"/v1/queues/{queue}/messages/{claimed[0]}?claim_id={claimId}&{odd}");
        one.ContentLocation().Should().Be($"/v1/queues/{queue}/messages/{claimed[0]}?claim_id={claimId}&{odd}");

        var claim = await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}?{odd}");
        claim.ContentLocation().Should().Be($"/v1/queues/{queue}/claims/{claimId}?{odd}");
        (await claim.JsonAsync()).GetProperty("href").GetString().Should().Be($"/v1/queues/{queue}/claims/{claimId}");

        var queues = await client.GetAsync($"/v1/queues?{odd}");
        queues.ContentLocation().Should().Be($"/v1/queues?{odd}");
    }

    /// <summary>1.6: over the wire, percent-escapes of unreserved characters are kept as sent.</summary>
    [Fact]
    public async Task ContentLocationKeepsTheRawQueryOverTheWire()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var target = $"/v1/queues/{queue}/messages?echo=%74rue&limit=%31&x=%7e%2B+";
        var raw = await factory.SendRawAsync(Encoding.ASCII.GetBytes(
            $"GET {target} HTTP/1.1\r\nHost: test\r\nX-Project-Id: {client.Project}\r\nClient-ID: {client.ClientId}\r\nConnection: close\r\n\r\n"),
            halfClose: false);
        raw.Should().StartWith("HTTP/1.1 200").And.Contain($"Content-Location: {target}\r\n");
    }

    [Fact]
    public async Task NextLinksCarryParsedValuesOfTheParametersTheRequestCarried()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.CreateQueueAsync("zz-" + queue);
        var ids = await client.PostNumberedAsync(queue, 3);

        var page = await (await client.GetAsync($"/v1/queues/{queue}/messages?limit=%2B02&echo=yes&include_claimed=0&marker=&other=1"))
            .ShouldBeJsonAsync();
        page.GetProperty("messages").GetArrayLength().Should().Be(2);
        var href = page.GetProperty("links")[0].GetProperty("href").GetString()!;
        href.Should().StartWith($"/v1/queues/{queue}/messages?");
        var query = ParseQuery(href);
        query.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["limit"] = "2",
            ["echo"] = "true",
            ["include_claimed"] = "false",
            ["marker"] = query["marker"],
        });

        var next = await (await client.GetAsync(href)).ShouldBeJsonAsync();
        next.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('/')[^1])
            .Should().Equal(ids[2]);

        var queues = await (await client.GetAsync("/v1/queues?limit=001&detailed=True")).ShouldBeJsonAsync();
        var queuesHref = queues.GetProperty("links")[0].GetProperty("href").GetString()!;
        queuesHref.Should().StartWith("/v1/queues?");
        ParseQuery(queuesHref).Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["limit"] = "1",
            ["detailed"] = "true",
            ["marker"] = queue,
        });

        var plain = await (await client.GetAsync("/v1/queues")).ShouldBeJsonAsync();
        ParseQuery(plain.GetProperty("links")[0].GetProperty("href").GetString()!).Keys.Should().Equal("marker");
    }

    [Fact]
    public async Task MessagesPostedTogetherAreListedTogetherAcrossPages()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 7);
        var seen = new List<string>();
        var href = $"/v1/queues/{queue}/messages?echo=true&limit=3";
        while (true)
        {
            var response = await client.GetAsync(href);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                break;
            }

            var page = await response.ShouldBeJsonAsync();
            seen.AddRange(page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('/')[^1]));
            href = page.GetProperty("links")[0].GetProperty("href").GetString()!;
        }

        seen.Should().Equal(ids);
    }

    // ---------------------------------------------------------------- 1.7 precedence on every route

    public static TheoryData<string, string> QueueRoutes() => new()
    {
        { "PUT", "/v1/queues/bad!q" },
        { "GET", "/v1/queues/bad!q" },
        { "DELETE", "/v1/queues/bad!q" },
        { "GET", "/v1/queues/bad!q/metadata" },
        { "PUT", "/v1/queues/bad!q/metadata" },
        { "GET", "/v1/queues/bad!q/stats" },
        { "POST", "/v1/queues/bad!q/messages" },
        { "GET", "/v1/queues/bad!q/messages" },
        { "DELETE", "/v1/queues/bad!q/messages" },
        { "GET", "/v1/queues/bad!q/messages/x" },
        { "DELETE", "/v1/queues/bad!q/messages/x" },
        { "POST", "/v1/queues/bad!q/claims" },
        { "GET", "/v1/queues/bad!q/claims/x" },
        { "PATCH", "/v1/queues/bad!q/claims/x" },
        { "DELETE", "/v1/queues/bad!q/claims/x" },
    };

    /// <summary>1.7: each check wins over every later one, on every route with a queue name.</summary>
    [Theory]
    [MemberData(nameof(QueueRoutes))]
    public async Task PrecedenceHoldsOnEveryQueueRoute(string method, string path)
    {
        using var client = factory.CreateV1Client();
        HttpRequestMessage Build(bool form, bool badAccept, bool badClient, bool emptyProject, bool longProject)
        {
            client.Project = emptyProject ? "" : longProject ? new string('p', 257) : "precedence";
            client.ClientId = badClient ? "not-a-uuid" : null;
            var request = client.Request(new HttpMethod(method), path + "?limit=abc", "x", form ? "application/x-www-form-urlencoded" : null);
            if (badAccept)
            {
                request.Headers.TryAddWithoutValidation("Accept", "application/xml");
            }

            return request;
        }

        await (await client.SendAsync(Build(true, true, true, true, true)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid Content-Type");
        (await client.SendAsync(Build(false, true, true, true, true))).StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
        await (await client.SendAsync(Build(false, false, true, true, true)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
        await (await client.SendAsync(Build(false, false, false, true, true)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");
        var longProject = await client.SendAsync(Build(false, false, false, false, true));
        await longProject.ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        (await longProject.JsonAsync()).GetProperty("description").GetString().Should().Contain("256");
        await (await client.SendAsync(Build(false, false, false, false, false)))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }

    [Fact]
    public async Task EndpointStepsRunInTheirSectionsOrderOnAMissingQueue()
    {
        using var client = factory.CreateV1Client();
        var missing = V1Client.NewQueueName();
        var big = "[" + new string(' ', 262145) + "]";

        // 3.10: Client-ID, then size, then parse, then empty list, then ttl range, then 404.
        client.ClientId = null;
        await (await client.PostAsync($"/v1/queues/{missing}/messages", big))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
        client.ClientId = Guid.NewGuid().ToString();
        await (await client.PostAsync($"/v1/queues/{missing}/messages", big))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PostAsync($"/v1/queues/{missing}/messages", "[{\"ttl\":1}]"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
        await (await client.PostAsync($"/v1/queues/{missing}/messages", "[{\"ttl\":1,\"body\":1}]"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PostAsync($"/v1/queues/{missing}/messages", "[{\"ttl\":60,\"body\":1}]"))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");

        // 3.8: size, parse, reserved keys, then 404.
        await (await client.PutAsync($"/v1/queues/{missing}/metadata", "{" + new string(' ', 65535) + "}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PutAsync($"/v1/queues/{missing}/metadata", "{\"_x\":1"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
        await (await client.PutAsync($"/v1/queues/{missing}/metadata", "{\"_x\":1}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PutAsync($"/v1/queues/{missing}/metadata", "{\"x\":{\"_y\":1}}"))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");

        // 3.16: limit syntax, body, ttl range, limit range, grace range, then 204.
        await (await client.PostAsync($"/v1/queues/{missing}/claims?limit=x", "nope"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid parameter");
        await (await client.PostAsync($"/v1/queues/{missing}/claims?limit=99", """{"ttl":1,"grace":null}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
        (await (await client.PostAsync($"/v1/queues/{missing}/claims?limit=99", """{"ttl":1,"grace":1}""")).JsonAsync())
            .GetProperty("description").GetString().Should().ContainAny("TTL", "ttl");
        (await (await client.PostAsync($"/v1/queues/{missing}/claims?limit=99", """{"ttl":60,"grace":1}""")).JsonAsync())
            .GetProperty("description").GetString().Should().Contain("imit");
        (await (await client.PostAsync($"/v1/queues/{missing}/claims?limit=20", """{"ttl":60,"grace":1}""")).JsonAsync())
            .GetProperty("description").GetString().Should().Contain("grace");
        await (await client.PostAsync($"/v1/queues/{missing}/claims?limit=20", """{"ttl":60,"grace":60}"""))
            .ShouldBeEmptyAsync(HttpStatusCode.NoContent);

        // 3.18: parse, range, then 404.
        await (await client.PatchAsync($"/v1/queues/{missing}/claims/x", """{"grace":0}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid request body");
        await (await client.PatchAsync($"/v1/queues/{missing}/claims/x", """{"ttl":60,"grace":-1}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PatchAsync($"/v1/queues/{missing}/claims/x", """{"ttl":60,"grace":43201}"""))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.PatchAsync($"/v1/queues/{missing}/claims/x", """{"ttl":60,"grace":43200}"""))
            .ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    // ---------------------------------------------------------------- 5.4 claim arithmetic and boundaries

    [Fact]
    public async Task ClaimExtensionMovesOnlyMessagesThatWouldExpireBeforeTheClaim()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostMessagesAsync(queue, """[{"ttl":60,"body":"short"},{"ttl":200,"body":"edge"},{"ttl":1000,"body":"long"}]""");
        factory.Clock.Advance(TimeSpan.FromSeconds(10));

        // E = now + 190 = created + 200: "edge" expires exactly at E and is left unchanged.
        var response = await client.PostAsync($"/v1/queues/{queue}/claims", """{"ttl":190,"grace":70}""");
        var claimed = (await response.ShouldBeJsonAsync(HttpStatusCode.Created)).EnumerateArray().ToList();
        claimed.Select(m => m.GetProperty("ttl").GetInt32()).Should().Equal(260, 200, 1000);
        claimed.Select(m => m.GetProperty("age").GetInt32()).Should().Equal(10, 10, 10);
        var claimId = response.Location()!.Split('/')[^1];

        // "short" now expires at created + 10 + 190 + 70 = created + 270.
        factory.Clock.Advance(TimeSpan.FromSeconds(190)); // created + 200: claim over, "edge" expired
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[1]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        factory.Clock.Advance(TimeSpan.FromSeconds(69)); // created + 269
        (await (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).ShouldBeJsonAsync())
            .GetProperty("ttl").GetInt32().Should().Be(260);
        factory.Clock.Advance(TimeSpan.FromSeconds(1)); // created + 270
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var stats = await (await client.GetAsync($"/v1/queues/{queue}/stats")).ShouldBeJsonAsync();
        stats.GetProperty("messages").GetProperty("total").GetInt32().Should().Be(1);
    }

    [Fact]
    public async Task RenewalWithDefaultGraceExtendsToTheNewClaimExpiryOnly()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostMessagesAsync(queue, """[{"ttl":100,"body":1},{"ttl":5000,"body":2}]""");
        var (claimId, _) = await client.ClaimAsync(queue, ttl: 60, grace: 60);
        // Creation: E = 60 >= ... message 1 expires at 100 >= 60: unchanged.
        factory.Clock.Advance(TimeSpan.FromSeconds(50));
        (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", """{"ttl":300}""")).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
        // Renewal at 50: E = 350; message 1 (expires 100) -> expires 350, ttl 300; message 2 unchanged.
        var claim = await (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync();
        claim.GetProperty("ttl").GetInt32().Should().Be(300);
        claim.GetProperty("age").GetInt32().Should().Be(0);
        claim.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("ttl").GetInt32()).Should().Equal(300, 5000);

        factory.Clock.Advance(TimeSpan.FromSeconds(299)); // 349
        var live = await (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync();
        live.GetProperty("age").GetInt32().Should().Be(299);
        live.GetProperty("messages").GetArrayLength().Should().Be(2);
        factory.Clock.Advance(TimeSpan.FromSeconds(1)); // 350: claim and message 1 end together
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[1]}?claim_id={claimId}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to delete");
        (await client.DeleteAsync($"/v1/queues/{queue}/messages/{ids[1]}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task AClaimIsLiveUntilTheMillisecondOfItsExpiry()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        var (claimId, _) = await client.ClaimAsync(queue, ttl: 60, grace: 60);

        factory.Clock.Advance(TimeSpan.FromMilliseconds(59_999));
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.PostAsync($"/v1/queues/{queue}/claims", """{"ttl":60,"grace":60}""")).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
        var stats = (await (await client.GetAsync($"/v1/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages");
        stats.GetProperty("claimed").GetInt32().Should().Be(1);

        factory.Clock.Advance(TimeSpan.FromMilliseconds(1));
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", """{"ttl":60}""")).StatusCode
            .Should().Be(HttpStatusCode.NotFound);
        stats = (await (await client.GetAsync($"/v1/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages");
        stats.GetProperty("claimed").GetInt32().Should().Be(0);
        stats.GetProperty("free").GetInt32().Should().Be(1);
        var (again, messages) = await client.ClaimAsync(queue);
        messages.Should().Equal(ids);
        again.Should().NotBe(claimId);
    }

    [Fact]
    public async Task StatsFollowClaimsReleasesDeletesAndExpiry()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 5, ttl: 120);
        factory.Clock.Advance(TimeSpan.FromSeconds(3));
        var late = await client.PostNumberedAsync(queue, 1, ttl: 60);

        async Task<(int Claimed, int Free, int Total, JsonElement Messages)> Stats()
        {
            var m = (await (await client.GetAsync($"/v1/queues/{queue}/stats")).ShouldBeJsonAsync()).GetProperty("messages");
            return (m.GetProperty("claimed").GetInt32(), m.GetProperty("free").GetInt32(), m.GetProperty("total").GetInt32(), m);
        }

        var (claimA, heldA) = await client.ClaimAsync(queue, ttl: 60, grace: 60, limit: 2);
        var (claimB, heldB) = await client.ClaimAsync(queue, ttl: 100, grace: 60, limit: 2);
        (await Stats()).Should().Match<(int, int, int, JsonElement)>(s => s.Item1 == 4 && s.Item2 == 2 && s.Item3 == 6);

        await client.DeleteAsync($"/v1/queues/{queue}/messages/{heldA[0]}?claim_id={claimA}");
        await client.DeleteAsync($"/v1/queues/{queue}/messages?ids={heldB[0]},{ids[4]}");
        var s1 = await Stats();
        (s1.Claimed, s1.Free, s1.Total).Should().Be((2, 1, 3));
        s1.Messages.GetProperty("oldest").GetProperty("href").GetString().Should().EndWith(heldA[1]);
        s1.Messages.GetProperty("newest").GetProperty("href").GetString().Should().EndWith(late[0]);
        s1.Messages.GetProperty("oldest").Members().Should().Equal("age", "created", "href");

        await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimB}");
        var s2 = await Stats();
        (s2.Claimed, s2.Free, s2.Total).Should().Be((1, 2, 3));

        factory.Clock.Advance(TimeSpan.FromSeconds(60)); // claim A over; "late" expired (3 + 60 <= 63)
        var s3 = await Stats();
        (s3.Claimed, s3.Free, s3.Total).Should().Be((0, 2, 2));
        s3.Messages.GetProperty("newest").GetProperty("href").GetString().Should().EndWith(ids[3]);
        s3.Messages.GetProperty("oldest").GetProperty("age").GetInt32().Should().Be(63);

        factory.Clock.Advance(TimeSpan.FromSeconds(1000));
        var s4 = await Stats();
        (s4.Claimed, s4.Free, s4.Total).Should().Be((0, 0, 0));
        s4.Messages.Members().Should().Equal("claimed", "free", "total");
    }

    [Fact]
    public async Task StatsTimestampsUseTheContractFormat()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 1);
        var created = factory.Clock.GetUtcNow();
        var stats = await (await client.GetAsync($"/v1/queues/{queue}/stats")).ShouldBeJsonAsync();
        var stamp = stats.GetProperty("messages").GetProperty("oldest").GetProperty("created").GetString();
        stamp.Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");
        stamp.Should().Be(created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AReleasedClaimsIdCannotDeleteItsFormerMessages()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        var (claimId, held) = await client.ClaimAsync(queue, limit: 2);
        (await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{held[0]}?claim_id={claimId}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to delete");
        (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", """{"ttl":60}""")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        // A new claim on the same messages; the old id is neither the holder nor live (row 6).
        var (newClaim, _) = await client.ClaimAsync(queue, limit: 2);
        await (await client.DeleteAsync($"/v1/queues/{queue}/messages/{held[0]}?claim_id={claimId}"))
            .ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to delete");
        (await client.DeleteAsync($"/v1/queues/{queue}/messages/{held[0]}?claim_id={newClaim}")).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task AClaimLosesMessagesDeletedInBulkAndIsGoneWhenNoneRemain()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        var (claimId, held) = await client.ClaimAsync(queue, limit: 2);
        await client.DeleteAsync($"/v1/queues/{queue}/messages?ids={held[0]}");
        var claim = await (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync();
        claim.GetProperty("messages").GetArrayLength().Should().Be(1);
        claim.Members().Should().Equal("age", "ttl", "href", "messages");
        await client.DeleteAsync($"/v1/queues/{queue}/messages?ids={held[1]}");
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.PatchAsync($"/v1/queues/{queue}/claims/{claimId}", """{"ttl":60}""")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    // ---------------------------------------------------------------- markers and ids

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999999999")]
    [InlineData("%E2%98%83")]
    public async Task UninterpretableMarkersGiveAnEmptyPage(string marker)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await client.PostNumberedAsync(queue, 2);
        await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&marker={marker}"))
            .ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task IdsOfADeletedQueueNeverComeBackAfterRecreation()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var old = await client.PostNumberedAsync(queue, 2);
        var (oldClaim, _) = await client.ClaimAsync(queue, limit: 1);
        var page = await (await client.GetAsync($"/v1/queues/{queue}/messages?echo=true&include_claimed=true")).ShouldBeJsonAsync();
        var staleNext = page.GetProperty("links")[0].GetProperty("href").GetString()!;
        await client.DeleteAsync($"/v1/queues/{queue}");
        (await client.PutAsync($"/v1/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.Created);
        var fresh = await client.PostNumberedAsync(queue, 2);
        fresh.Should().NotIntersectWith(old);
        (await client.GetAsync($"/v1/queues/{queue}/claims/{oldClaim}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await (await client.GetAsync($"/v1/queues/{queue}/metadata")).ShouldBeJsonAsync()).GetRawText().Should().Be("{}");
        // A marker from before the deletion does not hide the new messages (5.2).
        var after = await (await client.GetAsync(staleNext)).ShouldBeJsonAsync();
        after.GetProperty("messages").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task MessageIdsAreCaseSensitiveOpaqueStrings()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        var ids = await client.PostNumberedAsync(queue, 1);
        var mangled = ids[0].ToUpperInvariant() == ids[0] ? ids[0] + "0" : ids[0].ToUpperInvariant();
        (await client.GetAsync($"/v1/queues/{queue}/messages/{mangled}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}%20")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{new string('f', 16)}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{new string('0', 16)}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    // ---------------------------------------------------------------- namespaces, HEAD, headers

    [Fact]
    public async Task DefaultNamespaceAndProjectsAreIsolatedForMessagesAndClaims()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        client.Project = null;
        await client.CreateQueueAsync(queue);
        var ids = await client.PostNumberedAsync(queue, 1);
        var (claimId, _) = await client.ClaimAsync(queue);
        client.Project = "default";
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.DeleteAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        client.Project = null;
        (await client.GetAsync($"/v1/queues/{queue}/claims/{claimId}")).StatusCode.Should().Be(HttpStatusCode.OK);
        var list = await (await client.GetAsync($"/v1/queues?marker={queue[..^1]}&limit=20")).ShouldBeJsonAsync();
        list.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).Should().Contain(queue);
    }

    [Fact]
    public async Task ProjectIdLengthCountsCharactersNotBytes()
    {
        using var client = factory.CreateV1Client();
        var project = new string('\u00e9', 256);
        var name = V1Client.NewQueueName();
        var response = await factory.SendRawAsync(
            [
                .. Encoding.ASCII.GetBytes($"PUT /v1/queues/{name} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nX-Project-Id: "),
                .. Encoding.UTF8.GetBytes(project),
                .. Encoding.ASCII.GetBytes("\r\nConnection: close\r\n\r\n"),
            ],
            halfClose: false);
        response.Should().StartWith("HTTP/1.1 201");
    }

    [Theory]
    [InlineData("urn:uuid:{3381AF92-2B9E-11E3-B191-71861300734C}")]
    [InlineData("URN:UUID:3381af922b9e11e3b19171861300734c")]
    [InlineData("3381-af922b9e11e3b191-71861300734c")]
    public async Task LenientClientIdFormsAreOneClient(string form)
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        client.ClientId = "3381af92-2b9e-11e3-b191-71861300734c";
        await client.PostNumberedAsync(queue, 1);
        client.ClientId = form;
        await (await client.GetAsync($"/v1/queues/{queue}/messages")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/messages?echo=1")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("{3381af92-2b9e-11e3-b191-71861300734c")]
    [InlineData("{{3381af92-2b9e-11e3-b191-71861300734c}}")]
    [InlineData("3381af92-2b9e-11e3-b191-71861300734c-0")]
    [InlineData("uuid:3381af92-2b9e-11e3-b191-71861300734c")]
    [InlineData("3381af92 2b9e 11e3 b191 71861300734c")]
    public async Task MalformedClientIdsAreRejected(string form)
    {
        using var client = factory.CreateV1Client();
        client.ClientId = form;
        await (await client.GetAsync("/v1/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
    }

    [Theory]
    [InlineData("application/json;q=0.5, text/plain")]
    [InlineData("text/plain;q=1, application/*;q=0.01")]
    [InlineData("APPLICATION/JSON")]
    [InlineData("application/json; charset=utf-8")]
    public async Task AcceptListsWithANonZeroJsonRangeAreServed(string accept)
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("application/json;q=0, */*;q=0.0")]
    [InlineData("application/json-home")]
    [InlineData("text/*")]
    public async Task AcceptListsWithoutAnAcceptableJsonRangeAre406(string accept)
    {
        using var client = factory.CreateV1Client();
        var request = client.Request(HttpMethod.Get, "/v1/queues");
        request.Headers.TryAddWithoutValidation("Accept", accept);
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.NotAcceptable);
    }

    [Fact]
    public async Task HeadRequestsNeverHaveBodies()
    {
        using var client = factory.CreateV1Client();
        var queue = await client.CreateQueueAsync();
        await (await client.HeadAsync($"/v1/queues/{queue}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.HeadAsync("/v1/health")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.HeadAsync($"/v1/queues/{queue}/stats")).ShouldBeEmptyAsync(HttpStatusCode.MethodNotAllowed);
        await (await client.HeadAsync("/v1/nothing")).ShouldBeEmptyAsync(HttpStatusCode.NotFound);
        var bad = client.Request(HttpMethod.Head, "/v1/health");
        bad.Headers.TryAddWithoutValidation("Accept", "application/xml");
        await (await client.SendAsync(bad)).ShouldBeEmptyAsync(HttpStatusCode.NotAcceptable);
        client.Project = "";
        await (await client.HeadAsync($"/v1/queues/{queue}")).ShouldBeEmptyAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task LocationHeadersAreExactlyAsTheContractSays()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var created = await client.PutAsync($"/v1/queues/{queue}");
        created.Location().Should().Be($"/v1/queues/{queue}");
        var existed = await client.PutAsync($"/v1/queues/{queue}");
        await existed.ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        existed.Location().Should().Be($"/v1/queues/{queue}");
        var metadata = await client.PutAsync($"/v1/queues/{queue}/metadata", "{}");
        metadata.Location().Should().Be($"/v1/queues/{queue}/metadata");
        (await client.GetAsync($"/v1/queues/{queue}/metadata")).ContentLocation().Should().Be($"/v1/queues/{queue}/metadata");
        (await client.GetAsync($"/v1/queues/{queue}/stats")).ContentLocation().Should().Be($"/v1/queues/{queue}/stats");
        await client.PostNumberedAsync(queue, 1);
        var claim = await client.PostAsync($"/v1/queues/{queue}/claims?limit=1", """{"ttl":60,"grace":60}""");
        claim.Location().Should().MatchRegex($"^/v1/queues/{queue}/claims/[A-Za-z0-9_-]{{1,64}}$");
        var body = await claim.JsonAsync();
        body[0].GetProperty("href").GetString().Should().EndWith("?claim_id=" + claim.Location()!.Split('/')[^1]);
    }

    /// <summary>1.1: literal segments are case-sensitive, so a wrongly cased path is no resource at all (404), whatever the method.</summary>
    [Theory]
    [InlineData("PUT", "/v1/QUEUES/q/messages")]
    [InlineData("PATCH", "/v1/queues/q/Messages")]
    [InlineData("HEAD", "/v1/Health")]
    [InlineData("POST", "/V1/queues")]
    [InlineData("GET", "/v1/queues/q/Claims")]
    public async Task WronglyCasedPathsAre404EvenForUnsupportedMethods(string method, string path)
    {
        using var client = factory.CreateV1Client();
        var response = await client.SendAsync(new HttpMethod(method), path);
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.Allow.Should().BeEmpty();
    }

    [Theory]
    [InlineData("GET", "/v1/QUEUES/q/messages")]
    [InlineData("DELETE", "/v1/queues/q/Messages/x")]
    [InlineData("GET", "/v1/Health")]
    public async Task WronglyCasedPathsAre404(string method, string path)
    {
        using var client = factory.CreateV1Client();
        await (await client.SendAsync(new HttpMethod(method), path)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    private static Dictionary<string, string> ParseQuery(string href) =>
        href[(href.IndexOf('?') + 1)..].Split('&')
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1]));
}
