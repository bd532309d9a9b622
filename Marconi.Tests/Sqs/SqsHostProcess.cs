using Marconi.Tests.Support;

namespace Marconi.Tests.Sqs;

/// <summary>
/// The real host as a child process with the SQS endpoint on, both of its ports picked by the system
/// (port 0), over a SQLite file of its own; the endpoint's bound address is read off the start-up line.
/// </summary>
public sealed class SqsHostProcess : IAsyncDisposable
{
    private readonly TempDatabase _database;

    private SqsHostProcess(TempDatabase database, HostProcess host, string sqsUrl)
    {
        _database = database;
        Host = host;
        SqsUrl = sqsUrl;
    }

    public HostProcess Host { get; }

    /// <summary>The SQS endpoint, as <c>http://127.0.0.1:port</c> (no trailing slash).</summary>
    public string SqsUrl { get; }

    /// <summary>Starts the host with extra settings; <paramref name="prepare"/> first runs on the store file (e.g. to make a key on it).</summary>
    public static async Task<SqsHostProcess> StartAsync(IEnumerable<string> arguments, Func<string, Task>? prepare = null)
    {
        var database = new TempDatabase();
        HostProcess? host = null;
        try
        {
            if (prepare is not null)
            {
                await prepare(database.Path);
            }

            host = await HostProcess.StartServingAsync(database.Path,
                ["--Marconi:Transports:Sqs:Enabled=true", "--Marconi:Transports:Sqs:Url=http://127.0.0.1:0", .. arguments]);
            var sqsUrl = (await host.WaitForOutputAsync(@"serving on [^\n]*SQS (http://[^\s,;]+)")).Groups[1].Value;
            return new SqsHostProcess(database, host, sqsUrl);
        }
        catch
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }

            database.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _database.Dispose();
    }
}
