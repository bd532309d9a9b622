namespace Marconi.Storage.Postgres;

internal static class PostgresCollector
{
    public static Task<long> CollectAsync(PostgresDataDriver driver, DateTimeOffset now, CancellationToken cancellationToken) =>
        throw new NotImplementedException();
}
