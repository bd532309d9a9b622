using System.Net;
using System.Text;
using System.Text.Json;
using Marconi.Api.V2;
using Marconi.Tests.Http;

namespace Marconi.Tests.Auth;

/// <summary>
/// v2 contract 11 with <c>Mode=keys</c> (issue: authentication, tests 2): a valid pre-signed grant is
/// a credential of its own, so its holder needs no key for what it names; an expired, tampered or
/// misused grant is refused (404, as Zaqar hides the resource) and changes nothing in the store.
/// </summary>
public sealed class SignedUrlKeysTests(AccessMatrixFactory factory) : IClassFixture<AccessMatrixFactory>, IAsyncLifetime
{
    private Victim _victim = null!;

    public async Task InitializeAsync()
    {
        _victim = await factory.SeedAsync("shared-" + Guid.NewGuid().ToString("N"));
        await factory.WaitForLastUseAsync(_victim.Full.Key.Id);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private string Messages => $"/v2/queues/{_victim.Queue}/messages";

    [Fact]
    public async Task AValidGrantLetsItsHolderInWithoutAKey()
    {
        using var owner = Client(_victim.Full.Token);
        var grant = await (await owner.PostAsync($"/v2/queues/{_victim.Queue}/share", """{"methods": ["GET", "POST"]}""")).ShouldBeJsonAsync();
        using var holder = Client(null);

        var listed = await (await holder.SendAsync(Signed(holder, HttpMethod.Get, Messages, grant))).ShouldBeJsonAsync();
        listed.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString())
            .Should().Equal(_victim.MessageIds[2..], "the unclaimed messages");
        var one = await (await holder.SendAsync(Signed(holder, HttpMethod.Get, $"{Messages}/{_victim.MessageIds[0]}", grant))).ShouldBeJsonAsync();
        one.GetProperty("body").GetString().Should().Be(_victim.Marker);

        using var post = Signed(holder, HttpMethod.Post, Messages, grant, """{"messages": [{"ttl": 60, "body": "from the holder"}]}""");
        var posted = await (await holder.SendAsync(post)).ShouldBeJsonAsync(HttpStatusCode.Created);
        var id = posted.GetProperty("resources")[0].GetString()!.Split('/')[^1];
        var stored = await (await owner.GetAsync($"{Messages}/{id}")).ShouldBeJsonAsync();
        stored.GetProperty("body").GetString().Should().Be("from the holder", "the owner's key sees what the grant posted");

        // A grant signed here as the server signs is accepted too, so the expired one below is refused for its date alone.
        var handMade = Sign([Messages], ["GET"], factory.Clock.GetUtcNow().AddMinutes(5));
        (await holder.SendAsync(Signed(holder, HttpMethod.Get, Messages, handMade))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    public static TheoryData<string> Misuses() =>
    [
        "expired", "wrong method", "wrong path", "another queue", "another project", "tampered signature",
        "dot segments to claims", "key management", "v1.1 path", "no grant at all",
    ];

    [Theory]
    [MemberData(nameof(Misuses))]
    public async Task AnythingButAValidGrantIsRefusedAndChangesNothing(string misuse)
    {
        var valid = Sign([Messages], ["GET", "DELETE"], factory.Clock.GetUtcNow().AddDays(1));
        var before = await factory.SnapshotAsync();
        using var holder = Client(null);
        var claim = $"/v2/queues/{_victim.Queue}/claims/{_victim.ClaimId}";
        var (request, status) = misuse switch
        {
            "expired" => (Signed(holder, HttpMethod.Delete, Messages + $"?ids={_victim.MessageIds[^1]}",
                Sign([Messages], ["GET", "DELETE"], factory.Clock.GetUtcNow().AddSeconds(-1))), 404),
            "wrong method" => (Signed(holder, HttpMethod.Post, Messages, valid, """{"messages": [{"ttl": 60, "body": 1}]}"""), 404),
            "wrong path" => (Signed(holder, HttpMethod.Delete, claim, valid), 404),
            "another queue" => (Signed(holder, HttpMethod.Delete, $"/v2/queues/{_victim.Queue}-other/messages?pop=1", valid,
                paths: $"/v2/queues/{_victim.Queue}-other/messages"), 404),
            "another project" => (Signed(holder, HttpMethod.Delete, Messages + "?pop=1", valid, project: "someone-else"), 404),
            "tampered signature" => (Signed(holder, HttpMethod.Delete, Messages + "?pop=1",
                valid with { Signature = (valid.Signature[0] == '0' ? "1" : "0") + valid.Signature[1..] }), 404),
            "dot segments to claims" => (Signed(holder, HttpMethod.Delete, $"{Messages}/%2E%2E/claims/{_victim.ClaimId}", valid), 404),
            "key management" => (Signed(holder, HttpMethod.Delete, $"/v2/admin/keys/{_victim.Full.Key.Id}", valid), 404),
            // v1.1 has no pre-signed URLs: the headers are ignored and no key is no access.
            "v1.1 path" => (Signed(holder, HttpMethod.Delete, $"/v1.1/queues/{_victim.Queue}/messages?pop=1", valid,
                paths: $"/v1.1/queues/{_victim.Queue}/messages"), 401),
            "no grant at all" => (holder.Request(HttpMethod.Delete, Messages + "?pop=1"), 401),
            _ => throw new ArgumentOutOfRangeException(nameof(misuse)),
        };

        var response = await holder.SendAsync(request);

        await response.ShouldBeErrorAsync((HttpStatusCode)status, status == 404 ? "Not found" : "Authentication required");
        var body = await response.Content.ReadAsStringAsync();
        foreach (var secret in _victim.Secrets)
        {
            body.Should().NotContain(secret);
        }

        var after = await factory.SnapshotAsync();
        after.Keys.Should().Equal(before.Keys);
        foreach (var (table, rows) in before)
        {
            after[table].Should().Equal(rows, "table {0} is unchanged after a refused {1}", table, misuse);
        }
    }

    private V1Client Client(string? token)
    {
        var client = factory.CreateV1Client();
        client.Project = _victim.Project;
        client.Token = token;
        return client;
    }

    private SignedGrant Sign(string[] paths, string[] methods, DateTimeOffset expires)
    {
        var expiresText = SignedUrls.FormatExpires(expires);
        string[] sortedPaths = [.. paths.Order(StringComparer.Ordinal)];
        string[] sortedMethods = [.. methods.Order(StringComparer.Ordinal)];
        return new SignedGrant(sortedPaths, sortedMethods, _victim.Project, expiresText,
            SignedUrls.Signature(Encoding.UTF8.GetBytes(AccessMatrixFactory.SigningKey), sortedPaths, sortedMethods, _victim.Project, expiresText));
    }

    private static HttpRequestMessage Signed(
        V1Client holder, HttpMethod method, string path, SignedGrant grant, string? body = null, string? paths = null, string? project = null)
    {
        var request = holder.Request(method, path, body);
        if (project is not null)
        {
            request.Headers.Remove("X-Project-Id");
            request.Headers.TryAddWithoutValidation("X-Project-Id", project);
        }

        request.Headers.TryAddWithoutValidation("URL-Signature", grant.Signature);
        request.Headers.TryAddWithoutValidation("URL-Methods", string.Join(',', grant.Methods));
        request.Headers.TryAddWithoutValidation("URL-Paths", paths ?? string.Join(',', grant.Paths));
        request.Headers.TryAddWithoutValidation("URL-Expires", grant.Expires);
        return request;
    }

    private static HttpRequestMessage Signed(V1Client holder, HttpMethod method, string path, JsonElement grant, string? body = null) =>
        Signed(holder, method, path, new SignedGrant(
            [.. grant.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!)],
            [.. grant.GetProperty("methods").EnumerateArray().Select(p => p.GetString()!)],
            grant.GetProperty("project").GetString()!, grant.GetProperty("expires").GetString()!,
            grant.GetProperty("signature").GetString()!), body);
}
