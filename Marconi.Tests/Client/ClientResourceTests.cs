using System.Text.Json;
using Marconi.Client;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.Client;

/// <summary>The resource tests of the client, run against the real server over HTTP.</summary>
public sealed class HttpClientResourceTests(MarconiZmqFactory factory) : ClientResourceTests(factory, f => f.ServerAddress);

/// <summary>The same tests over ZeroMQ.</summary>
public sealed class ZmqClientResourceTests(MarconiZmqFactory factory) : ClientResourceTests(factory, f => new Uri(f.ZmqEndpoint));

/// <summary>
/// Every operation of <see cref="MarconiClient"/> against the real host, written once and run over
/// both transports (<see cref="MarconiZmqFactory"/> serves both), pinned to v1 since they check its
/// wire (hrefs, 404 on missing queues, the default namespace); <see cref="ClientV2Tests"/> covers v2.
/// Each test works in its own project, so tests never see each other's queues.
/// </summary>
public abstract class ClientResourceTests : IClassFixture<MarconiZmqFactory>, IAsyncLifetime
{
    private readonly MarconiZmqFactory _factory;
    private readonly Uri _endpoint;
    private readonly string _project = "project-" + Guid.NewGuid().ToString("N");
    private readonly List<MarconiClient> _clients = [];

    protected ClientResourceTests(MarconiZmqFactory factory, Func<MarconiZmqFactory, Uri> endpoint)
    {
        _factory = factory;
        _endpoint = endpoint(factory);
        Client = NewClient();
    }

    private MarconiClient Client { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task HomeDocumentHealthAndPingAnswer()
    {
        var home = await Client.GetHomeDocumentAsync();
        home.GetProperty("resources").GetProperty("rel/queues").GetProperty("href-template").GetString()
            .Should().Be("/v1/queues{?marker,limit,detailed}");
        (await Client.IsHealthyAsync()).Should().BeTrue();
        await Client.PingAsync();
    }

    [Fact]
    public async Task QueueCanBeCreatedInspectedAndDeleted()
    {
        var queue = await Client.CreateQueueAsync("fizbit");
        queue.Name.Should().Be("fizbit");
        queue.Metadata.Should().BeNull();
        (await Client.CreateQueueAsync("fizbit")).Name.Should().Be("fizbit", "creating an existing queue is fine");
        (await queue.ExistsAsync()).Should().BeTrue();
        (await Client.Queue("nope").ExistsAsync()).Should().BeFalse();

        (await queue.GetMetadataAsync()).GetRawText().Should().Be("{}");
        await queue.SetMetadataAsync(new { messages = new { ttl = 600 }, owner = "ops" });
        var metadata = await queue.GetMetadataAsync();
        metadata.GetProperty("messages").GetProperty("ttl").GetInt32().Should().Be(600);
        metadata.GetProperty("owner").GetString().Should().Be("ops");
        await queue.SetMetadataAsync(JsonDocument.Parse("""{"replaced": true}""").RootElement);
        (await queue.GetMetadataAsync()).GetRawText().Should().Be("""{"replaced":true}""");

        await queue.DeleteAsync();
        (await queue.ExistsAsync()).Should().BeFalse();
        await queue.DeleteAsync(); // idempotent
    }

    [Fact]
    public async Task QueueListingFollowsNextLinksAcrossPages()
    {
        var names = Enumerable.Range(0, 25).Select(i => $"q{i:D2}").ToList();
        foreach (var name in names)
        {
            await Client.CreateQueueAsync(name);
        }

        await Client.Queue("q07").SetMetadataAsync(new { colour = "blue" });

        var listed = await Client.ListQueuesAsync(pageSize: 10).ToListAsync();
        listed.Select(q => q.Name).Should().Equal(names);
        listed.Should().OnlyContain(q => q.Metadata == null);

        var detailed = await Client.ListQueuesAsync(detailed: true, pageSize: 20).ToListAsync();
        detailed.Select(q => q.Name).Should().Equal(names);
        detailed.Single(q => q.Name == "q07").Metadata!.Value.GetProperty("colour").GetString().Should().Be("blue");
        detailed.Single(q => q.Name == "q08").Metadata!.Value.GetRawText().Should().Be("{}");

        (await Client.ListQueuesAsync().CountAsync()).Should().Be(25, "the server's default page size is followed too");
        await using var other = NewClient("other-" + Guid.NewGuid().ToString("N"));
        (await other.ListQueuesAsync().CountAsync()).Should().Be(0, "queues are listed only in their own project");
    }

    [Fact]
    public async Task MessagesArePostedAndReadBackWithTheirBodies()
    {
        var queue = await Client.CreateQueueAsync("bodies");
        var id = await queue.PostAsync(new Order("A-1", 3), ttl: 300);

        var message = await queue.GetMessageAsync(id);
        message.Id.Should().Be(id);
        message.Href.Should().Be($"/v1/queues/bodies/messages/{id}");
        message.Ttl.Should().Be(300);
        message.Age.Should().Be(0);
        message.ClaimId.Should().BeNull();
        message.GetBody<Order>().Should().Be(new Order("A-1", 3));

        var ids = await queue.PostAsync(
        [
            new OutgoingMessage("plain string is fine", 60),
            new OutgoingMessage(JsonDocument.Parse("""{"n": 12345678901234, "x": [1.5, "é"]}""").RootElement, 120),
            new OutgoingMessage(null, 60),
        ]);
        ids.Should().HaveCount(3).And.OnlyHaveUniqueItems();

        var many = await queue.GetMessagesAsync([ids[2], "unknown", ids[0], ids[1]]);
        many.Select(m => m.Id).Should().Equal(ids, "get-many answers in FIFO order and skips unknown ids");
        many[0].Body.GetString().Should().Be("plain string is fine");
        many[1].Body.GetRawText().Should().Be("""{"n":12345678901234,"x":[1.5,"é"]}""");
        many[1].Ttl.Should().Be(120);
        many[2].Body.ValueKind.Should().Be(JsonValueKind.Null);
        (await queue.GetMessagesAsync(["unknown"])).Should().BeEmpty();
    }

    [Fact]
    public async Task MessageListingFollowsMarkersAcrossPagesAndHonoursEcho()
    {
        var queue = await Client.CreateQueueAsync("paging");
        var posted = new List<string>();
        for (var batch = 0; batch < 3; batch++)
        {
            posted.AddRange(await queue.PostAsync(Enumerable.Range(batch * 15, 15).Select(i => new OutgoingMessage(new { i }, 300))));
        }

        var all = await queue.GetMessagesAsync(echo: true, pageSize: 20).ToListAsync();
        all.Select(m => m.Id).Should().Equal(posted);
        all.Select(m => m.Body.GetProperty("i").GetInt32()).Should().Equal(Enumerable.Range(0, 45));

        (await queue.GetMessagesAsync(pageSize: 20).CountAsync()).Should().Be(0, "without echo a client does not see its own messages");
        await using var consumer = NewClient();
        (await consumer.Queue("paging").GetMessagesAsync(pageSize: 7).Select(m => m.Id).ToListAsync()).Should().Equal(posted);
        (await consumer.Queue("missing").GetMessagesAsync().CountAsync()).Should().Be(0);
    }

    [Fact]
    public async Task ClaimedMessagesAreListedOnlyWithIncludeClaimed()
    {
        var queue = await Client.CreateQueueAsync("claimed-listing");
        var ids = await queue.PostAsync(Enumerable.Range(0, 5).Select(i => new OutgoingMessage(i, 300)));
        var claim = await queue.ClaimAsync(limit: 2, ttl: 120);

        claim!.Messages.Select(m => m.Id).Should().Equal(ids.Take(2));
        (await queue.GetMessagesAsync(echo: true).Select(m => m.Id).ToListAsync()).Should().Equal(ids.Skip(2));
        (await queue.GetMessagesAsync(echo: true, includeClaimed: true).Select(m => m.Id).ToListAsync()).Should().Equal(ids);
    }

    [Fact]
    public async Task StatsCountFreeAndClaimedMessages()
    {
        var queue = await Client.CreateQueueAsync("stats");
        var empty = await queue.GetStatsAsync();
        empty.Should().BeEquivalentTo(new { Claimed = 0L, Free = 0L, Total = 0L, Oldest = (MessageStamp?)null, Newest = (MessageStamp?)null });
        empty.Raw.GetRawText().Should().Be("""{"messages":{"claimed":0,"free":0,"total":0}}""");

        var ids = await queue.PostAsync(Enumerable.Range(0, 4).Select(i => new OutgoingMessage(i, 300)));
        await queue.ClaimAsync(limit: 1);
        var stats = await queue.GetStatsAsync();
        (stats.Claimed, stats.Free, stats.Total).Should().Be((1L, 3L, 4L));
        stats.Oldest!.Href.Should().Be($"/v1/queues/stats/messages/{ids[0]}");
        stats.Newest!.Href.Should().Be($"/v1/queues/stats/messages/{ids[3]}");
        stats.Oldest.Created.Should().Be(_factory.Clock.GetUtcNow());
        stats.Oldest.Age.Should().Be(0);
        stats.Raw.GetProperty("messages").GetProperty("total").GetInt64().Should().Be(4);
    }

    [Fact]
    public async Task MessagesAreDeletedOneByOneOrByIds()
    {
        var queue = await Client.CreateQueueAsync("deleting");
        var ids = await queue.PostAsync(Enumerable.Range(0, 4).Select(i => new OutgoingMessage(i, 300)));

        await queue.DeleteMessageAsync(ids[0]);
        await queue.DeleteMessagesAsync([ids[1], ids[2]]);
        await queue.DeleteMessageAsync("unknown"); // no-op

        (await queue.GetMessagesAsync(echo: true).Select(m => m.Id).ToListAsync()).Should().Equal(ids[3]);
        var none = () => queue.DeleteMessagesAsync([]);
        await none.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task ClaimsAreMadeReadRenewedAndReleased()
    {
        var queue = await Client.CreateQueueAsync("claims");
        (await queue.ClaimAsync()).Should().BeNull("an empty queue has nothing to claim");
        var ids = await queue.PostAsync(Enumerable.Range(0, 3).Select(i => new OutgoingMessage(new { i }, 60)));

        var claim = await queue.ClaimAsync(limit: 2, ttl: 120, grace: 60);
        claim.Should().NotBeNull();
        claim!.Href.Should().Be($"/v1/queues/claims/claims/{claim.Id}");
        claim.Ttl.Should().Be(120);
        claim.Messages.Select(m => m.Id).Should().Equal(ids.Take(2));
        claim.Messages.Should().OnlyContain(m => m.ClaimId == claim.Id && m.Href.EndsWith("?claim_id=" + claim.Id) && m.Ttl == 180);

        var read = await queue.GetClaimAsync(claim.Id);
        read.Id.Should().Be(claim.Id);
        read.Href.Should().Be(claim.Href);
        read.Ttl.Should().Be(120);
        read.Messages.Select(m => (m.Id, m.ClaimId)).Should().Equal(claim.Messages.Select(m => (m.Id, m.ClaimId)));

        _factory.Clock.Advance(TimeSpan.FromSeconds(30));
        (await queue.GetClaimAsync(claim.Id)).Age.Should().Be(30);
        await claim.UpdateAsync(ttl: 300, grace: 30);
        var renewed = await queue.GetClaimAsync(claim.Id);
        (renewed.Ttl, renewed.Age).Should().Be((300, 0));

        await claim.ReleaseAsync();
        var released = () => queue.GetClaimAsync(claim.Id);
        await released.Should().ThrowAsync<ClaimNotFoundException>();
        await claim.ReleaseAsync(); // idempotent
        (await queue.ClaimAsync(limit: 5))!.Messages.Should().HaveCount(3, "released messages are free again");
    }

    [Fact]
    public async Task AClaimedMessageIsDeletedWithItsClaimId()
    {
        var queue = await Client.CreateQueueAsync("claimed-delete");
        var ids = await queue.PostAsync([new OutgoingMessage("a", 300), new OutgoingMessage("b", 300)]);
        var claim = await queue.ClaimAsync(ttl: 120);

        var withoutClaim = () => queue.DeleteMessageAsync(ids[0]);
        var refused = (await withoutClaim.Should().ThrowAsync<MessageClaimedException>()).Which;
        refused.Status.Should().Be(403);
        refused.Title.Should().Be("Unable to delete");
        refused.Description.Should().Contain("claim");

        await claim!.Messages[0].DeleteAsync();
        var gone = () => queue.GetMessageAsync(ids[0]);
        await gone.Should().ThrowAsync<MessageNotFoundException>();
        (await queue.GetClaimAsync(claim.Id)).Messages.Select(m => m.Id).Should().Equal(ids[1]);
    }

    [Fact]
    public async Task MissingResourcesRaiseTypedNotFoundErrors()
    {
        var missing = Client.Queue("missing");
        var metadata = () => missing.GetMetadataAsync();
        var error = (await metadata.Should().ThrowAsync<QueueNotFoundException>()).Which;
        (error.Status, error.Title).Should().Be((404, "Not found"));
        error.Description.Should().NotBeNullOrEmpty();
        await ((Func<Task>)(() => missing.SetMetadataAsync(new { a = 1 }))).Should().ThrowAsync<QueueNotFoundException>();
        await ((Func<Task>)(() => missing.GetStatsAsync())).Should().ThrowAsync<QueueNotFoundException>();
        await ((Func<Task>)(() => missing.PostAsync("x", 60))).Should().ThrowAsync<QueueNotFoundException>();
        (await missing.ClaimAsync()).Should().BeNull();

        var queue = await Client.CreateQueueAsync("present");
        await ((Func<Task>)(() => queue.GetMessageAsync("0000000000000000"))).Should().ThrowAsync<MessageNotFoundException>();
        await ((Func<Task>)(() => queue.GetClaimAsync("unknown"))).Should().ThrowAsync<ClaimNotFoundException>();
    }

    [Fact]
    public async Task AnExpiredClaimIsNotFoundAndItsIdNoLongerDeletes()
    {
        var queue = await Client.CreateQueueAsync("expiry");
        await queue.PostAsync("work", 600);
        var claim = await queue.ClaimAsync(ttl: 60, grace: 60);

        _factory.Clock.Advance(TimeSpan.FromSeconds(61));

        await ((Func<Task>)(() => queue.GetClaimAsync(claim!.Id))).Should().ThrowAsync<ClaimNotFoundException>();
        await ((Func<Task>)(() => claim!.UpdateAsync(120))).Should().ThrowAsync<ClaimNotFoundException>();
        var stale = (await ((Func<Task>)(() => claim!.Messages[0].DeleteAsync())).Should().ThrowAsync<MarconiValidationException>()).Which;
        (stale.Status, stale.Title).Should().Be((400, "Unable to delete"));
    }

    [Fact]
    public async Task InvalidRequestsRaiseValidationErrorsWithTheServersDescription()
    {
        var queue = await Client.CreateQueueAsync("invalid");

        var shortTtl = (await ((Func<Task>)(() => queue.PostAsync("x", ttl: 10))).Should().ThrowAsync<MarconiValidationException>()).Which;
        shortTtl.Status.Should().Be(400);
        shortTtl.Title.Should().Be("Invalid API request");
        shortTtl.Description.Should().Be("Message TTL must be at least 60 seconds long and no greater than 1209600 seconds.");

        var claimTtl = (await ((Func<Task>)(() => queue.ClaimAsync(ttl: 5))).Should().ThrowAsync<MarconiValidationException>()).Which;
        claimTtl.Description.Should().Contain("TTL for a claim");
        await ((Func<Task>)(() => queue.ClaimAsync(limit: 21))).Should().ThrowAsync<MarconiValidationException>();
        await ((Func<Task>)(() => Client.CreateQueueAsync("bad name!"))).Should().ThrowAsync<MarconiValidationException>()
            .Where(e => e.Title == "Invalid queue identification");
        await ((Func<Task>)(() => queue.SetMetadataAsync(new { _reserved = 1 }))).Should().ThrowAsync<MarconiValidationException>();
        await ((Func<Task>)(() => queue.SetMetadataAsync(new[] { 1, 2 }))).Should().ThrowAsync<MarconiValidationException>()
            .Where(e => e.Title == "Invalid request body");
        await ((Func<Task>)(() => Client.ListQueuesAsync(pageSize: 21).ToListAsync().AsTask())).Should().ThrowAsync<MarconiValidationException>();
    }

    [Fact]
    public async Task ConcurrentCallsOnOneClientEachGetTheirOwnAnswer()
    {
        var queue = await Client.CreateQueueAsync("concurrent");
        var posts = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => queue.PostAsync(new { i }, 300)));
        posts.Should().OnlyHaveUniqueItems();

        var reads = await Task.WhenAll(posts.Select(id => queue.GetMessageAsync(id)));
        reads.Select(m => m.Body.GetProperty("i").GetInt32()).Should().Equal(Enumerable.Range(0, 40));
    }

    [Fact]
    public async Task TheProjectAndClientIdAreSentWithEveryRequest()
    {
        var clientId = Guid.NewGuid();
        await using var producer = NewClient(clientId: clientId);
        producer.ClientId.Should().Be(clientId);
        producer.ProjectId.Should().Be(_project);
        producer.Endpoint.Should().Be(_endpoint);

        var queue = await producer.CreateQueueAsync("identity");
        await queue.PostAsync("mine", 300);
        (await queue.GetMessagesAsync().CountAsync()).Should().Be(0, "the server recognises the Client-ID as the poster");
        await using var sameId = NewClient(clientId: clientId);
        (await sameId.Queue("identity").GetMessagesAsync().CountAsync()).Should().Be(0);

        await using var defaultNamespace = NewClient(project: null, useProject: false);
        (await defaultNamespace.Queue("identity").ExistsAsync()).Should().BeFalse("queues belong to their project");
    }

    private MarconiClient NewClient(string? project = null, Guid? clientId = null, bool useProject = true)
    {
        var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = _endpoint,
            Api = MarconiApi.V1,
            ProjectId = useProject ? project ?? _project : null,
            ClientId = clientId,
            Timeout = TimeSpan.FromSeconds(15),
        });
        _clients.Add(client);
        return client;
    }

    private sealed record Order(string Number, int Quantity);
}
