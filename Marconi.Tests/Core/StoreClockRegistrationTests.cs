using Marconi.Core;
using Marconi.Core.Operations;
using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Tests.Core;

/// <summary>
/// The clock operations decide claims and expiry by: a driver's <see cref="StoreClock"/>, however
/// its registration and Core's are ordered, else the system clock.
/// </summary>
public sealed class StoreClockRegistrationTests : IDisposable
{
    private static readonly DateTimeOffset StoreNow = new(2031, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly QueueRef Queue = new("p1", "jobs");
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AClockTheDriverRegistersIsTheOneOperationsRead(bool driverFirst)
    {
        var clock = new FixedStoreClock(StoreNow);
        await using var host = new Host(_database.Path, builder =>
        {
            if (driverFirst)
            {
                builder.Services.AddSingleton<StoreClock>(clock);
                builder.AddMarconiCore();
            }
            else
            {
                builder.AddMarconiCore();
                builder.Services.AddSingleton<StoreClock>(clock);
            }
        });

        host.Services.GetRequiredService<TimeProvider>().Should().BeSameAs(clock);
        var (live, expired) = await host.PostAroundAsync();

        // Live and expired as the store's clock has it, two minutes before which the second expired.
        var read = await host.Services.GetRequiredService<MessageOperations>().GetAsync(Queue, live, default);
        read.Now.Should().Be(StoreNow);
        var gone = () => host.Services.GetRequiredService<MessageOperations>().GetAsync(Queue, expired, default);
        (await gone.Should().ThrowAsync<MarconiException>()).Which.Kind.Should().Be(MarconiErrorKind.NotFound);
    }

    [Fact]
    public async Task WithoutOneOperationsReadTheSystemClock()
    {
        await using var host = new Host(_database.Path, builder => builder.AddMarconiCore());

        host.Services.GetRequiredService<TimeProvider>().Should().BeSameAs(TimeProvider.System);
        var (_, expired) = await host.PostAroundAsync();

        var before = DateTimeOffset.UtcNow;
        var read = await host.Services.GetRequiredService<MessageOperations>().GetAsync(Queue, expired, default);
        read.Now.Should().BeOnOrAfter(before).And.BeOnOrBefore(DateTimeOffset.UtcNow);
        read.Messages.Should().ContainSingle("by the system clock the message expires years from now");
    }

    private sealed class FixedStoreClock(DateTimeOffset now) : StoreClock
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>Core and the SQLite driver, built as the host builds them, not started.</summary>
    private sealed class Host : IAsyncDisposable
    {
        private readonly IHost _host;

        public Host(string path, Action<HostApplicationBuilder> register)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration[$"{SqliteStorageOptions.SectionName}:Path"] = path;
            register(builder);
            builder.AddSqliteStorage();
            _host = builder.Build();
        }

        public IServiceProvider Services => _host.Services;

        /// <summary>Posts, straight to the driver, a message that lives past the store's now and one that expired before it.</summary>
        public async Task<(string Live, string Expired)> PostAroundAsync()
        {
            var driver = Services.GetRequiredService<IDataDriver>();
            await driver.Queues.CreateAsync(Queue, StoreNow, default);
            var live = await driver.Messages.PostAsync(Queue, [new NewMessage(60, "1")], Guid.NewGuid(), StoreNow.AddSeconds(-30), default);
            var expired = await driver.Messages.PostAsync(Queue, [new NewMessage(60, "2")], Guid.NewGuid(), StoreNow.AddSeconds(-120), default);
            return (live![0], expired![0]);
        }

        public async ValueTask DisposeAsync() => await ((IAsyncDisposable)_host).DisposeAsync();
    }
}
