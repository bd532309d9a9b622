using Marconi.Client;
using Marconi.Client.Transport;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="MarconiClient"/> in a service collection.</summary>
public static class MarconiClientServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the registered client sends its HTTP requests through.</summary>
    public const string HttpClientName = "Marconi.Client";

    /// <summary>
    /// Registers one shared <see cref="IMarconiClient"/> (and <see cref="MarconiClient"/>) made from the
    /// options. Over HTTP it sends through the <see cref="IHttpClientFactory"/> client named
    /// <see cref="HttpClientName"/>, whose builder is returned: add handlers to it (logging, auth, tracing).
    /// A <c>tcp://</c> or <c>ipc://</c> endpoint speaks ZeroMQ, and the HTTP client is not used.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">Makes the client's options, from the services (configuration, secrets).</param>
    /// <returns>The builder of the named HTTP client.</returns>
    /// <example>
    /// <code>
    /// services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = new Uri("http://127.0.0.1:8888"), ProjectId = "demo" })
    ///     .AddHttpMessageHandler&lt;MyHandler&gt;();
    /// </code>
    /// </example>
    public static IHttpClientBuilder AddMarconiClient(this IServiceCollection services, Func<IServiceProvider, MarconiClientOptions> options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(provider =>
        {
            var settings = options(provider);
            return MarconiClient.UsesHttp(settings.Endpoint)
                ? new MarconiClient(settings, provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName))
                : new MarconiClient(settings);
        });
        services.AddSingleton<IMarconiClient>(provider => provider.GetRequiredService<MarconiClient>());
        return services.AddHttpClient(HttpClientName)
            // Each attempt has its own time limit (MarconiClientOptions.Timeout); the client's own would cut retries short.
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider => HttpTransport.CreateHandler(options(provider)));
    }

    /// <summary>Registers one shared <see cref="IMarconiClient"/> with fixed options; see the other overload.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The client's options.</param>
    /// <returns>The builder of the named HTTP client.</returns>
    public static IHttpClientBuilder AddMarconiClient(this IServiceCollection services, MarconiClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddMarconiClient(_ => options);
    }
}
