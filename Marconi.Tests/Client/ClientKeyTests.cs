using Marconi.Client;
using Marconi.Core.Keys;
using Marconi.Tests.Auth;

namespace Marconi.Tests.Client;

/// <summary>The key tests of the client over HTTP.</summary>
public sealed class HttpClientKeyTests(KeysFactory factory) : ClientKeyTests(factory, f => f.ServerAddress);

/// <summary>The same tests over ZeroMQ (the key in the envelope's headers).</summary>
public sealed class ZmqClientKeyTests(KeysFactory factory) : ClientKeyTests(factory, f => new Uri(f.ZmqEndpoint));

/// <summary>
/// <see cref="MarconiClient"/> against a host with <c>Marconi:Auth:Mode=keys</c>: its <c>AuthToken</c> on every
/// request, key management with an admin key, and refusals as typed exceptions. Each test has its own project.
/// </summary>
public abstract class ClientKeyTests : IClassFixture<KeysFactory>, IAsyncLifetime
{
    private readonly KeysFactory _factory;
    private readonly Uri _endpoint;
    private readonly string _project = "keys-" + Guid.NewGuid().ToString("N");
    private readonly List<MarconiClient> _clients = [];

    protected ClientKeyTests(KeysFactory factory, Func<KeysFactory, Uri> endpoint)
    {
        _factory = factory;
        _endpoint = endpoint(factory);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    private MarconiClient NewClient(string? token, string? project = null, MarconiApi api = MarconiApi.V2)
    {
        var client = new MarconiClient(new MarconiClientOptions
        {
            Endpoint = _endpoint, AuthToken = token, ProjectId = project, Api = api, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(10),
        });
        _clients.Add(client);
        return client;
    }

    [Fact]
    public async Task AnAdminKeyCreatesListsGetsRotatesAndRevokesKeys()
    {
        var admin = NewClient(await _factory.IssueAsync(null));
        var expires = DateTimeOffset.UtcNow.AddDays(30);

        var issued = await admin.CreateKeyAsync("ingest", _project, MarconiKeyRole.Produce, expires);
        var key = issued.Key;
        issued.Secret.Should().MatchRegex($"^mk_{key.Id}_[A-Za-z0-9_-]{{43}}$");
        (key.Name, key.Project, key.Role, key.IsAdmin).Should().Be(("ingest", _project, MarconiKeyRole.Produce, false));
        key.Expires.Should().BeCloseTo(expires, TimeSpan.FromSeconds(1));
        (key.LastUsed, key.Revoked).Should().Be((null, null));

        (await admin.ListKeysAsync(_project)).Should().Equal(key);
        (await admin.ListKeysAsync()).Should().Contain(key).And.Contain(k => k.IsAdmin);
        (await admin.GetKeyAsync(key.Id)).Should().Be(key);

        var producer = NewClient(issued.Secret);
        await producer.CreateQueueAsync("jobs");

        var rotated = await admin.RotateKeyAsync(key.Id);
        rotated.Key.Id.Should().Be(key.Id);
        rotated.Secret.Should().NotBe(issued.Secret);
        await ((Func<Task>)(() => producer.Queue("jobs").PostAsync(1, 60))).Should().ThrowAsync<MarconiAuthenticationException>();
        await NewClient(rotated.Secret).Queue("jobs").PostAsync(1, 60);

        await admin.RevokeKeyAsync(key.Id);
        await admin.RevokeKeyAsync(key.Id); // a second revocation changes nothing
        (await admin.GetKeyAsync(key.Id)).Revoked.Should().NotBeNull();
        var refused = (await ((Func<Task>)(() => NewClient(rotated.Secret).Queue("jobs").GetStatsAsync())).Should()
            .ThrowAsync<MarconiAuthenticationException>()).Which;
        (refused.Status, refused.Title).Should().Be((401, "Authentication required"));
        (await ((Func<Task>)(() => admin.RotateKeyAsync(key.Id))).Should().ThrowAsync<MarconiException>()).Which.Status.Should().Be(409);

        await ((Func<Task>)(() => admin.GetKeyAsync("0123456789abcdef"))).Should().ThrowAsync<ApiKeyNotFoundException>();
        await ((Func<Task>)(() => admin.RevokeKeyAsync("0123456789abcdef"))).Should().ThrowAsync<ApiKeyNotFoundException>();
        await ((Func<Task>)(() => admin.RotateKeyAsync("0123456789abcdef"))).Should().ThrowAsync<ApiKeyNotFoundException>();
    }

    [Fact]
    public async Task AnAdminKeyMakesAdminKeysAndRefusesBadRequests()
    {
        var admin = NewClient(await _factory.IssueAsync(null));
        var other = await admin.CreateKeyAsync("second admin", project: null);
        other.Key.IsAdmin.Should().BeTrue();
        other.Key.Role.Should().Be(MarconiKeyRole.Full);
        (await NewClient(other.Secret).ListKeysAsync()).Should().Contain(k => k.Id == other.Key.Id);

        await ((Func<Task>)(() => admin.CreateKeyAsync("", _project))).Should().ThrowAsync<MarconiValidationException>();
        await ((Func<Task>)(() => admin.CreateKeyAsync("late", _project, expires: DateTimeOffset.UtcNow.AddDays(-1))))
            .Should().ThrowAsync<MarconiValidationException>();
    }

    [Fact]
    public async Task TheTokenGoesWithEveryRequestAndAProjectKeyNeedsNoProject()
    {
        var token = await _factory.IssueAsync(_project);

        // No ProjectId: the key names the project.
        var client = NewClient(token);
        var queue = await client.CreateQueueAsync("work");
        await queue.PostAsync(new { job = 1 }, 60);
        (await queue.GetStatsAsync()).Total.Should().Be(1);
        (await NewClient(token, _project).ListQueuesAsync().Select(q => q.Name).ToListAsync()).Should().Equal("work");

        var elsewhere = (await ((Func<Task>)(() => NewClient(token, "someone-else").ListQueuesAsync().ToListAsync().AsTask()))
            .Should().ThrowAsync<MarconiAuthorizationException>()).Which;
        (elsewhere.Status, elsewhere.Title).Should().Be((403, "Not authorized"));

        await ((Func<Task>)(() => NewClient(null, _project).ListQueuesAsync().ToListAsync().AsTask()))
            .Should().ThrowAsync<MarconiAuthenticationException>();
        (await NewClient(null, _project).IsHealthyAsync()).Should().BeTrue("health needs no key");
    }

    [Fact]
    public async Task RolesAndScopesAreRefusedAsAuthorizationErrors()
    {
        var consumer = NewClient(await _factory.IssueAsync(_project, KeyRole.Consume));
        await ((Func<Task>)(() => consumer.Queue("q").PostAsync(1, 60))).Should().ThrowAsync<MarconiAuthorizationException>();
        (await consumer.Queue("q").ClaimAsync()).Should().BeNull("a consumer may claim");

        var projectFull = NewClient(await _factory.IssueAsync(_project));
        await ((Func<Task>)(() => projectFull.ListKeysAsync())).Should().ThrowAsync<MarconiAuthorizationException>();
        await ((Func<Task>)(() => projectFull.CreateKeyAsync("x", _project))).Should().ThrowAsync<MarconiAuthorizationException>();
    }

    [Fact]
    public async Task KeyManagementIsV2Only()
    {
        var v1 = NewClient("mk_0123456789abcdef_" + new string('A', 43), api: MarconiApi.V1);
        await ((Func<Task>)(() => v1.ListKeysAsync())).Should().ThrowAsync<NotSupportedException>();
        ((Func<MarconiClient>)(() => new MarconiClient(new MarconiClientOptions { Endpoint = _endpoint })))
            .Should().Throw<ArgumentException>("v2 without a project or a key");
    }
}
