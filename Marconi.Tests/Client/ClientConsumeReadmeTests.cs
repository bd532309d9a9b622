using System.Collections.Concurrent;
using Marconi.Client;
using Marconi.Tests.EndToEnd;
using Marconi.Tests.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Marconi.Tests.Client;

/// <summary>The C# examples of the README's "Consuming a queue", run against the server as they stand there.</summary>
public sealed class ClientConsumeReadmeTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    private const string ReadmeEndpoint = "http://127.0.0.1:8888";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheAwaitForeachSnippetConsumesUntilCtrlC()
    {
        var endpoint = factory.ServerAddress.ToString().TrimEnd('/');
        await using (var producer = new MarconiClient(endpoint, projectId: "demo-project"))
        {
            await producer.Queue("jobs").PostAsync([new OutgoingMessage(new { job = 1 }, 300), new OutgoingMessage(new { job = 2 }, 300)]);
        }

        var console = new ReadmeConsole(stopAfter: 2); // Ctrl-C once both are printed

        // --- the README snippet, verbatim but for the endpoint and the console ---
        await using var client = new MarconiClient(endpoint, projectId: "demo-project");
        using var stop = new CancellationTokenSource();
        console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        await foreach (var message in client.Queue("jobs").ConsumeAsync(new ConsumeOptions { Wait = 20 }, stop.Token))
        {
            console.WriteLine(message.Body);
            await message.CompleteAsync();
        }
        // --- end of snippet ---

        console.Lines.Should().Equal("""{"job":1}""", """{"job":2}""");
        (await client.Queue("jobs").GetStatsAsync()).Total.Should().Be(0, "each message was completed, so deleted, even the one handled as Ctrl-C came");

        // The same lines stand in the repository's README and in the package's.
        var package = await File.ReadAllTextAsync(Path.Combine(Readme.RepositoryRoot(), "Marconi.Client", "README.md"));
        var packaged = package[package.IndexOf("<!-- consume-csharp:start -->", StringComparison.Ordinal)..package.IndexOf("<!-- consume-csharp:end -->", StringComparison.Ordinal)];
        packaged.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("```") && !l.StartsWith("<!--")).Should().Equal(Code("consume-csharp"));
        Code("consume-csharp").Should().Equal(
            "using Marconi.Client;",
            $"await using var client = new MarconiClient(\"{ReadmeEndpoint}\", projectId: \"demo-project\");",
            "using var stop = new CancellationTokenSource();",
            "Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };",
            "await foreach (var message in client.Queue(\"jobs\").ConsumeAsync(new ConsumeOptions { Wait = 20 }, stop.Token))",
            "{",
            "Console.WriteLine(message.Body);",
            "await message.CompleteAsync();",
            "}");
    }

    [Fact]
    public async Task TheHostedSnippetConsumesInAWorker()
    {
        var endpoint = factory.ServerAddress.ToString().TrimEnd('/');
        await using var producer = new MarconiClient(endpoint, projectId: "demo-project");
        var queue = await producer.CreateQueueAsync("jobs");
        await queue.PostAsync([new OutgoingMessage(new { job = 3 }, 300), new OutgoingMessage(new { job = 4 }, 300)]);

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        var logged = new JobLog(expected: 2);
        builder.Logging.ClearProviders().AddProvider(logged);

        // --- the README snippet, verbatim but for the endpoint (JobHandler is below) ---
        builder.Services.AddMarconiClient(_ => new MarconiClientOptions { Endpoint = new Uri(endpoint), ProjectId = "demo-project" });
        builder.Services.AddMarconiConsumer<JobHandler>("jobs", new ConsumeOptions { MaxConcurrency = 8 });
        // --- end of snippet ---

        using var host = builder.Build();
        await host.StartAsync();
        await logged.All.Task.WaitAsync(Patience);
        await host.StopAsync();

        logged.Jobs.Should().BeEquivalentTo("""{"job":3}""", """{"job":4}""");
        (await queue.GetStatsAsync()).Total.Should().Be(0);

        Code("consume-hosted").Should().Equal(
            $"builder.Services.AddMarconiClient(_ => new MarconiClientOptions {{ Endpoint = new Uri(\"{ReadmeEndpoint}\"), ProjectId = \"demo-project\" }});",
            "builder.Services.AddMarconiConsumer<JobHandler>(\"jobs\", new ConsumeOptions { MaxConcurrency = 8 });",
            "sealed class JobHandler(ILogger<JobHandler> log) : IMarconiMessageHandler",
            "{",
            "public Task HandleAsync(MarconiMessage message, CancellationToken ct)",
            "{",
            "log.LogInformation(\"Job {Body}\", message.Body.GetRawText());",
            "return Task.CompletedTask; // returning deletes the message; throwing gives it back",
            "}",
            "}");
    }

    private static List<string> Code(string block) =>
        Readme.Block(block, "csharp").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    /// <summary>The README's handler, as it stands there.</summary>
    private sealed class JobHandler(ILogger<JobHandler> log) : IMarconiMessageHandler
    {
        public Task HandleAsync(MarconiMessage message, CancellationToken ct)
        {
            log.LogInformation("Job {Body}", message.Body.GetRawText());
            return Task.CompletedTask; // returning deletes the message; throwing gives it back
        }
    }

    /// <summary>Stands in for <see cref="Console"/>: keeps the lines, and presses Ctrl-C after so many.</summary>
    private sealed class ReadmeConsole(int stopAfter)
    {
        public List<string> Lines { get; } = [];

        public event EventHandler<CtrlC>? CancelKeyPress;

        public void WriteLine(object? value)
        {
            Lines.Add(value?.ToString() ?? "");
            if (Lines.Count == stopAfter)
            {
                CancelKeyPress?.Invoke(this, new CtrlC());
            }
        }
    }

    private sealed class CtrlC : EventArgs
    {
        public bool Cancel { get; set; }
    }

    /// <summary>Keeps what <see cref="JobHandler"/> logs, and says when every job was.</summary>
    private sealed class JobLog(int expected) : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Jobs { get; } = new();

        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ILogger CreateLogger(string categoryName) => categoryName.EndsWith("JobHandler", StringComparison.Ordinal) ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values && values.FirstOrDefault(v => v.Key == "Body").Value is string body)
            {
                Jobs.Enqueue(body);
                if (Jobs.Count == expected)
                {
                    All.TrySetResult();
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
