using System.Net.Sockets;
using Marconi.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog.Core;
using Serilog.Events;

namespace Marconi.Tests.Http;

/// <summary>
/// The real host on Kestrel (loopback, random port) over a temporary SQLite file, with a manual
/// clock so tests drive expiry without sleeping. One per test class; tests isolate themselves
/// with their own project id and queue names.
/// </summary>
public sealed class MarconiHttpFactory : MarconiHttpFactoryBase;

/// <summary>The shared set-up of the HTTP test hosts; subclasses may replace services.</summary>
public abstract class MarconiHttpFactoryBase : WebApplicationFactory<Program>
{
    private readonly TempDatabase _database = new();

    protected MarconiHttpFactoryBase()
    {
        UseKestrel(0);
    }

    public ManualClock Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    /// <summary>The SQLite file the host stores into, for tests that look at what is on disk.</summary>
    public string DatabasePath => _database.Path;

    /// <summary>Every event the host logs through Serilog.</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>The address Kestrel listens on, for tests that need to write raw HTTP.</summary>
    public Uri ServerAddress
    {
        get
        {
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
            return new Uri(addresses.Addresses.First());
        }
    }

    /// <summary>A client for one test: its own random project, and Client-ID sent by default.</summary>
    public V1Client CreateV1Client()
    {
        var http = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = ServerAddress });
        return new V1Client(http, "project-" + Guid.NewGuid().ToString("N"));
    }

    /// <summary>Sends raw bytes over a socket and returns everything the server answers.</summary>
    public async Task<string> SendRawAsync(byte[] request, bool halfClose)
    {
        var address = ServerAddress;
        using var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(request);
        if (halfClose)
        {
            socket.Client.Shutdown(SocketShutdown.Send);
        }

        var received = new MemoryStream();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, n);
                if (LooksComplete(received.ToArray()))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // The server may reset the connection after answering a bad request.
        }

        return System.Text.Encoding.UTF8.GetString(received.ToArray());
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Marconi:Storage:Sqlite:Path", _database.Path);
        builder.UseSetting("Marconi:Storage:Sqlite:Synchronous", "Off");
        // The request log (Debug, off in the shipped configuration) is what several tests read.
        builder.UseSetting("Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware", "Debug");
        builder.UseSetting("Serilog:MinimumLevel:Override:Marconi.Transport.Zmq", "Debug");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ILogEventSink>(Logs);
            ReplaceServices(services);
        });
    }

    /// <summary>Replaces services of the host after the application's own registrations.</summary>
    protected virtual void ReplaceServices(IServiceCollection services)
    {
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _database.Dispose();
        }
    }

    /// <summary>Headers complete and, when a Content-Length is given, that many body bytes.</summary>
    private static bool LooksComplete(byte[] data)
    {
        var text = System.Text.Encoding.UTF8.GetString(data);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        foreach (var line in text[..end].Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return data.Length >= end + 4 + int.Parse(line["Content-Length:".Length..].Trim());
            }
        }

        return true;
    }
}

/// <summary>A Serilog sink that keeps what the host logs, so tests can read the request log.</summary>
public sealed class LogCapture : ILogEventSink
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyList<LogEvent> Events => _events.ToList();

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    /// <summary>The request-log events (one per request) for a path, as they are now.</summary>
    public List<LogEvent> RequestsTo(string path) =>
        Events.Where(e => e.Properties.TryGetValue("RequestPath", out var p) && p is ScalarValue { Value: string s } && s == path
                && e.Properties.ContainsKey("StatusCode"))
            .ToList();

    /// <summary>Waits (briefly) until the request log has an entry for the path.</summary>
    public async Task<LogEvent> WaitForRequestAsync(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var found = RequestsTo(path);
            if (found.Count > 0 || DateTime.UtcNow > deadline)
            {
                return found.Should().ContainSingle().Subject;
            }

            await Task.Delay(20);
        }
    }
}
