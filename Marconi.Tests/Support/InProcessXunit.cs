using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Marconi.Tests.Support;

/// <summary>
/// Runs the tests of a class through xunit's own discoverers and runners, in process, and returns
/// how each ended; so a test can prove that other tests report skipped, which they cannot say themselves.
/// The class may be private: xunit's discovery of the assembly passes over non-public types.
/// </summary>
public static class InProcessXunit
{
    public sealed record Outcome(string Method, string Result, string? Reason);

    public static async Task<IReadOnlyList<Outcome>> RunAsync(Type testClass, Func<MethodInfo, bool>? which = null)
    {
        var sink = new NullSink();
        var assembly = new TestAssembly(Reflector.Wrap(testClass.Assembly));
        var @class = new TestClass(new TestCollection(assembly, null, testClass.Name), Reflector.Wrap(testClass));
        var bus = new CollectingBus();
        foreach (var method in testClass.GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            if (method.GetCustomAttribute<FactAttribute>() is not { } fact || (which != null && !which(method)))
            {
                continue;
            }

            var testMethod = new TestMethod(@class, Reflector.Wrap(method));
            var attribute = Reflector.Wrap(method.CustomAttributes.Single(a => typeof(FactAttribute).IsAssignableFrom(a.AttributeType)));
            IXunitTestCaseDiscoverer discoverer = fact switch
            {
                SkippableTheoryAttribute => new SkippableTheoryDiscoverer(sink),
                SkippableFactAttribute => new SkippableFactDiscoverer(sink),
                TheoryAttribute => new TheoryDiscoverer(sink),
                _ => new FactDiscoverer(sink),
            };
            foreach (var testCase in discoverer.Discover(new DiscoveryOptions(), testMethod, attribute))
            {
                await testCase.RunAsync(sink, bus, [], new ExceptionAggregator(), new CancellationTokenSource());
            }
        }

        return [.. bus.Outcomes];
    }

    private sealed class CollectingBus : IMessageBus
    {
        public System.Collections.Concurrent.ConcurrentQueue<Outcome> Outcomes { get; } = new();

        public bool QueueMessage(IMessageSinkMessage message)
        {
            switch (message)
            {
                case ITestPassed passed:
                    Outcomes.Enqueue(new Outcome(passed.TestMethod.Method.Name, "passed", null));
                    break;
                case ITestFailed failed:
                    Outcomes.Enqueue(new Outcome(failed.TestMethod.Method.Name, "failed", string.Join(" | ", failed.Messages)));
                    break;
                case ITestSkipped skipped:
                    Outcomes.Enqueue(new Outcome(skipped.TestMethod.Method.Name, "skipped", skipped.Reason));
                    break;
            }

            return true;
        }

        public void Dispose()
        {
        }
    }

    private sealed class NullSink : Xunit.LongLivedMarshalByRefObject, IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message) => true;
    }

    /// <summary>Every option at its default, as a run with no configuration has them.</summary>
    private sealed class DiscoveryOptions : ITestFrameworkDiscoveryOptions
    {
        public TValue GetValue<TValue>(string name) => default!;

        public void SetValue<TValue>(string name, TValue value)
        {
        }
    }
}
