using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Marconi.Api.Access;
using Marconi.Core.Keys;
using Marconi.Tests.Http;
using Marconi.Tests.Zmq;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace Marconi.Tests.Auth;

/// <summary>
/// <c>Mode=keys</c>: the admin API makes, lists, rotates and revokes keys; a key's scope and role
/// decide what it may do; anything else is 401 or 403, logged without the secret and counted.
/// </summary>
public sealed class KeyManagementTests(KeysFactory factory) : IClassFixture<KeysFactory>
{
    private async Task<V1Client> AdminAsync()
    {
        var client = factory.CreateV1Client();
        client.Project = null;
        client.Token = await factory.IssueAsync(null);
        return client;
    }

    [Fact]
    public void AServerWithoutAnAdminKeySaysHowToMakeOne()
    {
        _ = factory.ServerAddress;
        factory.Logs.Events.Should().Contain(e => e.Level == LogEventLevel.Information
            && e.MessageTemplate.Text.StartsWith("Authentication: API keys required", StringComparison.Ordinal));
        factory.Logs.Events.Should().Contain(e => e.Level == LogEventLevel.Warning
            && e.RenderMessage(null).Contains("marconi key create --admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAdminKeyCreatesListsRotatesAndRevokesKeys()
    {
        using var admin = await AdminAsync();
        var project = "acme-" + Guid.NewGuid().ToString("N");

        var created = await admin.PostAsync("/v2/admin/keys", $$"""{"name": "ci", "project": "{{project}}", "role": "produce"}""");
        var key = await created.ShouldBeJsonAsync(HttpStatusCode.Created);
        var id = key.GetProperty("id").GetString()!;
        created.Location().Should().Be($"/v2/admin/keys/{id}");
        key.GetProperty("scope").GetString().Should().Be("project");
        key.GetProperty("project").GetString().Should().Be(project);
        key.GetProperty("role").GetString().Should().Be("produce");
        key.GetProperty("revoked").ValueKind.Should().Be(JsonValueKind.Null);
        var secret = key.GetProperty("secret").GetString()!;
        secret.Should().StartWith("mk_" + id + "_");

        // The key implies its project: no X-Project-Id needed.
        using var producer = factory.CreateV1Client();
        producer.Project = null;
        producer.Token = secret;
        (await producer.PostAsync("/v2/queues/jobs/messages", """{"messages": [{"ttl": 60, "body": 1}]}""")).StatusCode
            .Should().Be(HttpStatusCode.Created);

        var listed = await (await admin.GetAsync($"/v2/admin/keys?project={project}")).ShouldBeJsonAsync();
        listed.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("id").GetString()).Should().Equal(id);
        listed.ToString().Should().NotContain(secret[20..]).And.NotContain("\"secret\"");
        var got = await (await admin.GetAsync($"/v2/admin/keys/{id}")).ShouldBeJsonAsync();
        got.TryGetProperty("secret", out _).Should().BeFalse();

        var rotated = await (await admin.PostAsync($"/v2/admin/keys/{id}/rotate", null)).ShouldBeJsonAsync();
        var newSecret = rotated.GetProperty("secret").GetString()!;
        newSecret.Should().NotBe(secret);
        (await producer.GetAsync("/v2/queues/jobs/stats")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        producer.Token = newSecret;
        (await producer.GetAsync("/v2/queues/jobs/stats")).StatusCode.Should().Be(HttpStatusCode.OK);

        (await admin.DeleteAsync($"/v2/admin/keys/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await producer.GetAsync("/v2/queues/jobs/stats")).ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "Authentication required");
        var revoked = await (await admin.GetAsync($"/v2/admin/keys/{id}")).ShouldBeJsonAsync();
        revoked.GetProperty("revoked").GetString().Should().NotBeNullOrEmpty();
        revoked.GetProperty("last_used").ValueKind.Should().Be(JsonValueKind.String, "the key was used");
        await (await admin.PostAsync($"/v2/admin/keys/{id}/rotate", null)).ShouldBeErrorAsync(HttpStatusCode.Conflict, "Resource conflict");
        await (await admin.DeleteAsync("/v2/admin/keys/0123456789abcdef")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("""{"project": "p"}""")]
    [InlineData("""{"name": "x"}""")]
    [InlineData("""{"name": "x", "project": "p", "admin": true}""")]
    [InlineData("""{"name": "x", "project": "p", "role": "root"}""")]
    [InlineData("""{"name": "x", "project": "p", "expires": "yesterday"}""")]
    [InlineData("""{"name": "x", "project": "p", "expires": "2001-01-01T00:00:00Z"}""")]
    [InlineData("""{"name": "x", "project": "p", "owner": "me"}""")]
    [InlineData("""{"name": "\ud800", "project": "p"}""")]
    [InlineData("""[]""")]
    public async Task ABadKeyRequestIs400AndMakesNoKey(string body)
    {
        using var admin = await AdminAsync();
        var before = (await (await admin.GetAsync("/v2/admin/keys")).ShouldBeJsonAsync()).GetProperty("keys").GetArrayLength();

        (await admin.PostAsync("/v2/admin/keys", body)).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var after = (await (await admin.GetAsync("/v2/admin/keys")).ShouldBeJsonAsync()).GetProperty("keys").GetArrayLength();
        after.Should().BeLessThanOrEqualTo(before + 1, "other tests of the class may add keys at the same time, but this one added none");
    }

    [Fact]
    public async Task EveryBadCredentialIs401WithBearerChallengeAndTheSameWords()
    {
        var live = await factory.IssueKeyAsync("acme");
        var revoked = await factory.IssueKeyAsync("acme");
        await factory.Services.GetRequiredService<KeyOperations>().RevokeAsync(revoked.Key.Id, default);
        var expiring = await factory.IssueKeyAsync("acme", expires: factory.Clock.GetUtcNow().AddMinutes(1));
        factory.Clock.Advance(TimeSpan.FromMinutes(2));

        var wrongSecret = live.Token[..^4] + (live.Token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        string?[] tokens = [null, "", "garbage", "mk_0123456789abcdef_" + new string('A', 43), wrongSecret, revoked.Token, expiring.Token];
        var descriptions = new HashSet<string>();
        foreach (var token in tokens)
        {
            using var client = factory.CreateV1Client();
            client.Project = "acme";
            client.Token = token;
            var response = await client.GetAsync("/v2/queues");
            await response.ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "Authentication required");
            response.Headers.WwwAuthenticate.Should().ContainSingle().Which.Scheme.Should().Be("Bearer");
            descriptions.Add((await response.JsonAsync()).GetProperty("description").GetString()!);
        }

        descriptions.Should().ContainSingle("a guess learns nothing from the answer");
    }

    [Fact]
    public async Task TheKeyMayComeAsABearerToken()
    {
        var token = await factory.IssueAsync("acme");
        using var client = factory.CreateV1Client();
        client.Project = null;
        using var request = client.Request(HttpMethod.Get, "/v2/queues");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await client.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.OK);

        using var basic = client.Request(HttpMethod.Get, "/v2/queues");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
        (await client.SendAsync(basic)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AProjectKeyServesItsOwnProjectOnly()
    {
        var project = "p-" + Guid.NewGuid().ToString("N");
        using var client = factory.CreateV1Client();
        client.Token = await factory.IssueAsync(project);
        client.Project = project;
        (await client.PutAsync("/v2/queues/own")).StatusCode.Should().Be(HttpStatusCode.Created);

        client.Project = "someone-else";
        await (await client.GetAsync("/v2/queues/own")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
        await (await client.GetAsync("/v2/queues/missing")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
        await (await client.GetAsync("/v1/queues/own")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");

        // v1 without the header: the key's project, not the default namespace.
        client.Project = null;
        (await client.GetAsync("/v1/queues/own")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await client.GetAsync("/v2/admin/keys")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
    }

    [Fact]
    public async Task RolesDecideWhatAKeyMayDo()
    {
        var project = "p-" + Guid.NewGuid().ToString("N");
        using var producer = factory.CreateV1Client();
        producer.Project = project;
        producer.Token = await factory.IssueAsync(project, KeyRole.Produce);
        using var consumer = factory.CreateV1Client();
        consumer.Project = project;
        consumer.Token = await factory.IssueAsync(project, KeyRole.Consume);

        (await producer.PostAsync("/v2/queues/work/messages", """{"messages": [{"ttl": 60, "body": "job"}]}""")).StatusCode
            .Should().Be(HttpStatusCode.Created);
        await (await producer.PostAsync("/v2/queues/work/claims", "{}")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
        await (await consumer.PostAsync("/v2/queues/work/messages", """{"messages": [{"ttl": 60, "body": "x"}]}"""))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
        await (await consumer.DeleteAsync("/v2/queues/work")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");

        var claimed = await (await consumer.PostAsync("/v2/queues/work/claims", "{}")).ShouldBeJsonAsync(HttpStatusCode.Created);
        claimed.GetProperty("messages").GetArrayLength().Should().Be(1, "the consumer claims what the producer posted");
        (await producer.GetAsync("/v2/queues/work/stats")).StatusCode.Should().Be(HttpStatusCode.OK, "both roles read queues");
    }

    [Fact]
    public async Task ARedriveNeedsAFullKey()
    {
        var project = "p-" + Guid.NewGuid().ToString("N");
        using var owner = factory.CreateV1Client();
        owner.Project = project;
        owner.Token = await factory.IssueAsync(project);
        using var consumer = factory.CreateV1Client();
        consumer.Project = project;
        consumer.Token = await factory.IssueAsync(project, KeyRole.Consume);
        (await owner.PutAsync("/v2/queues/work", """{"_dead_letter_queue": "work-dead"}""")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await owner.PostAsync("/v2/queues/work-dead/messages", """{"messages": [{"ttl": 60, "body": "job"}]}""")).StatusCode
            .Should().Be(HttpStatusCode.Created);

        await (await consumer.PostAsync("/v2/queues/work/redrive", null)).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
        (await (await owner.GetAsync("/v2/queues/work-dead/stats")).ShouldBeJsonAsync())
            .GetProperty("messages").GetProperty("total").GetInt32().Should().Be(1, "the refused redrive moved nothing");

        var redriven = await (await owner.PostAsync("/v2/queues/work/redrive", null)).ShouldBeJsonAsync();
        redriven.GetProperty("moved").GetInt32().Should().Be(1);
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/v1")]
    [InlineData("GET", "/v1/health")]
    [InlineData("HEAD", "/v1/health")]
    [InlineData("GET", "/v1.1")]
    [InlineData("GET", "/v1.1/ping")]
    [InlineData("GET", "/v1.1/health")]
    [InlineData("GET", "/v2")]
    [InlineData("HEAD", "/v2/ping")]
    [InlineData("GET", "/v2/ping")]
    [InlineData("GET", "/v2/health")]
    [InlineData("GET", "/healthz/live")]
    [InlineData("GET", "/healthz/ready")]
    public async Task HealthPingVersionsAndHomeDocumentsStayOpen(string method, string path)
    {
        using var client = factory.CreateV1Client();
        client.Token = "garbage";
        var response = await client.SendAsync(new HttpMethod(method), path);
        ((int)response.StatusCode).Should().BeOneOf(200, 204, 300);
    }

    [Fact]
    public async Task RefusalsAreLoggedWithTheKeyIdButNeverTheSecretAndCounted()
    {
        var failures = new List<(long Value, string? Reason, string? Transport)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AccessGate.MeterName && instrument.Name == AccessGate.FailureCounterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            string? Tag(string name) => all.FirstOrDefault(t => t.Key == name).Value as string;
            lock (failures)
            {
                failures.Add((value, Tag("reason"), Tag("transport")));
            }
        });
        listener.Start();

        var issued = await factory.IssueKeyAsync("acme");
        await factory.Services.GetRequiredService<KeyOperations>().RevokeAsync(issued.Key.Id, default);
        using var client = factory.CreateV1Client();
        client.Token = issued.Token;
        client.Project = "acme";
        (await client.GetAsync("/v2/queues")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var zmq = factory.CreateReqClient();
        zmq.Api = "v2";
        zmq.Project = "acme";
        zmq.Call("queue_list").ShouldBeError(401, "Authentication required");

        lock (failures)
        {
            failures.Should().Contain((1, "revoked", "http"));
            failures.Should().Contain((1, "missing", "zmq"));
        }

        var refusals = factory.Logs.Events.Where(e => e.Level == LogEventLevel.Warning && e.MessageTemplate.Text.StartsWith("Refused", StringComparison.Ordinal)).ToList();
        refusals.Should().Contain(e => e.Properties["KeyId"].ToString() == $"\"{issued.Key.Id}\"" && e.Properties["Reason"].ToString() == "\"revoked\"");
        // mk_{id}_{secret}: the id is fixed-length hex; the secret is base64url and may hold '_' itself.
        var secret = issued.Token[(KeyTokens.Prefix.Length + issued.Key.Id.Length + 1)..];
        secret.Should().HaveLength(43);
        factory.Logs.Events.Should().NotContain(e => e.RenderMessage(null).Contains(secret, StringComparison.Ordinal)
            || e.Properties.Values.Any(v => v.ToString().Contains(secret, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ZeroMqTakesTheKeyInTheEnvelopeHeadersAndManagesKeys()
    {
        using var zmq = factory.CreateReqClient();
        zmq.Api = "v2";
        zmq.Token = await factory.IssueAsync(null);

        var created = zmq.Call("key_create", new { name = "worker", project = zmq.Project, role = "consume" });
        created.Status().Should().Be(201, created.ToString());
        var id = created.Body().GetProperty("id").GetString()!;
        var secret = created.Body().GetProperty("secret").GetString()!;
        zmq.Call("key_get", new { key_id = id }).Body().GetProperty("role").GetString().Should().Be("consume");
        zmq.Call("key_list", new { project = zmq.Project }).Body().GetProperty("keys").GetArrayLength().Should().Be(1);

        using var worker = factory.CreateReqClient();
        worker.Api = "v2";
        worker.Project = zmq.Project;
        worker.Token = secret;
        worker.Call("claim_create", new { queue_name = "q" }).Status().Should().Be(204);
        worker.Call("message_post", new { queue_name = "q", messages = new[] { new { ttl = 60, body = 1 } } })
            .ShouldBeError(403, "Not authorized");
        worker.Call("key_list").ShouldBeError(403, "Not authorized");

        zmq.Call("key_revoke", new { key_id = id }).Status().Should().Be(204);
        worker.Call("claim_create", new { queue_name = "q" }).ShouldBeError(401, "Authentication required");
    }
}

/// <summary>With <c>Mode=none</c> keys cannot be managed over the API: a key made there would outlive the open mode.</summary>
public sealed class KeyManagementWithoutKeysTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task TheAdminApiIsRefused()
    {
        using var client = factory.CreateV1Client();
        await (await client.PostAsync("/v2/admin/keys", """{"name": "x", "admin": true}"""))
            .ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
        await (await client.GetAsync("/v2/admin/keys")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
    }
}
