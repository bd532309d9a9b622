using Marconi.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Storage.Postgres;

public static class PostgresStorageExtensions
{
    /// <summary>Registers the PostgreSQL driver as the <see cref="IDataDriver"/>, connected and migrated when the host starts.</summary>
    public static IHostApplicationBuilder AddPostgresStorage(this IHostApplicationBuilder builder)
    {
        const string Section = PostgresStorageOptions.SectionName;
        builder.Services.AddOptions<PostgresStorageOptions>()
            .BindConfiguration(Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString),
                $"{Section}:ConnectionString must be set (an Npgsql connection string) when Marconi:Storage:Driver is postgres.")
            .Validate(o => PostgresStorageOptions.IsPlainIdentifier(o.Schema),
                $"{Section}:Schema must be a plain lower-case identifier (letters, digits, _; at most 63).")
            .Validate(o => o.CommandTimeoutSeconds > 0, $"{Section}:CommandTimeoutSeconds must be a positive integer.")
            .Validate(o => o.CollectorChunk > 0, $"{Section}:CollectorChunk must be a positive integer.")
            .Validate(o => o.MaxPendingPosts > 0, $"{Section}:MaxPendingPosts must be a positive integer.")
            .Validate(o => o.MaxClockSkewMilliseconds > 0, $"{Section}:MaxClockSkewMilliseconds must be a positive integer.")
            .Validate(o => o.WakeUpIntervalMilliseconds >= 0, $"{Section}:WakeUpIntervalMilliseconds must be 0 (off) or a positive integer.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PostgresDataDriver>();
        builder.Services.AddSingleton<IDataDriver>(sp => sp.GetRequiredService<PostgresDataDriver>());
        builder.Services.AddSingleton(sp => sp.GetRequiredService<PostgresDataDriver>().Description);
        builder.Services.AddHostedService<PostgresStartup>();
        // Every host reads "now" from the database's clock (Core's TimeProvider resolves to it).
        builder.Services.AddSingleton<PostgresClock>();
        builder.Services.AddSingleton<StoreClock>(sp => sp.GetRequiredService<PostgresClock>());
        builder.Services.AddHostedService<PostgresClockSync>();
        builder.Services.AddHostedService<PostgresWakeUps>();
        return builder;
    }

    /// <summary>Connects and migrates at start, so a bad connection string stops the host at once.</summary>
    private sealed class PostgresStartup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<PostgresDataDriver>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
