using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Marconi.Transport.Sqs;

/// <summary>
/// The SQS endpoint's own Kestrel server on its own port, so queue URLs and signatures are exactly
/// SQS's (the endpoint at the root, queues at <c>/{account}/{queue}</c>) and none of the Marconi API's
/// middleware (its error shape, path rules, version checks) applies to it.
/// </summary>
public sealed class SqsServer(SqsEndpoint endpoint, IOptions<SqsTransportOptions> options, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The address bound (a configured port 0 becomes the one the system chose); null before start.</summary>
    public string? BoundUrl { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Value.Url);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        // Bodies are read and bounded by the endpoint itself (MaxRequestBytes).
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.Value.MaxRequestBytes + 1L;
            kestrel.Limits.MaxConcurrentConnections = options.Value.MaxConnections == 0 ? null : options.Value.MaxConnections;
        });
        _app = builder.Build();
        _app.Run(endpoint.HandleAsync);
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException exception)
        {
            // Kestrel's own message names the address, not the setting that chose it.
            throw new InvalidOperationException(
                $"{SqsTransportOptions.SectionName}:Url {options.Value.Url} cannot be bound: {exception.Message}", exception);
        }
        BoundUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
