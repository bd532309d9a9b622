using System.Net;
using Marconi.Tests.Http;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 1.3, 2.1–2.3 and 5: versions, home documents, ping, health, routes and header checks.</summary>
public sealed class ZaqarRoutingTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task VersionsDocumentListsThreeVersionsWithV2Current()
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        client.ClientId = null;
        var response = await client.GetAsync("/");
        response.StatusCode.Should().Be(HttpStatusCode.MultipleChoices);
        var versions = (await response.JsonAsync()).GetProperty("versions").EnumerateArray().ToList();
        versions.Select(v => v.GetProperty("id").GetString()).Should().Equal("1", "1.1", "2");
        versions.Select(v => v.GetProperty("status").GetString()).Should().Equal("DEPRECATED", "DEPRECATED", "CURRENT");
        versions.Select(v => v.GetProperty("links")[0].GetProperty("href").GetString()).Should().Equal("/v1/", "/v1.1/", "/v2/");
        versions[1].GetProperty("media-types")[0].GetProperty("type").GetString()
            .Should().Be("application/vnd.openstack.messaging-v1_1+json");
    }

    [Theory]
    [InlineData("/v2/")]
    [InlineData("/v2")]
    [InlineData("/v1.1/")]
    [InlineData("/v1.1")]
    public async Task HomeDocumentsNeedNoHeadersAndListTheVersionsRelations(string path)
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        client.ClientId = null;
        var response = await client.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json-home");
        response.Headers.CacheControl!.MaxAge.Should().Be(TimeSpan.FromDays(1));
        var resources = (await response.JsonAsync()).GetProperty("resources");
        var version = path.TrimEnd('/');
        foreach (var resource in resources.EnumerateObject())
        {
            resource.Value.GetProperty("href-template").GetString().Should().StartWith(version + "/");
        }

        var rels = resources.Members();
        rels.Should().Contain(["rel/queues", "rel/queue", "rel/queue_stats", "rel/messages", "rel/post_messages",
            "rel/messages_delete", "rel/message_delete", "rel/claim", "rel/post_claim", "rel/patch_claim", "rel/delete_claim", "rel/ping"]);
        if (version == "/v2")
        {
            rels.Should().Contain(["rel/queue_share", "rel/queue_purge", "rel/message_get", "rel/subscriptions_get",
                "rel/subscriptions_post", "rel/subscription", "rel/subscription_patch"]);
            resources.GetProperty("rel/queue").GetProperty("hints").GetProperty("allow").EnumerateArray()
                .Select(m => m.GetString()).Should().Equal("GET", "PUT", "DELETE", "PATCH");
        }
        else
        {
            rels.Should().NotContain(["rel/queue_share", "rel/queue_purge", "rel/message_get", "rel/subscriptions_get"]);
            resources.GetProperty("rel/queue").GetProperty("hints").GetProperty("allow").EnumerateArray()
                .Select(m => m.GetString()).Should().Equal("PUT", "DELETE");
        }

        var postClaim = resources.GetProperty("rel/post_claim");
        postClaim.GetProperty("href-template").GetString().Should().Be(version + "/queues/{queue_name}/claims{?limit}");
        postClaim.GetProperty("href-vars").GetProperty("limit").GetString().Should().Be("param/claim_limit");
        postClaim.GetProperty("hints").GetProperty("accept-post")[0].GetString().Should().Be("application/json");
        resources.GetProperty("rel/ping").TryGetProperty("href-vars", out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task PingAnswers204ToGetAndHeadWithoutHeaders(string version)
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        client.ClientId = null;
        await (await client.GetAsync($"/{version}/ping")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.HeadAsync($"/{version}/ping")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task HealthReportRunsEveryOperationAndCountsMessages(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async(version, queue, 3);
        client.Project = null;
        client.ClientId = null;
        var report = await (await client.GetAsync($"/{version}/health")).ShouldBeJsonAsync();
        report.Members().Should().Equal("storage_reachable", "operation_status", "message_volume");
        report.GetProperty("storage_reachable").GetBoolean().Should().BeTrue();
        var operations = report.GetProperty("operation_status");
        operations.Members().Should().Equal("create_queue", "post_messages", "claim_messages", "list_messages",
            "delete_messages", "delete_claim", "bulk_delete_messages", "delete_queue");
        foreach (var operation in operations.EnumerateObject())
        {
            operation.Value.Members().Should().Equal("succeeded", "seconds", "ref");
            operation.Value.GetProperty("succeeded").GetBoolean().Should().BeTrue();
            operation.Value.GetProperty("ref").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        }

        var volume = report.GetProperty("message_volume");
        volume.GetProperty("total").GetInt64().Should().BeGreaterThanOrEqualTo(3);
        (volume.GetProperty("free").GetInt64() + volume.GetProperty("claimed").GetInt64())
            .Should().Be(volume.GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task HeadOnAQueueIs405(string version)
    {
        using var client = factory.CreateV1Client();
        var response = await client.HeadAsync($"/{version}/queues/q");
        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().Contain("GET");
    }

    [Theory]
    [InlineData("/v2/queues/q/")]
    [InlineData("/v1.1/queues/q/stats/")]
    [InlineData("/v2/Queues/q")]
    [InlineData("/v2/queues/q/Messages")]
    [InlineData("/v1.1/queues/q/purge")]
    [InlineData("/v1.1/queues/q/subscriptions")]
    [InlineData("/v2/pools")]
    [InlineData("/v3/queues")]
    public async Task UnknownPathsAre404(string path)
    {
        using var client = factory.CreateV1Client();
        await (await client.GetAsync(path)).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task AnEmptyQueueNameIsInvalid(string version)
    {
        using var client = factory.CreateV1Client();
        await (await client.PutAsync($"/{version}/queues/")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task ClientIdIsRequiredAndMustBeAUuid(string version)
    {
        using var client = factory.CreateV1Client();
        client.ClientId = null;
        await (await client.GetAsync($"/{version}/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
        foreach (var bad in new[] { "", "1234", "aa2-bb3", new string('a', 37), new string('a', 35) })
        {
            client.ClientId = bad;
            await (await client.GetAsync($"/{version}/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Wrong UUID value");
        }

        client.ClientId = Guid.NewGuid().ToString("N");
        (await client.GetAsync($"/{version}/queues")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task ProjectIsRequiredAndMayNotBeEmpty(string version)
    {
        using var client = factory.CreateV1Client();
        client.Project = null;
        await (await client.GetAsync($"/{version}/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Project-Id Missing");
        client.Project = "";
        await (await client.GetAsync($"/{version}/queues")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Empty project header not allowed");
        client.Project = new string('p', 257);
        await (await client.PutAsync($"/{version}/queues/q")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task ChecksComeInTheContractsOrder(string version)
    {
        using var client = factory.CreateV1Client();
        client.ClientId = null;
        client.Project = null;
        // Accept before Client-ID, Client-ID before project, project before the queue name.
        var request = client.Request(HttpMethod.Put, $"/{version}/queues/bad name");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");
        await (await client.SendAsync(request)).ShouldBeErrorAsync(HttpStatusCode.NotAcceptable, "Not acceptable");
        await (await client.PutAsync($"/{version}/queues/bad%20name")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Missing header value");
        client.ClientId = Guid.NewGuid().ToString();
        await (await client.PutAsync($"/{version}/queues/bad%20name")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Project-Id Missing");
        client.Project = "p";
        await (await client.PutAsync($"/{version}/queues/bad%20name")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        var form = client.Request(HttpMethod.Put, $"/{version}/queues/q", "a=b", "application/x-www-form-urlencoded");
        await (await client.SendAsync(form)).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid Content-Type");
    }

    [Fact]
    public async Task OneStoreServesEveryVersion()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        (await client.PutAsync($"/v2/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.Created);
        var listed = await (await client.GetAsync("/v1/queues")).ShouldBeJsonAsync();
        listed.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).Should().Contain(queue);

        var ids = await client.PostMessagesAsync(queue, """[{"ttl": 300, "body": "from v1"}]""");
        var (claimId, messages) = await client.ClaimV2Async("v2", queue);
        messages.Ids().Should().Equal(ids);
        (await client.DeleteAsync($"/v1.1/queues/{queue}/messages/{ids[0]}?claim_id={claimId}")).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
        (await client.GetAsync($"/v1/queues/{queue}/messages/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
