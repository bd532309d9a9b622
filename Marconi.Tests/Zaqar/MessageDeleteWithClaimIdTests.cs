using System.Net;
using Marconi.Tests.Http;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Zaqar;

/// <summary>The host with <c>Marconi:Limits:MessageDeleteWithClaimId=true</c> (v2 contract 7.6).</summary>
public sealed class DeleteWithClaimIdFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Limits:MessageDeleteWithClaimId", "true");
    }
}

/// <summary>v2 contract 7.6 with <c>message_delete_with_claim_id</c>: deleting by ids needs the claims holding them.</summary>
public sealed class MessageDeleteWithClaimIdTests(DeleteWithClaimIdFactory factory) : IClassFixture<DeleteWithClaimIdFactory>
{
    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task IdsAndClaimIdsGoTogether(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async(version, queue, 2);
        var (claimId, _) = await client.ClaimV2Async(version, queue);
        var path = $"/{version}/queues/{queue}/messages";
        await (await client.DeleteAsync($"{path}?ids={ids[0]}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.DeleteAsync($"{path}?claim_ids={claimId}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.DeleteAsync($"{path}?pop=1&claim_ids={claimId}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        await (await client.DeleteAsync($"{path}?ids={ids[0]}&claim_ids=")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
        (await (await client.GetAsync($"{path}?ids={string.Join(',', ids)}")).ShouldBeJsonAsync()).GetProperty("messages").GetArrayLength().Should().Be(2);

        await (await client.DeleteAsync($"{path}?ids={string.Join(',', ids)}&claim_ids={claimId}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync($"{path}?ids={string.Join(',', ids)}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Theory]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task AClaimHoldingNoneOfTheMessagesRefusesTheWholeDelete(string version)
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        var ids = await client.PostNumberedV2Async(version, queue, 2);
        var (first, _) = await client.ClaimV2Async(version, queue, limit: 1);
        var (second, _) = await client.ClaimV2Async(version, queue, limit: 1);
        var path = $"/{version}/queues/{queue}/messages";
        foreach (var claims in new[] { "unknown", $"{first},unknown", $"{first},{second}" })
        {
            // The last: the second claim holds none of the listed messages.
            await (await client.DeleteAsync($"{path}?ids={ids[0]}&claim_ids={claims}")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Unable to delete");
        }

        (await (await client.GetAsync($"{path}?ids={string.Join(',', ids)}")).ShouldBeJsonAsync()).GetProperty("messages").GetArrayLength().Should().Be(2);
        await (await client.DeleteAsync($"{path}?ids={string.Join(',', ids)}&claim_ids={first},{second}")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
        await (await client.GetAsync($"{path}?ids={string.Join(',', ids)}")).ShouldBeErrorAsync(HttpStatusCode.NotFound, "Not found");
    }

    [Fact]
    public async Task PopNeedsNoClaims()
    {
        using var client = factory.CreateV1Client();
        var queue = V1Client.NewQueueName();
        await client.PostNumberedV2Async("v2", queue, 2);
        var popped = await (await client.DeleteAsync($"/v2/queues/{queue}/messages?pop=1")).ShouldBeJsonAsync();
        popped.GetProperty("messages").GetArrayLength().Should().Be(1);
    }
}

