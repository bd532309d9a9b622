using System.Diagnostics;
using Marconi.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Marconi.Bench;

/// <summary>
/// What recording one request costs the thread that answers it: <see cref="MarconiMetrics.Request"/>
/// with nobody listening (metrics off) and with the server's OpenTelemetry set-up listening (the
/// Prometheus exporter), in nanoseconds and bytes allocated per call. On a loaded machine the
/// server rows of <c>perf --variant</c> vary by more than this cost; this isolates it.
/// </summary>
internal static class MetricsBench
{
    private static readonly string[] Operations = ["message_post", "message_list", "claim_create", "message_delete"];

    public static void Run(int calls)
    {
        Console.WriteLine("| metrics | ns per request recorded | bytes allocated per request |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (var on in new[] { false, true, false, true })
        {
            var services = new ServiceCollection().AddMetrics();
            if (on)
            {
                services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(MarconiMetrics.MeterName).AddPrometheusExporter());
            }

            using var provider = services.BuildServiceProvider();
            // Resolving the meter provider starts its listener, as the host does at start.
            provider.GetService<MeterProvider>();
            var metrics = new MarconiMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
            var elapsed = TimeSpan.FromMilliseconds(1.25);
            for (var i = 0; i < calls / 10; i++)
            {
                metrics.Request("http", "v2", Operations[i & 3], 201, elapsed);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < calls; i++)
            {
                metrics.Request("http", "v2", Operations[i & 3], 201, elapsed);
            }

            var ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / calls;
            var bytes = (double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / calls;
            Console.WriteLine($"| {(on ? "on (OpenTelemetry, Prometheus exporter)" : "off (no listener)")} | {ns:F0} | {bytes:F2} |");
        }
    }
}
