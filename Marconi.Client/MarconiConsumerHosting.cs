using Marconi.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marconi.Client
{
    /// <summary>Handles one message of a queue consumed by <see cref="Microsoft.Extensions.DependencyInjection.MarconiConsumerServiceCollectionExtensions.AddMarconiConsumer{THandler}(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, ConsumeOptions?)"/>.</summary>
    public interface IMarconiMessageHandler
    {
        /// <summary>Handles the message: returning deletes it, throwing gives it back (released or left to expire, by <see cref="ConsumeOptions.OnFailure"/>).</summary>
        /// <param name="message">The message, held by a claim the consumer renews meanwhile.</param>
        /// <param name="ct">Cancelled when the application stops or the claim is lost.</param>
        /// <returns>When handled.</returns>
        Task HandleAsync(MarconiMessage message, CancellationToken ct);
    }

    /// <summary>
    /// The hosted service behind <c>AddMarconiConsumer</c>: consumes one queue with the registered <see cref="IMarconiClient"/>
    /// while the application runs, resolving <typeparamref name="THandler"/> from a new scope for each message.
    /// </summary>
    /// <typeparam name="THandler">The handler.</typeparam>
    internal sealed class MarconiConsumerService<THandler>(
        IMarconiClient client, IServiceScopeFactory scopes, string queue, ConsumeOptions options, ILogger<MarconiConsumerService<THandler>> log)
        : BackgroundService
        where THandler : class, IMarconiMessageHandler
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var consume = options.Logger is null ? CopyWithLogger(options, log) : options;
            log.LogInformation("Consuming queue {Queue} with {Handler}, {Concurrency} at a time", queue, typeof(THandler).Name, consume.MaxConcurrency);
            try
            {
                await client.Queue(queue).ConsumeAsync(async (message, ct) =>
                {
                    var scope = scopes.CreateAsyncScope();
                    await using (scope.ConfigureAwait(false))
                    {
                        await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(message, ct).ConfigureAwait(false);
                    }
                }, consume, stoppingToken).ConfigureAwait(false);
            }
            catch (MarconiException exception)
            {
                // A claim that can never succeed (a refused key, a bad option): say so, rather than take the host down.
                log.LogError(exception, "Consuming queue {Queue} stopped: {Title}", queue, exception.Title);
            }
        }

        private static ConsumeOptions CopyWithLogger(ConsumeOptions o, ILogger logger) => new()
        {
            MaxConcurrency = o.MaxConcurrency, BatchSize = o.BatchSize, ClaimTtl = o.ClaimTtl, ClaimGrace = o.ClaimGrace, Wait = o.Wait,
            HeartbeatInterval = o.HeartbeatInterval, OnFailure = o.OnFailure, StopWhenEmpty = o.StopWhenEmpty, IdlePause = o.IdlePause,
            MinBackoff = o.MinBackoff, MaxBackoff = o.MaxBackoff, SettleTimeout = o.SettleTimeout, Logger = logger,
        };
    }
}

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Registers a hosted consumer of a queue.</summary>
    public static class MarconiConsumerServiceCollectionExtensions
    {
        /// <summary>
        /// Consumes <paramref name="queue"/> while the application (ASP.NET Core, Worker Service) runs, through the
        /// <see cref="IMarconiClient"/> registered with <c>AddMarconiClient</c>: each message is handled by a
        /// <typeparamref name="THandler"/> resolved from its own scope (so it may take scoped services), deleted when
        /// it returns and given back when it throws. On shutdown, handlers are cancelled and what they held is released.
        /// Call it once per queue (or per handler of a queue).
        /// </summary>
        /// <typeparam name="THandler">The handler, registered here as scoped.</typeparam>
        /// <param name="services">The service collection.</param>
        /// <param name="queue">The queue name.</param>
        /// <param name="options">How to consume; the defaults when <see langword="null"/>. Logs go to the host's logging unless <see cref="ConsumeOptions.Logger"/> is set.</param>
        /// <returns>The service collection.</returns>
        /// <example>
        /// <code>
        /// services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = new Uri("http://127.0.0.1:8888"), ProjectId = "demo" });
        /// services.AddMarconiConsumer&lt;ResizeHandler&gt;("images", new ConsumeOptions { MaxConcurrency = 4 });
        /// </code>
        /// </example>
        public static IServiceCollection AddMarconiConsumer<THandler>(this IServiceCollection services, string queue, ConsumeOptions? options = null)
            where THandler : class, IMarconiMessageHandler
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentException.ThrowIfNullOrEmpty(queue);
            options ??= new ConsumeOptions();
            options.Validate();
            services.AddLogging();
            services.AddScoped<THandler>();
            services.AddSingleton<IHostedService>(provider => new MarconiConsumerService<THandler>(
                provider.GetRequiredService<IMarconiClient>(), provider.GetRequiredService<IServiceScopeFactory>(), queue, options,
                provider.GetRequiredService<ILogger<MarconiConsumerService<THandler>>>()));
            return services;
        }
    }
}
