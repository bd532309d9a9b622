using System.Reflection;
using Marconi.Core.Storage;
using Marconi.Tests.Support;

namespace Marconi.Tests.Storage;

/// <summary>
/// The storage contract where a driver's server is unavailable: every test reports skipped with
/// the driver's reason, none passes without having run. Proven by running the contract through
/// xunit's own runner on a driver that is never available.
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
