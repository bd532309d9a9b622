using Marconi.Tests.Zmq;

namespace Marconi.Tests.Auth;

/// <summary>
/// The matrix's requests are ones that work: each, sent to a freshly seeded project with the
/// narrowest key the action allows, is served. So a refusal in the matrix is the key's doing, not a
/// bad request's.
/// </summary>
public sealed class AccessMatrixControlTests(AccessMatrixFactory factory) : IClassFixture<AccessMatrixFactory>
{
    public static TheoryData<string, string, string> HttpRoutes()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var route in HttpRoute.All.Where(r => r.Needs != Needs.Open))
        {
            data.Add(route.Method, route.Version + route.Pattern, route.Query);
        }

        return data;
    }

    public static TheoryData<string, string> ZmqActions()
    {
        var data = new TheoryData<string, string>();
        foreach (var action in ZmqAction.All.Where(a => a.Needs != Needs.Open))
        {
            data.Add(action.Version, action.Action);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(HttpRoutes))]
    public async Task TheRouteServesTheNarrowestKeyThatMayUseIt(string method, string route, string query)
    {
        var entry = HttpRoute.All.Single(r => r.Method == method && r.Version + r.Pattern == route && r.Query == query);
        var victim = await factory.SeedAsync("owner-" + Guid.NewGuid().ToString("N"));
        using var client = factory.CreateV1Client();

        var response = await client.SendAsync(entry.Build(victim, await TokenAsync(victim, entry.Needs)));

        ((int)response.StatusCode).Should().BeInRange(200, 299, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(ZmqActions))]
    public async Task TheActionServesTheNarrowestKeyThatMayUseIt(string version, string action)
    {
        var entry = ZmqAction.All.Single(a => a.Version == version && a.Action == action);
        var victim = await factory.SeedAsync("owner-" + Guid.NewGuid().ToString("N"));
        using var zmq = factory.CreateReqClient();
        zmq.Api = entry.Api;
        zmq.Project = victim.Project;
        zmq.Token = await TokenAsync(victim, entry.Needs);

        var reply = zmq.Call(entry.Action, entry.Body(victim));

        reply.Status().Should().BeInRange(200, 299, reply.ToString());
    }

    private async Task<string> TokenAsync(Victim victim, Needs needs) => needs switch
    {
        Needs.Read or Needs.Consume => victim.Consume.Token,
        Needs.Produce => victim.Produce.Token,
        Needs.Manage => victim.Full.Token,
        _ => await factory.IssueAsync(null),
    };
}
