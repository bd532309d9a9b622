using System.Reflection;
using Marconi.Core.Storage;
using Marconi.Storage.Sqlite;
using Marconi.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Marconi.Tests.Storage;

/// <summary>
/// The storage contract where a driver's server is unavailable, or its storage cannot be shared by
/// peers: the tests concerned report skipped with the reason, none passes without having run.
/// Proven by running the contract through xunit's own runner on such drivers.
/// </summary>
public sealed class DataDriverContractSkipTests
{
    private const string Reason = "unavailable: no database server answers on the test address";

    [Fact]
    public void EveryTestOfTheContractCanBeSkipped()
    {
        var tests = typeof(DataDriverContract).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<FactAttribute>() != null)
            .ToList();

        tests.Should().HaveCountGreaterThan(60);
        tests.Where(m => m.GetCustomAttribute<FactAttribute>() is not (SkippableFactAttribute or SkippableTheoryAttribute))
            .Select(m => m.Name).Should().BeEmpty("a plain [Fact] would report a skip raised when opening the driver as a failure");
    }

    [Fact]
    public async Task ADriverThatIsUnavailableSkipsEveryTestWithItsReason()
    {
        var outcomes = await InProcessXunit.RunAsync(typeof(UnavailableDriverTests));

        var expected = typeof(DataDriverContract).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<FactAttribute>() != null)
            .Select(m => m.Name)
            .Distinct();
        outcomes.Select(o => o.Method).Distinct().Should().BeEquivalentTo(expected);
        outcomes.Should().OnlyContain(o => o.Result == "skipped" && o.Reason == Reason);
    }

    [Fact]
    public async Task ADriverThatOpensNoPeerSkipsTheTestsAcrossHostsSayingSo()
    {
        string[] acrossHosts =
        [
            nameof(DataDriverContract.ClaimersOnSeveralHostsReceiveEveryMessageExactlyOnce),
            nameof(DataDriverContract.ALiveClaimMadeOnOneHostExcludesTheOthersUntilItExpires),
            nameof(DataDriverContract.AReaderPagingOnOneHostWhileEveryHostPostsSeesEachMessageOnceInAcknowledgementOrder),
            nameof(DataDriverContract.CollectorsOnEveryHostAtOnceRemoveEachExpiredRowOnceAndChangeNothingVisible),
        ];

        var outcomes = await InProcessXunit.RunAsync(typeof(UnsharedSqliteTests), m => acrossHosts.Contains(m.Name));

        outcomes.Select(o => o.Method).Should().BeEquivalentTo(acrossHosts);
        outcomes.Should().OnlyContain(o => o.Result == "skipped"
            && o.Reason == "UnsharedSqliteTests opens no peer: its driver cannot share its storage with another instance.");
        var one = await InProcessXunit.RunAsync(typeof(UnsharedSqliteTests), m => m.Name == nameof(DataDriverContract.ClaimsTakeTheOldestFreeMessagesAndNeverTheSameOneTwice));
        one.Should().ContainSingle().Which.Result.Should().Be("passed", "the driver itself is available");
    }

    [Fact]
    public async Task TheRunnerReportsAPassAndAFailureAsSuch()
    {
        // The runner above could report every outcome as skipped; here it tells them apart.
        var outcomes = await InProcessXunit.RunAsync(typeof(KnownOutcomes));

        outcomes.Should().BeEquivalentTo(
        [
            new InProcessXunit.Outcome(nameof(KnownOutcomes.Passes), "passed", null),
            new InProcessXunit.Outcome(nameof(KnownOutcomes.Skips), "skipped", "told to"),
        ]);
        var failed = await InProcessXunit.RunAsync(typeof(KnownFailure));
        failed.Should().ContainSingle().Which.Result.Should().Be("failed");
    }

    private sealed class UnavailableDriverTests : DataDriverContract
    {
        protected override Task<IDataDriver> OpenAsync()
        {
            Skip.If(true, Reason);
            throw new InvalidOperationException("Skip.If(true, …) returned");
        }

        protected override Task CloseAsync(IDataDriver driver) =>
            throw new InvalidOperationException("There is no driver to close.");

        protected override Task<IDataDriver> ReopenAsync(IDataDriver driver) =>
            throw new InvalidOperationException("There is no driver to reopen.");
    }

    /// <summary>The SQLite driver as a driver that cannot share its storage would be: no peers.</summary>
    private sealed class UnsharedSqliteTests : DataDriverContract
    {
        private readonly TempDatabase _database = new();

        protected override Task<IDataDriver> OpenAsync() =>
            Task.FromResult<IDataDriver>(new SqliteDataDriver(
                Options.Create(new SqliteStorageOptions { Path = _database.Path }), NullLogger<SqliteDataDriver>.Instance));

        protected override Task<IDataDriver> ReopenAsync(IDataDriver driver) =>
            throw new InvalidOperationException("Not reopened by the tests run here.");

        protected override async Task CloseAsync(IDataDriver driver)
        {
            await ((SqliteDataDriver)driver).DisposeAsync();
            _database.Dispose();
        }
    }

    // Private, so that only the tests above run these, through InProcessXunit.
#pragma warning disable xUnit1000
    private sealed class KnownOutcomes
    {
        [SkippableFact]
        public void Passes() => 1.Should().Be(1);

        [SkippableFact]
        public void Skips() => Skip.If(true, "told to");
    }

    private sealed class KnownFailure
    {
        [SkippableFact]
        public void Fails() => 1.Should().Be(2);
    }
#pragma warning restore xUnit1000
}
