using System.Globalization;
using System.Net;
using System.Text.Json;
using Marconi.Core.Keys;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Tests.Auth;

/// <summary>What an action needs of a key, as the issue states it (written out here, not read from the gate).</summary>
public enum Needs
{
    Open,
    Read,
    Produce,
    Consume,
    Manage,
    Admin,
}

/// <summary>A credential a refused request presents, and the answer it must get.</summary>
public enum Intruder
{
    NoKey,
    Garbage,
    WrongSecret,
    Revoked,
    Expired,
    OtherProject,
    ConsumeKey,
    ProduceKey,
    ProjectKey,
}

/// <summary>
/// A project with something of everything (a queue with metadata, free and claimed messages, a
/// claim, a subscription, keys), and the keys that must not reach it.
/// </summary>
public sealed record Victim(
    string Project, string Queue, string Marker, string[] MessageIds, string ClaimId, string SubscriptionId,
    IssuedKey Full, IssuedKey Produce, IssuedKey Consume)
{
    /// <summary>Text that would show something of the victim's data if a refusal carried it.</summary>
    public IEnumerable<string> Secrets =>
        [Project, Queue, Marker, ClaimId, SubscriptionId, Full.Key.Id, Produce.Key.Id, Consume.Key.Id, .. MessageIds];

    /// <summary>The same project, with a queue, message, claim and subscription that do not exist.</summary>
    public Victim Ghost() => this with
    {
        Queue = Queue + "-ghost",
        MessageIds = [.. MessageIds.Select(Flip)],
        ClaimId = Flip(ClaimId),
        SubscriptionId = Flip(SubscriptionId),
    };

    private static string Flip(string id) => id[..^1] + (id[^1] == '0' ? '1' : '0');
}

/// <summary>
/// The real host with both transports in <c>Mode=keys</c> and a signing key; one per test class.
/// <see cref="SeedAsync"/> fills a project through the API with the project's own key.
/// </summary>
public class AccessMatrixFactory : KeysFactory
{
    public const string SigningKey = "matrix-secret";

    public async Task<Victim> SeedAsync(string project)
    {
        var full = await IssueKeyAsync(project);
        var produce = await IssueKeyAsync(project, KeyRole.Produce);
        var consume = await IssueKeyAsync(project, KeyRole.Consume);
        var queue = "q-" + Guid.NewGuid().ToString("N")[..12];
        var marker = "marker-" + Guid.NewGuid().ToString("N");

        using var client = CreateV1Client();
        client.Project = project;
        client.Token = full.Token;
        (await client.PutAsync($"/v2/queues/{queue}", $$"""{"color": "{{marker}}", "_default_message_ttl": 3600, "_dead_letter_queue": "{{queue}}-dead"}""")).StatusCode
            .Should().Be(HttpStatusCode.Created);
        var posted = await (await client.PostAsync($"/v2/queues/{queue}/messages",
            $$"""{"messages": [{"ttl": 3600, "body": "{{marker}}"}, {"ttl": 3600, "body": 2}, {"ttl": 3600, "body": 3}, {"ttl": 3600, "body": 4}]}"""))
            .ShouldBeJsonAsync(HttpStatusCode.Created);
        var ids = posted.GetProperty("resources").EnumerateArray().Select(r => r.GetString()![(r.GetString()!.LastIndexOf('/') + 1)..]).ToArray();
        var claimed = await client.PostAsync($"/v2/queues/{queue}/claims?limit=2", """{"ttl": 3600, "grace": 60}""");
        (await claimed.ShouldBeJsonAsync(HttpStatusCode.Created)).GetProperty("messages").GetArrayLength().Should().Be(2);
        var claimId = claimed.Location()![(claimed.Location()!.LastIndexOf('/') + 1)..];
        var subscribed = await (await client.PostAsync($"/v2/queues/{queue}/subscriptions",
            $$"""{"subscriber": "http://127.0.0.1:9/{{marker}}", "ttl": 3600}""")).ShouldBeJsonAsync(HttpStatusCode.Created);
        return new Victim(project, queue, marker, ids, claimId, subscribed.GetProperty("subscription_id").GetString()!, full, produce, consume);
    }

    /// <summary>
    /// Every row of every table of the host's SQLite file, as text, by table. The key the seeding
    /// used records its use off the request's path, so the first snapshot waits for that write.
    /// </summary>
    public async Task<SortedDictionary<string, string[]>> SnapshotAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var snapshot = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await select.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                var values = new string[reader.FieldCount];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = reader.GetName(i) + "=" + reader.GetValue(i) switch
                    {
                        DBNull => "null",
                        byte[] bytes => Convert.ToHexString(bytes),
                        var value => Convert.ToString(value, CultureInfo.InvariantCulture),
                    };
                }

                rows.Add(string.Join(", ", values));
            }

            rows.Sort(StringComparer.Ordinal);
            snapshot[table] = [.. rows];
        }

        return snapshot;
    }

    /// <summary>Waits until the store has the key's last use (written off the request's path).</summary>
    public async Task WaitForLastUseAsync(string keyId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await Services.GetRequiredService<KeyOperations>().GetAsync(keyId, default)).LastUsed is null)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the key's use is recorded soon after the request");
            await Task.Delay(10);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:SignedUrl:SecretKey", SigningKey);
    }
}

/// <summary>
/// A host whose victim project is seeded before any test of the class, with the keys that must
/// be refused, and a snapshot of the whole store taken after: every refused request is checked
/// against it.
/// </summary>
public sealed class SeededAccessMatrixFactory : AccessMatrixFactory, IAsyncLifetime
{
    public Victim Victim { get; private set; } = null!;

    /// <summary>The victim's own full key, revoked before the snapshot.</summary>
    public IssuedKey Revoked { get; private set; } = null!;

    /// <summary>The victim's own full key, expired before the snapshot.</summary>
    public IssuedKey Expired { get; private set; } = null!;

    /// <summary>A live admin key, unused until a test presents it.</summary>
    public IssuedKey Admin { get; private set; } = null!;

    /// <summary>A live full key of another project.</summary>
    public IssuedKey Other { get; private set; } = null!;

    public SortedDictionary<string, string[]> Baseline { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var project = "victim-" + Guid.NewGuid().ToString("N");
        Expired = await IssueKeyAsync(project, expires: Clock.GetUtcNow().AddMinutes(1));
        Clock.Advance(TimeSpan.FromMinutes(2));
        Revoked = await IssueKeyAsync(project);
        await Services.GetRequiredService<KeyOperations>().RevokeAsync(Revoked.Key.Id, default);
        Other = await IssueKeyAsync("intruder-" + Guid.NewGuid().ToString("N"));
        Admin = await IssueKeyAsync(null);
        Victim = await SeedAsync(project);
        await WaitForLastUseAsync(Victim.Full.Key.Id);
        Baseline = await SnapshotAsync();
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    /// <summary>The token the intruder presents (null: none) and the status it must get.</summary>
    public (string? Token, int Status) Credential(Intruder intruder) => intruder switch
    {
        Intruder.NoKey => (null, 401),
        Intruder.Garbage => ("garbage", 401),
        // The victim's key id with another secret: well formed, and the id exists.
        Intruder.WrongSecret => (Victim.Full.Token[..^4] + (Victim.Full.Token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA"), 401),
        Intruder.Revoked => (Revoked.Token, 401),
        Intruder.Expired => (Expired.Token, 401),
        Intruder.OtherProject => (Other.Token, 403),
        Intruder.ConsumeKey => (Victim.Consume.Token, 403),
        Intruder.ProduceKey => (Victim.Produce.Token, 403),
        Intruder.ProjectKey => (Victim.Full.Token, 403),
        _ => throw new ArgumentOutOfRangeException(nameof(intruder)),
    };

    /// <summary>The store is as it was after seeding: nothing added, changed or removed in any table.</summary>
    public async Task ShouldBeUnchangedAsync(string because)
    {
        var now = await SnapshotAsync();
        now.Keys.Should().Equal(Baseline.Keys);
        foreach (var (table, rows) in Baseline)
        {
            now[table].Should().Equal(rows, "table {0} is unchanged after {1}", table, because);
        }
    }

    /// <summary>The refusal's body is the contract's error and names nothing of the victim.</summary>
    public void ShouldRevealNothing(string body, string because)
    {
        using var document = JsonDocument.Parse(body);
        document.RootElement.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["title", "description"], because);
        foreach (var secret in Victim.Secrets.Concat([Other.Key.Id, Revoked.Key.Id, Expired.Key.Id, Admin.Key.Id]))
        {
            body.Should().NotContain(secret, because);
        }
    }
}

/// <summary>Which intruders each kind of action must refuse.</summary>
public static class Intruders
{
    public static IEnumerable<Intruder> Against(Needs needs)
    {
        if (needs == Needs.Open)
        {
            yield break;
        }

        yield return Intruder.NoKey;
        yield return Intruder.Garbage;
        yield return Intruder.WrongSecret;
        yield return Intruder.Revoked;
        yield return Intruder.Expired;
        yield return Intruder.OtherProject;
        if (needs is Needs.Consume or Needs.Manage or Needs.Admin)
        {
            yield return Intruder.ProduceKey;
        }

        if (needs is Needs.Produce or Needs.Manage or Needs.Admin)
        {
            yield return Intruder.ConsumeKey;
        }

        if (needs == Needs.Admin)
        {
            yield return Intruder.ProjectKey;
        }
    }

    public static string Title(int status) => status == 401 ? "Authentication required" : "Not authorized";
}
