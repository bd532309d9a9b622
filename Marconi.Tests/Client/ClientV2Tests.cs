using System.Text.Json;
using Marconi.Client;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.Client;

/// <summary>The v2 tests of the client over HTTP.</summary>
public sealed class HttpClientV2Tests(MarconiZmqFactory factory) : ClientV2Tests(factory, f => f.ServerAddress, http: true);

/// <summary>The same tests over ZeroMQ (<c>"api": "v2"</c> envelopes).</summary>
public sealed class ZmqClientV2Tests(MarconiZmqFactory factory) : ClientV2Tests(factory, f => new Uri(f.ZmqEndpoint), http: false);

/// <summary>
/// <see cref="MarconiClient"/> speaking v2 against the real host, over both transports: the
/// operations v1 also has (with v2's wire hidden) and those only v2 has. Each test has its own project.
/// </summary>
public abstract class ClientV2Tests : IClassFixture<MarconiZmqFactory>, IAsyncLifetime
{
    private readonly MarconiZmqFactory _factory;
    private readonly Uri _endpoint;
    private readonly bool _http;
    private readonly string _project = "v2-" + Guid.NewGuid().ToString("N");
    private readonly List<MarconiClient> _clients = [];

    protected ClientV2Tests(MarconiZmqFactory factory, Func<MarconiZmqFactory, Uri> endpoint, bool http)
    {
        _factory = factory;
        _endpoint = endpoint(factory);
        _http = http;
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
    public async Task TheSharedOperationsWorkOverV2()
    {
        Client.Api.Should().Be(MarconiApi.V2);
        (await Client.GetHomeDocumentAsync()).GetProperty("resources").GetProperty("rel/queue_purge").GetProperty("href-template").GetString()
            .Should().Be("/v2/queues/{queue_name}/purge");
        (await Client.IsHealthyAsync()).Should().BeTrue();
        await Client.PingAsync();

        var queue = await Client.CreateQueueAsync("shared");
        (await queue.ExistsAsync()).Should().BeTrue();
        await Client.CreateQueueAsync("shared-not-this-one");
        (await Client.Queue("share").ExistsAsync()).Should().BeFalse("the name filter's substring matches are not the queue");
        (await Client.Queue("nope").ExistsAsync()).Should().BeFalse();

        (await queue.GetMetadataAsync()).GetProperty("_default_message_ttl").GetInt32().Should().Be(3600, "v2 reports the reserved defaults");
        await queue.SetMetadataAsync(new { colour = "red", size = 3 });
        await queue.SetMetadataAsync(new { colour = "blue" });
        var metadata = await queue.GetMetadataAsync();
        metadata.GetProperty("colour").GetString().Should().Be("blue");
        metadata.TryGetProperty("size", out _).Should().BeFalse("setting replaces the whole document");
        await ((Func<Task>)(() => Client.Queue("missing").SetMetadataAsync(new { a = 1 }))).Should().ThrowAsync<QueueNotFoundException>();

        var ids = await queue.PostAsync([new OutgoingMessage("a", 300), new OutgoingMessage(new { b = 2 }, 120)]);
        var one = await queue.GetMessageAsync(ids[0]);
        one.Href.Should().Be($"/v2/queues/shared/messages/{ids[0]}");
        (await queue.GetMessagesAsync([ids[1], "unknown"])).Select(m => m.Ttl).Should().Equal(120);
        (await queue.GetMessagesAsync(["unknown"])).Should().BeEmpty("v2's 404 for no message found is an empty answer");
        (await queue.GetMessagesAsync(echo: true, pageSize: 1).Select(m => m.Id).ToListAsync()).Should().Equal(ids);

        var claim = await queue.ClaimAsync(limit: 1, ttl: 120);
        claim!.Href.Should().Be($"/v2/queues/shared/claims/{claim.Id}");
        claim.Messages.Select(m => m.Id).Should().Equal(ids[0]);
        (await queue.GetClaimAsync(claim.Id)).Messages.Should().ContainSingle();
        await claim.UpdateAsync(ttl: 300);
        await claim.Messages[0].DeleteAsync();
        (await queue.GetStatsAsync()).Total.Should().Be(1);
        await queue.DeleteMessagesAsync([ids[1]]);
        (await queue.ClaimAsync()).Should().BeNull();

        (await Client.ListQueuesAsync(pageSize: 1).Select(q => q.Name).ToListAsync()).Should().Equal("shared", "shared-not-this-one");
        await queue.DeleteAsync();
        (await queue.ExistsAsync()).Should().BeFalse();
        (await queue.GetStatsAsync()).Total.Should().Be(0, "v2 answers zeros for a missing queue");
    }

    [Fact]
    public async Task PopRemovesAndReturnsAndPurgeEmptiesTheQueue()
    {
        var queue = Client.Queue("pop");
        (await queue.PopAsync(5)).Should().BeEmpty();
        var ids = await queue.PostAsync(Enumerable.Range(0, 3).Select(i => new OutgoingMessage(new { i }, 300)));
        var popped = await queue.PopAsync(2);
        popped.Select(m => m.Id).Should().Equal(ids.Take(2));
        popped[0].Body.GetProperty("i").GetInt32().Should().Be(0);
        (popped[0].Ttl, popped[0].ClaimCount).Should().Be((300, 0));
        await ((Func<Task>)(() => queue.PopAsync(21))).Should().ThrowAsync<MarconiValidationException>();

        await queue.SubscribeAsync("http://127.0.0.1:9/hook");
        await queue.PurgeAsync(PurgeTargets.Messages);
        (await queue.GetStatsAsync()).Total.Should().Be(0);
        (await queue.GetSubscriptionsAsync().CountAsync()).Should().Be(1, "only messages were purged");
        await queue.PostAsync("again", 300);
        await queue.PurgeAsync();
        (await queue.GetStatsAsync()).Total.Should().Be(0);
        (await queue.GetSubscriptionsAsync().CountAsync()).Should().Be(0);
        (await queue.ExistsAsync()).Should().BeTrue("purging keeps the queue");
    }

    [Fact]
    public async Task MetadataIsPatchedAndSettingsDriveTtlsAndDeadLetters()
    {
        var queue = await Client.CreateQueueAsync("settings", new { _default_message_ttl = 600, owner = "ops" });
        var result = await queue.PatchMetadataAsync(
        [
            MetadataPatchOperation.Add("colour", "red"),
            MetadataPatchOperation.Replace("owner", new { team = "dev" }),
            MetadataPatchOperation.Remove("_default_message_delay"),
        ]);
        result.GetProperty("colour").GetString().Should().Be("red");
        result.GetProperty("owner").GetProperty("team").GetString().Should().Be("dev");
        var conflict = (await ((Func<Task>)(() => queue.PatchMetadataAsync([MetadataPatchOperation.Remove("absent")]))).Should().ThrowAsync<MarconiException>()).Which;
        conflict.Status.Should().Be(409);
        await ((Func<Task>)(() => Client.Queue("missing").PatchMetadataAsync([]))).Should().ThrowAsync<QueueNotFoundException>();

        var id = await queue.PostAsync("default ttl");
        (await queue.GetMessageAsync(id)).Ttl.Should().Be(600, "the queue's default TTL applies to a post without one");

        var settings = await queue.UpdateSettingsAsync(new QueueSettings { MaxClaimCount = 1, DeadLetterQueue = "settings-dlq", DeadLetterQueueMessagesTtl = 120 });
        settings.Should().BeEquivalentTo(new QueueSettings
        {
            DefaultMessageTtl = 600, DefaultMessageDelay = 0, MaxMessagesPostSize = 262144,
            MaxClaimCount = 1, DeadLetterQueue = "settings-dlq", DeadLetterQueueMessagesTtl = 120,
        });
        (await queue.GetSettingsAsync()).Should().Be(settings);
        await ((Func<Task>)(() => queue.UpdateSettingsAsync(new QueueSettings { DefaultMessageDelay = 901 }))).Should().ThrowAsync<MarconiValidationException>();

        await (await queue.ClaimAsync(ttl: 60))!.ReleaseAsync();
        (await queue.ClaimAsync()).Should().BeNull("a message claimed _max_claim_count times moves to the dead-letter queue");
        var dead = (await Client.Queue("settings-dlq").PopAsync()).Single(); // the move may give it a new id
        (dead.Body.GetString(), dead.Ttl, dead.ClaimCount).Should().Be(("default ttl", 120, 1));
    }

    [Fact]
    public async Task DelayedMessagesAreHiddenUntilTheirDelayElapses()
    {
        var queue = await Client.CreateQueueAsync("delayed");
        await queue.UpdateSettingsAsync(new QueueSettings { DefaultMessageDelay = 120 });
        var late = await queue.PostAsync("late", ttl: 300, delay: 30);
        var later = await queue.PostAsync([new OutgoingMessage("later", 300)]);
        (await queue.ClaimAsync()).Should().BeNull("both messages are delayed");
        (await queue.GetMessageAsync(late)).Body.GetString().Should().Be("late");

        _factory.Clock.Advance(TimeSpan.FromSeconds(31));
        (await queue.ClaimAsync(ttl: 300))!.Messages.Select(m => m.Id).Should().Equal(late);
        _factory.Clock.Advance(TimeSpan.FromSeconds(90));
        (await queue.PopAsync())!.Select(m => m.Id).Should().Equal(later);
    }

    [Fact]
    public async Task SubscriptionsAreCreatedListedReadUpdatedConfirmedAndDeleted()
    {
        var queue = Client.Queue("subscribed");
        var id = await queue.SubscribeAsync("http://127.0.0.1:9/hook", ttl: 600, options: new { post_data = "x" });
        (await queue.SubscribeAsync("http://127.0.0.1:9/hook")).Should().Be(id, "an unconfirmed subscription is found again");
        var other = await queue.SubscribeAsync("https://example.com/other");

        var read = await queue.GetSubscriptionAsync(id);
        read.Should().BeEquivalentTo(new { Id = id, Source = "subscribed", Subscriber = "http://127.0.0.1:9/hook", Ttl = 600, Age = 0, Confirmed = false },
            o => o.ExcludingMissingMembers());
        read.Options.GetRawText().Should().Be("""{"post_data":"x"}""");
        (await queue.GetSubscriptionsAsync(pageSize: 1).Select(s => s.Id).ToListAsync()).Should().Equal(id, other);

        await queue.UpdateSubscriptionAsync(id, subscriber: "http://127.0.0.1:9/other", ttl: 120);
        await queue.ConfirmSubscriptionAsync(id);
        var updated = await queue.GetSubscriptionAsync(id);
        (updated.Subscriber, updated.Ttl, updated.Confirmed).Should().Be(("http://127.0.0.1:9/other", 120, true));
        await ((Func<Task>)(() => queue.SubscribeAsync("ftp://nope"))).Should().ThrowAsync<MarconiValidationException>();
        await ((Func<Task>)(() => queue.UpdateSubscriptionAsync(id))).Should().ThrowAsync<ArgumentException>();

        await queue.DeleteSubscriptionAsync(id);
        await ((Func<Task>)(() => queue.GetSubscriptionAsync(id))).Should().ThrowAsync<SubscriptionNotFoundException>();
        await ((Func<Task>)(() => queue.UpdateSubscriptionAsync(id, ttl: 60))).Should().ThrowAsync<SubscriptionNotFoundException>();
        await queue.DeleteSubscriptionAsync(id); // idempotent
    }

    [Fact]
    public async Task ASharedGrantLetsAClientWithoutProjectUseTheQueue()
    {
        var queue = await Client.CreateQueueAsync("shared-grant");
        await queue.PostAsync("for the holder", 300);
        var expires = _factory.Clock.GetUtcNow().AddHours(1);
        var grant = await queue.ShareAsync(["messages", "claims"], ["GET", "POST"], expires);
        grant.Paths.Should().Equal("/v2/queues/shared-grant/claims", "/v2/queues/shared-grant/messages");
        grant.Methods.Should().Equal("GET", "POST");
        grant.Project.Should().Be(_project);
        grant.Signature.Should().MatchRegex("^[0-9a-f]{64}$");
        (await queue.ShareAsync()).Paths.Should().Equal("/v2/queues/shared-grant/messages");
        await ((Func<Task>)(() => queue.ShareAsync(["nope"]))).Should().ThrowAsync<MarconiValidationException>();

        if (!_http)
        {
            // The server checks grants on HTTP requests only, so a ZeroMQ client cannot hold one.
            var refused = () => new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint, Api = MarconiApi.V2, Grant = grant });
            refused.Should().Throw<ArgumentException>();
            return;
        }

        await using var holder = new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint, Api = MarconiApi.V2, Grant = grant });
        holder.ProjectId.Should().Be(_project);
        var held = holder.Queue("shared-grant");
        var claim = await held.ClaimAsync();
        claim!.Messages.Single().Body.GetString().Should().Be("for the holder");
        await held.PostAsync("from the holder", 300);

        var outside = (await ((Func<Task>)(() => held.GetStatsAsync())).Should().ThrowAsync<MarconiException>()).Which;
        outside.Status.Should().Be(404, "the grant does not cover stats");
        var forged = grant with { Methods = ["DELETE", "GET", "POST"] };
        await using var forger = new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint, Api = MarconiApi.V2, Grant = forged });
        await ((Func<Task>)(() => forger.Queue("shared-grant").PostAsync("x", 300))).Should().ThrowAsync<MarconiException>().Where(e => e.Status == 404);
    }

    [Fact]
    public async Task V1ClientsRefuseV2OperationsAndV2ClientsNeedAProject()
    {
        await using var v1 = new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint, Api = MarconiApi.V1, ProjectId = _project });
        var queue = v1.Queue("v1-only");
        await ((Func<Task>)(() => queue.PopAsync())).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => queue.PurgeAsync())).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => queue.PatchMetadataAsync([]))).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => queue.UpdateSettingsAsync(new QueueSettings()))).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => queue.PostAsync("x", 60, delay: 5))).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => queue.SubscribeAsync("http://127.0.0.1:9/"))).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => queue.GetSubscriptionsAsync().ToListAsync().AsTask())).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => queue.ShareAsync())).Should().ThrowAsync<NotSupportedException>();
        await ((Func<Task>)(() => v1.CreateQueueAsync("q", new { a = 1 }))).Should().ThrowAsync<NotSupportedException>();

        new MarconiClientOptions { Endpoint = _endpoint }.Api.Should().Be(MarconiApi.V2, "v2 is the default");
        var projectless = () => new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint });
        projectless.Should().Throw<ArgumentException>().WithMessage("*project*");
        var v1Grant = () => new MarconiClient(new MarconiClientOptions
        {
            Endpoint = _endpoint, Api = MarconiApi.V1, Grant = new SignedUrlGrant(["/v2/queues/q/messages"], ["GET"], "p", "2030-01-01T00:00:00", "00"),
        });
        v1Grant.Should().Throw<ArgumentException>();
    }

    [Fact]
    public async Task V1AndV2ClientsShareOneStore()
    {
        await using var v1 = new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint, Api = MarconiApi.V1, ProjectId = _project });
        var id = await (await v1.CreateQueueAsync("mixed")).PostAsync(JsonDocument.Parse("""{"from":"v1"}""").RootElement, 300);
        var popped = await Client.Queue("mixed").PopAsync();
        popped.Single().Id.Should().Be(id);
        popped[0].Body.GetProperty("from").GetString().Should().Be("v1");
    }

    private MarconiClient NewClient()
    {
        var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = _endpoint,
            Api = MarconiApi.V2,
            ProjectId = _project,
            Timeout = TimeSpan.FromSeconds(15),
        });
        _clients.Add(client);
        return client;
    }
}
