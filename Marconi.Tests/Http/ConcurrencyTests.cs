using System.Collections.Concurrent;
using System.Net;

namespace Marconi.Tests.Http;

/// <summary>Many workers and producers at once, over real HTTP connections to one server.</summary>
public sealed class ConcurrencyTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Fact]
    public async Task ConcurrentClaimersOverHttpReceiveEveryMessageExactlyOnce()
    {
        using var setup = factory.CreateV1Client();
        var queue = await setup.CreateQueueAsync();
        var posted = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            posted.AddRange(await setup.PostNumberedAsync(queue, 30));
        }

        var claimed = new ConcurrentBag<string>();
        var workers = Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            using var worker = factory.CreateV1Client();
            worker.Project = setup.Project;
            while (true)
            {
                using var response = await worker.PostAsync($"/v1/queues/{queue}/claims?limit=4", """{"ttl":300,"grace":60}""");
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }

                var body = await response.ShouldBeJsonAsync(HttpStatusCode.Created);
                foreach (var message in body.EnumerateArray())
                {
                    claimed.Add(message.GetProperty("href").GetString()!.Split('/')[^1].Split('?')[0]);
                }
            }
        }));
        await Task.WhenAll(workers);

        claimed.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(posted);
    }

    [Fact]
    public async Task ConcurrentProducersOverHttpLoseNothingAndKeepTheirOrder()
    {
        using var setup = factory.CreateV1Client();
        var queue = await setup.CreateQueueAsync();

        var producers = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
        {
            using var producer = factory.CreateV1Client();
            producer.Project = setup.Project;
            var ids = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                ids.AddRange(await producer.PostMessagesAsync(queue, $$"""[{"ttl":600,"body":[{{p}},{{i}},0]},{"ttl":600,"body":[{{p}},{{i}},1]}]"""));
            }

            return ids;
        })).ToList();
        var perProducer = await Task.WhenAll(producers);

        var listed = new List<string>();
        var href = $"/v1/queues/{queue}/messages?echo=true&limit=20";
        while (true)
        {
            using var response = await setup.GetAsync(href);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                break;
            }

            var page = await response.ShouldBeJsonAsync();
            listed.AddRange(page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("href").GetString()!.Split('/')[^1]));
            href = page.GetProperty("links")[0].GetProperty("href").GetString()!;
        }

        listed.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(perProducer.SelectMany(x => x));
        var position = listed.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        foreach (var ids in perProducer)
        {
            ids.Select(id => position[id]).Should().BeInAscendingOrder();
            for (var i = 0; i < ids.Count; i += 2)
            {
                position[ids[i + 1]].Should().Be(position[ids[i]] + 1, "the messages of one post are consecutive");
            }
        }
    }
}
