using System.Net;
using System.Text;
using System.Text.Json;
using Marconi.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Marconi.Tests.EndToEnd;

/// <summary><c>marconi backup</c> against the store of a real server process that keeps taking posts.</summary>
public sealed class BackupTests : IDisposable
{
    private const string ClientId = "3381af92-2b9e-11e3-b191-71861300734c";
    private readonly TempDatabase _database = new();

    private string Target => Path.Combine(Path.GetDirectoryName(_database.Path)!, "backup.db");

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task ABackupTakenWhilePostsGoOnHoldsEveryMessageAcknowledgedBeforeIt()
    {
        await using var host = HostProcess.Start(_database.Path);
        await host.WaitUntilServingAsync();
        using (var create = new HttpRequestMessage(HttpMethod.Put, "/v1/queues/backup"))
        {
            (await host.Client.SendAsync(create)).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        var acknowledged = 0;
        for (; acknowledged < 50; acknowledged++)
        {
            (await PostAsync(host.Client, acknowledged)).Should().Be(HttpStatusCode.Created);
        }

        // Posts go on while the backup runs: the writer commits beside the backup's read.
        using var stop = new CancellationTokenSource();
        var duringBackup = 0;
        var writer = Task.Run(async () =>
        {
            for (var n = 1000; !stop.IsCancellationRequested; n++)
            {
                (await PostAsync(host.Client, n)).Should().Be(HttpStatusCode.Created);
                Interlocked.Increment(ref duringBackup);
            }
        });

        var backup = await CliProcess.RunAsync(["backup", "--db", _database.Path, "--to", Target]);
        var postedMeanwhile = Volatile.Read(ref duringBackup);
        await stop.CancelAsync();
        await writer;

        backup.Code.Should().Be(0, backup.Stderr);
        backup.Stdout.Should().Contain(Target);
        postedMeanwhile.Should().BePositive("the server was writing while the backup ran");

        await using var copy = new SqliteConnection($"Data Source={Target};Mode=ReadOnly;Pooling=False");
        await copy.OpenAsync();
        await using (var check = copy.CreateCommand())
        {
            check.CommandText = "PRAGMA integrity_check";
            (await check.ExecuteScalarAsync()).Should().Be("ok");
        }

        var numbers = new HashSet<int>();
        await using (var read = copy.CreateCommand())
        {
            read.CommandText = "SELECT body FROM messages";
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                numbers.Add(JsonDocument.Parse(reader.GetString(0)).RootElement.GetProperty("n").GetInt32());
            }
        }

        numbers.Should().Contain(Enumerable.Range(0, acknowledged));
    }

    [Fact]
    public async Task AnExistingBackupIsReplacedOnlyWithForce()
    {
        await using (var store = new SqliteConnection($"Data Source={_database.Path};Pooling=False"))
        {
            await store.OpenAsync();
            await using var create = store.CreateCommand();
            create.CommandText = "CREATE TABLE t (x); INSERT INTO t VALUES (1)";
            await create.ExecuteNonQueryAsync();
        }

        await File.WriteAllTextAsync(Target, "an older backup");
        var refused = await CliProcess.RunAsync(["backup", "--db", _database.Path, "--to", Target]);
        refused.Code.Should().Be(1);
        refused.Stderr.TrimEnd().Should().StartWith("marconi: ").And.Contain("--force").And.NotContain("\n");
        (await File.ReadAllTextAsync(Target)).Should().Be("an older backup");

        var forced = await CliProcess.RunAsync(["backup", "--db", _database.Path, "--to", Target, "--force"]);
        forced.Code.Should().Be(0, forced.Stderr);
        (await File.ReadAllBytesAsync(Target)).Take(15).Should().Equal(Encoding.ASCII.GetBytes("SQLite format 3"));

        var missing = await CliProcess.RunAsync(["backup", "--db", _database.Path + ".none", "--to", Target + ".2"]);
        missing.Code.Should().Be(1);
        missing.Stderr.Should().Contain("no such store file");
        File.Exists(Target + ".2").Should().BeFalse();
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, int n)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/queues/backup/messages")
        {
            Content = new StringContent("[{\"ttl\":300,\"body\":{\"n\":" + n + "}}]", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Client-ID", ClientId);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
