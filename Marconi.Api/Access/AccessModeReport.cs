using Marconi.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Api.Access;

/// <summary>
/// Says at start how requests are authenticated, and, when keys are required but none is live, how
/// to make the first one: otherwise an operator meets a server that answers 401 to everything.
/// </summary>
internal sealed partial class AccessModeReport(
    IOptions<AuthOptions> options, IDataDriver driver, TimeProvider clock, ILogger<AccessModeReport> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.RequiresKeys)
        {
            LogNoAuthentication();
            return;
        }

        var now = clock.GetUtcNow();
        var keys = await driver.Keys.ListAsync(null, cancellationToken);
        var live = keys.Count(k => k.IsLiveAt(now));
        var admins = keys.Count(k => k.IsLiveAt(now) && k.IsAdmin);
        LogKeys(live, admins);
        if (admins == 0)
        {
            LogNoAdminKey();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Authentication: none; projects are namespaces, not a boundary (Marconi:Auth:Mode=none)")]
    private partial void LogNoAuthentication();

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Authentication: API keys required (Marconi:Auth:Mode=keys); {LiveKeys} live keys, {AdminKeys} of them admin")]
    private partial void LogKeys(int liveKeys, int adminKeys);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "No live admin key exists: make one on this host with 'marconi key create --admin --name NAME --db DATABASE'")]
    private partial void LogNoAdminKey();
}
