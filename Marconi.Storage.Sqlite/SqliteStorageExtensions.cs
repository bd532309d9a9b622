using Marconi.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Storage.Sqlite;

public static class SqliteStorageExtensions
{
    /// <summary>Registers the SQLite driver as the <see cref="IDataDriver"/>, opened when the host starts.</summary>
    public static IHostApplicationBuilder AddSqliteStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SqliteStorageOptions>()
            .BindConfiguration(SqliteStorageOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Path),
                $"{SqliteStorageOptions.SectionName}:Path must name a database file.")
            .Validate(o => SqliteStorageOptions.SynchronousModes.Contains(o.Synchronous, StringComparer.OrdinalIgnoreCase),
                $"{SqliteStorageOptions.SectionName}:Synchronous must be one of Off, Normal, Full, Extra.")
            .Validate(o => o.MaxWriteBatch > 0, $"{SqliteStorageOptions.SectionName}:MaxWriteBatch must be a positive integer.")
            .Validate(o => o.MaxPendingWrites >= 0,
                $"{SqliteStorageOptions.SectionName}:MaxPendingWrites must be 0 (MaxWriteBatch) or a positive integer.")
            .Validate(o => o.CollectorChunk > 0, $"{SqliteStorageOptions.SectionName}:CollectorChunk must be a positive integer.")
            .Validate(o => o.MinFreeBytes >= 0, $"{SqliteStorageOptions.SectionName}:MinFreeBytes must be 0 or more.")
            .Validate(o => o.ReserveBytes >= 0, $"{SqliteStorageOptions.SectionName}:ReserveBytes must be 0 or more.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SqliteDataDriver>();
        builder.Services.AddSingleton<IDataDriver>(sp => sp.GetRequiredService<SqliteDataDriver>());
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SqliteStorageOptions>>().Value;
            return new StoreDescription(Path.GetFullPath(options.Path), $"Synchronous={options.Synchronous}");
        });
        builder.Services.AddHostedService<SqliteStartup>();
        builder.Services.AddHostedService<SqliteSweeper>();
        return builder;
    }

    /// <summary>Opens the database (and applies migrations) at start, so a bad path stops the host at once.</summary>
    private sealed class SqliteStartup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<SqliteDataDriver>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
