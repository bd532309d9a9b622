using System.Net;
using System.Text.Json;
using Marconi.Tests.Http;
using Marconi.Tests.Zmq;

namespace Marconi.Tests.Auth;

/// <summary>
/// <c>GET /v2/admin/projects</c> (ZeroMQ <c>project_list</c>): an admin key sees every project that
/// has queues, with its number of queues, paged by name; a project key sees none of it.
/// </summary>
public sealed class ProjectListingTests(KeysFactory factory) : IClassFixture<KeysFactory>
{
    /// <summary>An admin client sending neither X-Project-ID nor Client-ID: the listing needs neither.</summary>
    private async Task<V1Client> AdminAsync()
    {
        var client = factory.CreateV1Client();
        client.Project = null;
        client.ClientId = null;
        client.Token = await factory.IssueAsync(null);
        return client;
    }

    /// <summary>Project names sharing a fresh prefix, so a listing from the prefix on sees this test's projects first.</summary>
    private static string Prefix() => "t" + Guid.NewGuid().ToString("N")[..12];

    private async Task CreateQueuesAsync(string project, params string[] queues)
    {
        using var client = factory.CreateV1Client();
        client.Project = project;
        client.Token = await factory.IssueAsync(project);
        foreach (var queue in queues)
        {
            (await client.PutAsync($"/v2/queues/{queue}")).StatusCode.Should().Be(HttpStatusCode.Created);
        }
    }

    private static List<(string Name, long Queues)> Projects(JsonElement page) =>
        page.GetProperty("projects").EnumerateArray()
            .Select(p => (p.GetProperty("name").GetString()!, p.GetProperty("queues").GetInt64()))
            .ToList();

    private static string? Next(JsonElement page)
    {
        var links = page.GetProperty("links");
        links.GetArrayLength().Should().BeLessThanOrEqualTo(1);
        return links.GetArrayLength() == 0 ? null : links[0].GetProperty("href").GetString();
    }

    [Fact]
    public async Task AnAdminKeyListsEveryProjectWithItsQueueCountsPageByPage()
    {
        var prefix = Prefix();
        await CreateQueuesAsync(prefix + "-b", "one");
        await CreateQueuesAsync(prefix + "-a", "one", "two", "three");
        await CreateQueuesAsync(prefix + "-c", "one", "two");
        using var admin = await AdminAsync();

        var first = await (await admin.GetAsync($"/v2/admin/projects?marker={prefix}&limit=2")).ShouldBeJsonAsync();
        first.Members().Should().Equal("projects", "links");
        Projects(first).Should().Equal((prefix + "-a", 3), (prefix + "-b", 1));
        first.GetProperty("links").EnumerateArray().Single().GetProperty("rel").GetString().Should().Be("next");
        Next(first).Should().Be($"/v2/admin/projects?marker={prefix}-b&limit=2");

        var second = await (await admin.GetAsync(Next(first)!)).ShouldBeJsonAsync();
        Projects(second).Should().StartWith((prefix + "-c", 2));

        // A project whose last queue is deleted is no longer listed.
        using (var owner = factory.CreateV1Client())
        {
            owner.Project = prefix + "-b";
            owner.Token = await factory.IssueAsync(owner.Project);
            (await owner.DeleteAsync("/v2/queues/one")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        Projects(await (await admin.GetAsync($"/v2/admin/projects?marker={prefix}&limit=2")).ShouldBeJsonAsync())
            .Should().Equal((prefix + "-a", 3), (prefix + "-c", 2));
    }

    [Fact]
    public async Task APageAfterTheLastProjectIsEmptyAsAnEmptyQueuePageIs()
    {
        await CreateQueuesAsync(Prefix(), "one");
        using var admin = await AdminAsync();

        // "~" sorts after every letter and digit the projects of this class start with.
        var page = await (await admin.GetAsync("/v2/admin/projects?marker=~")).ShouldBeJsonAsync();
        page.GetRawText().Should().Be("""{"projects":[],"links":[]}""");
    }

    [Fact]
    public async Task WithoutALimitAPageHoldsTheQueueListingsDefault()
    {
        var prefix = Prefix();
        for (var i = 0; i < 12; i++)
        {
            await CreateQueuesAsync($"{prefix}-{i:D2}", "one");
        }

        using var admin = await AdminAsync();
        var page = await (await admin.GetAsync($"/v2/admin/projects?marker={prefix}")).ShouldBeJsonAsync();
        Projects(page).Select(p => p.Name).Should().Equal(Enumerable.Range(0, 10).Select(i => $"{prefix}-{i:D2}"));
        Next(page).Should().Be($"/v2/admin/projects?marker={prefix}-09", "a limit the request did not carry is not carried");
    }

    [Theory]
    [InlineData("0", "Invalid API request")]
    [InlineData("-1", "Invalid API request")]
    [InlineData("21", "Invalid API request")]
    [InlineData("10000000000000000000", "Invalid API request")]
    [InlineData("ten", "Invalid parameter")]
    public async Task ALimitOutside1To20Is400(string limit, string title)
    {
        using var admin = await AdminAsync();
        await (await admin.GetAsync($"/v2/admin/projects?limit={limit}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, title);
    }

    [Fact]
    public async Task AProjectKeyIsRefusedAndNoKeyIsUnauthenticated()
    {
        var project = Prefix();
        await CreateQueuesAsync(project, "one");
        using var client = factory.CreateV1Client();
        client.Project = project;
        client.Token = await factory.IssueAsync(project);
        await (await client.GetAsync("/v2/admin/projects")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");

        client.Token = null;
        var response = await client.GetAsync("/v2/admin/projects");
        await response.ShouldBeErrorAsync(HttpStatusCode.Unauthorized, "Authentication required");
        response.Headers.WwwAuthenticate.Should().ContainSingle().Which.Scheme.Should().Be("Bearer");
    }

    [Fact]
    public async Task ZeroMqListsProjectsForAnAdminKeyOnly()
    {
        var prefix = Prefix();
        await CreateQueuesAsync(prefix + "-a", "one", "two");
        using var zmq = factory.CreateReqClient();
        zmq.Api = "v2";
        zmq.Token = await factory.IssueAsync(null);

        var reply = zmq.Call("project_list", new { marker = prefix, limit = 1 });
        reply.Status().Should().Be(200, reply.ToString());
        Projects(reply.Body()).Should().Equal((prefix + "-a", 2));
        Next(reply.Body()).Should().Be($"/v2/admin/projects?marker={prefix}-a&limit=1");
        zmq.Call("project_list", new { limit = 0 }).ShouldBeError(400, "Invalid API request");

        zmq.Token = await factory.IssueAsync(zmq.Project);
        zmq.Call("project_list").ShouldBeError(403, "Not authorized");
    }
}

/// <summary>With <c>Mode=none</c> the project listing is refused as key management is: there is no admin to show it to.</summary>
public sealed class ProjectListingWithoutKeysTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task TheListingIsRefused()
    {
        using var client = factory.CreateV1Client();
        (await client.PutAsync("/v2/queues/jobs")).StatusCode.Should().Be(HttpStatusCode.Created);
        await (await client.GetAsync("/v2/admin/projects")).ShouldBeErrorAsync(HttpStatusCode.Forbidden, "Not authorized");
    }
}
