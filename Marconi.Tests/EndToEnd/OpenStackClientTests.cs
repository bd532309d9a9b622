using System.Text.Json;
using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The <c>openstack messaging</c> commands (Debian's python3-openstackclient with the
/// python3-zaqarclient plugin) against the real host process. Without Keystone the command line
/// can reach the server (<c>--os-auth-type none --os-endpoint URL</c>) but cannot send a project
/// id, so only the commands that need none work: ping, health and homedoc.
/// </summary>
public sealed class OpenStackClientTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [SkippableFact]
    public async Task PingHealthAndHomedocWorkWithoutKeystone()
    {
        Skip.If(!File.Exists("/usr/bin/openstack"), "no openstack command here (.ci/run installs Debian's python3-openstackclient)");
        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        var endpoint = host.BaseAddress.ToString().TrimEnd('/');

        (await OpenStackAsync(endpoint, "messaging", "ping", "-f", "value")).Trim().Should().Be("True");
        using (var health = JsonDocument.Parse(await OpenStackAsync(endpoint, "messaging", "health")))
        {
            health.RootElement.GetProperty("storage_reachable").GetBoolean().Should().BeTrue();
        }

        using var home = JsonDocument.Parse(await OpenStackAsync(endpoint, "messaging", "homedoc"));
        home.RootElement.GetProperty("resources").GetProperty("rel/queue_purge").GetProperty("href-template").GetString()
            .Should().Be("/v2/queues/{queue_name}/purge");
    }

    private static Task<string> OpenStackAsync(string endpoint, params string[] command) =>
        Python.RunProgramAsync("/usr/bin/openstack", ["--os-auth-type", "none", "--os-endpoint", endpoint, .. command]);
}
