using System.Net;
using System.Reflection;
using Marconi.Core;
using Marconi.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog.Events;

namespace Marconi.Tests.Http;

/// <summary>
/// The host with a storage driver that fails on every call: storage failures are 503, bugs are a
/// logged 500 without internals, and no endpoint crashes (contract 1.7, 3.2).
/// </summary>
public sealed class FaultyStorageTests(FaultyStorageFactory factory) : IClassFixture<FaultyStorageFactory>
{
    [Fact]
    public async Task StorageFailureIs503ServiceTemporarilyUnavailable()
    {
        factory.Failure = () => Errors.StorageUnavailable("Reading the queue");
        using var client = factory.CreateV1Client();
        await (await client.GetAsync("/v1/queues/q/stats")).ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "Service temporarily unavailable");
        await (await client.GetAsync("/v1/queues")).ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "Service temporarily unavailable");
    }

    [Fact]
    public async Task FailedQueueCreationSendsNoLocation()
    {
        factory.Failure = () => Errors.StorageUnavailable("Creating the queue");
        using var client = factory.CreateV1Client();
        var response = await client.PutAsync("/v1/queues/q");
        await response.ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "Service temporarily unavailable");
        response.Headers.Location.Should().BeNull();
    }

    [Fact]
    public async Task HealthIs503WhenStorageFailsButHeadStillAnswers204()
    {
        factory.Failure = () => Errors.StorageUnavailable("The probe");
        using var client = factory.CreateV1Client();
        await (await client.GetAsync("/v1/health")).ShouldBeErrorAsync(HttpStatusCode.ServiceUnavailable, "Service temporarily unavailable");
        await (await client.HeadAsync("/v1/health")).ShouldBeEmptyAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task UnexpectedFailureIsALogged500WithoutInternals()
    {
        factory.Failure = () => new InvalidOperationException("secret internal detail");
        using var client = factory.CreateV1Client();
        var endpoints = new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, "/v1/queues", null), (HttpMethod.Put, "/v1/queues/q", null), (HttpMethod.Get, "/v1/queues/q", null),
            (HttpMethod.Delete, "/v1/queues/q", null), (HttpMethod.Get, "/v1/queues/q/metadata", null),
            (HttpMethod.Put, "/v1/queues/q/metadata", "{}"), (HttpMethod.Get, "/v1/queues/q/stats", null),
            (HttpMethod.Post, "/v1/queues/q/messages", """[{"ttl":60,"body":1}]"""), (HttpMethod.Get, "/v1/queues/q/messages", null),
            (HttpMethod.Get, "/v1/queues/q/messages?ids=a", null), (HttpMethod.Delete, "/v1/queues/q/messages?ids=a", null),
            (HttpMethod.Get, "/v1/queues/q/messages/a", null), (HttpMethod.Delete, "/v1/queues/q/messages/a", null),
            (HttpMethod.Post, "/v1/queues/q/claims", """{"ttl":60,"grace":60}"""), (HttpMethod.Get, "/v1/queues/q/claims/c", null),
            (HttpMethod.Patch, "/v1/queues/q/claims/c", """{"ttl":60}"""), (HttpMethod.Delete, "/v1/queues/q/claims/c", null),
        };

        foreach (var (method, path, body) in endpoints)
        {
            var response = await client.SendAsync(method, path, body);
            await response.ShouldBeErrorAsync(HttpStatusCode.InternalServerError, "Internal server error");
            var text = await response.Content.ReadAsStringAsync();
            text.Should().NotContain("secret").And.NotContain("InvalidOperationException").And.NotContain(" at ");
        }

        factory.Logs.Events.Should().Contain(e =>
            e.Level == LogEventLevel.Error && e.Exception is InvalidOperationException &&
            e.Properties.ContainsKey("Path") && e.Properties.ContainsKey("Project"));
    }

    [Fact]
    public async Task ValidationStillComesBeforeStorage()
    {
        factory.Failure = () => new InvalidOperationException("storage must not be reached");
        using var client = factory.CreateV1Client();
        await (await client.GetAsync("/v1/queues/bad!name")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid queue identification");
        await (await client.PostAsync("/v1/queues/q/messages", "[]")).ShouldBeErrorAsync(HttpStatusCode.BadRequest, "Invalid API request");
    }
}

/// <summary>The Kestrel factory, with every storage call failing as <see cref="Failure"/> says.</summary>
public class FaultyStorageFactory : MarconiHttpFactoryBase
{
    public Func<Exception> Failure { get; set; } = () => new InvalidOperationException("failure");

    protected override void ReplaceServices(IServiceCollection services)
    {
        services.RemoveAll<IDataDriver>();
        services.AddSingleton<IDataDriver>(new FaultyDriver(() => Failure()));
    }

    private sealed class FaultyDriver(Func<Exception> failure) : IDataDriver
    {
        public IQueueController Queues { get; } = Throwing<IQueueController>.Create(failure);

        public IMessageController Messages { get; } = Throwing<IMessageController>.Create(failure);

        public IClaimController Claims { get; } = Throwing<IClaimController>.Create(failure);

        public ISubscriptionController Subscriptions { get; } = Throwing<ISubscriptionController>.Create(failure);

        public IKeyController Keys { get; } = Throwing<IKeyController>.Create(failure);

        public Task<bool> IsAliveAsync(CancellationToken cancellationToken) => Task.FromException<bool>(failure());

        public Task<string> GetOrAddSettingAsync(string name, string valueIfAbsent, CancellationToken cancellationToken) =>
            Task.FromException<string>(failure());

        public Task<long> CollectGarbageAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
            Task.FromException<long>(failure());
    }

    /// <summary>Implements any controller interface with methods whose tasks fail.</summary>
    public class Throwing<T> : DispatchProxy
        where T : class
    {
        private Func<Exception> _failure = () => new InvalidOperationException();

        public static T Create(Func<Exception> failure)
        {
            var proxy = DispatchProxy.Create<T, Throwing<T>>();
            ((Throwing<T>)(object)proxy)._failure = failure;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var exception = _failure();
            var returnType = targetMethod!.ReturnType;
            if (returnType == typeof(Task))
            {
                return Task.FromException(exception);
            }

            var resultType = returnType.GetGenericArguments()[0];
            var fromException = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(resultType);
            return fromException.Invoke(null, [exception]);
        }
    }
}
