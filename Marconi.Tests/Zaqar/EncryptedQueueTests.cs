using System.Net;
using Marconi.Tests.Http;
using Microsoft.Data.Sqlite;

namespace Marconi.Tests.Zaqar;

/// <summary>v2 contract 9.6: bodies of encrypting queues are ciphertext on disk and plain text on every read path.</summary>
public sealed class EncryptedQueueTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task BodiesAreEncryptedAtRestAndReadBackAsPosted()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}", """{"_enable_encrypt_messages": true}""");
        var v2 = await client.PostV2Async("v2", queue, """[{"body": {"secret": "tell no one"}}, {"body": "second secret"}]""");
        var v1 = await client.PostMessagesAsync(queue, """[{"ttl": 300, "body": "v1 secret"}]""");

        var stored = await StoredBodiesAsync();
        stored.Should().NotBeEmpty();
        stored.Should().NotContain(b => b.Contains("secret"));

        using var reader = factory.CreateV1Client();
        reader.Project = client.Project;
        (await (await reader.GetAsync($"/v2/queues/{queue}/messages")).ShouldBeJsonAsync()).GetProperty("messages").Bodies()
            .Should().Equal("""{"secret": "tell no one"}""", "\"second secret\"", "\"v1 secret\"");
        (await (await reader.GetAsync($"/v1/queues/{queue}/messages/{v1[0]}")).ShouldBeJsonAsync()).GetProperty("body").GetString()
            .Should().Be("v1 secret");
        (await (await reader.GetAsync($"/v1.1/queues/{queue}/messages?ids={v2[1]}")).ShouldBeJsonAsync()).GetProperty("messages").Bodies()
            .Should().Equal("\"second secret\"");
        var (claimId, claimed) = await reader.ClaimV2Async("v1.1", queue, limit: 1);
        claimed.Bodies().Should().Equal("""{"secret": "tell no one"}""");
        (await (await reader.GetAsync($"/v2/queues/{queue}/claims/{claimId}")).ShouldBeJsonAsync()).GetProperty("messages").Bodies()
            .Should().Equal("""{"secret": "tell no one"}""");
        (await (await reader.DeleteAsync($"/v2/queues/{queue}/messages?pop=1")).ShouldBeJsonAsync()).GetProperty("messages").Bodies()
            .Should().Equal("\"second secret\"");

        // Turning encryption off does not change how stored messages read.
        await client.PatchQueueAsync(queue, """[{"op": "replace", "path": "/metadata/_enable_encrypt_messages", "value": false}]""");
        (await (await reader.GetAsync($"/v1/queues/{queue}/messages/{v1[0]}")).ShouldBeJsonAsync()).GetProperty("body").GetString()
            .Should().Be("v1 secret");
    }

    [Fact]
    public async Task AChangeOfSettingsAppliesToTheVeryNextPost()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PutAsync($"/v2/queues/{queue}");
        await client.PostV2Async("v2", queue, """[{"body": "plain one"}]""");
        await client.PatchQueueAsync(queue, """[{"op": "add", "path": "/metadata/_enable_encrypt_messages", "value": true}]""");
        await client.PostV2Async("v2", queue, """[{"body": "hidden one"}]""");
        // v1 replaces the whole metadata, which drops the reserved keys.
        await client.PutAsync($"/v1/queues/{queue}/metadata", "{}");
        await client.PostMessagesAsync(queue, """[{"ttl": 60, "body": "plain two"}]""");

        var all = await AllStoredBodiesAsync();
        all.Should().NotContain(b => b.Contains("hidden"), "the post right after the patch is encrypted");
        all.Should().Contain(b => b.Contains("plain one")).And.Contain(b => b.Contains("plain two"));
    }

    private async Task<List<string>> AllStoredBodiesAsync() => await QueryBodiesAsync("SELECT body FROM messages");

    private Task<List<string>> StoredBodiesAsync() => QueryBodiesAsync("SELECT body FROM messages WHERE encrypted = 1");

    private async Task<List<string>> QueryBodiesAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={factory.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var bodies = new List<string>();
        await using var rows = await command.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            bodies.Add(rows.GetString(0));
        }

        return bodies;
    }
}
