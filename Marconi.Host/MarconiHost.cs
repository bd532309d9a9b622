using System.Globalization;
using Marconi.Api;
using Marconi.Api.Access;
using Marconi.Core.Storage;
using Marconi.Storage.Postgres;
using Marconi.Storage.Sqlite;
using Marconi.Transport.Http;
using Marconi.Transport.Sqs;
using Marconi.Transport.Zmq;
using Marconi.Host.Cli;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Marconi.Host;

/// <summary>A configuration value that stops the host at start; the message names the key.</summary>
public sealed class ConfigurationKeyException(string message) : Exception(message);

/// <summary>Section <c>Marconi:Storage</c>: which driver stores the data.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Marconi:Storage";

    public string Driver { get; set; } = "sqlite";
}

/// <summary>The composition root: logging, storage by name, transports by configuration.</summary>
public static class MarconiHost
{
    /// <summary>Storage drivers by the name used in <c>Marconi:Storage:Driver</c>.</summary>
    private static readonly Dictionary<string, Action<IHostApplicationBuilder>> Drivers =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["sqlite"] = b => b.AddSqliteStorage(),
            ["postgres"] = b => b.AddPostgresStorage(),
        };

    /// <summary>Transports by their section name under <c>Marconi:Transports</c>.</summary>
    private static readonly string[] Transports = ["Http", "Zmq", "Sqs"];

    /// <summary>The console line of the text format (the shipped one before JSON existed).</summary>
    private const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {Properties:j}{NewLine}{Exception}";

    /// <summary>
    /// The layers of configuration, lowest first: the shipped appsettings.json embedded in the binary (so a lone
    /// executable has the same defaults), appsettings.json beside it, the <c>--config</c> file, environment
    /// variables, command-line settings.
    /// </summary>
    public static void AddMarconiConfiguration(this WebApplicationBuilder builder, string? configFile)
    {
        // As values in memory: configuration sources are rebuilt whenever one is inserted, and a stream reads once.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = [.. Defaults().AsEnumerable().Where(p => p.Value is not null)],
        });

        if (configFile is null)
        {
            return;
        }

        var sources = builder.Configuration.Sources;
        var above = sources.Select((source, index) => (source, index)).LastOrDefault(s => s.source is JsonConfigurationSource).index;
        sources.Insert(above + 1, new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(configFile)!),
            Path = Path.GetFileName(configFile),
            Optional = false,
            ReloadOnChange = false,
        });
    }

    /// <summary>The shipped appsettings.json, as embedded in the binary; read once (the command line and the host both ask).</summary>
    public static IConfigurationRoot Defaults() => EmbeddedDefaults.Value;

    private static readonly Lazy<IConfigurationRoot> EmbeddedDefaults = new(() =>
    {
        using var embedded = typeof(MarconiHost).Assembly.GetManifestResourceStream("Marconi.Host.appsettings.json")
                             ?? throw new InvalidOperationException("the embedded appsettings.json is missing");
        return new ConfigurationBuilder().AddJsonStream(embedded).Build();
    });

    /// <summary>
    /// Checks the configuration before the host starts, so a bad value is one line and not the host's own error
    /// with a stack trace; warns of keys no options class reads; logs the start-up line once the server listens.
    /// </summary>
    public static void CheckConfiguration(this WebApplication app)
    {
        app.Services.GetService<IStartupValidator>()?.Validate();

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Marconi.Host.Configuration");
        var keys = ConfigurationKeys.OfMarconi();
        foreach (var key in keys.Unknown(app.Configuration))
        {
            logger.LogWarning("Unknown setting {Key} is ignored; did you mean {Nearest}?", key, keys.Nearest(key));
        }

        var auth = app.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new();
        if (auth.RequiresKeys && SqsEnabled(app.Configuration) && string.IsNullOrEmpty(auth.AwsCredentialKey))
        {
            // Beside the keys' secret hashes, that key is all it takes to derive every AWS secret: a copy of the store is enough.
            logger.LogWarning(
                "AWS secret access keys (the SQS endpoint's signatures) are derived with a key kept in the store; set {Setting} to keep it outside",
                $"{AuthOptions.SectionName}:AwsCredentialKey");
        }

        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app));
    }

    private static void LogStarted(WebApplication app)
    {
        var endpoints = new List<string>();
        if (HttpEnabled(app.Configuration) && app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>() is { } addresses)
        {
            endpoints.AddRange(addresses.Addresses);
        }

        if (ZmqEnabled(app.Configuration))
        {
            // The bound endpoint (tcp://…:* picks a port), read off the transport's hosted service; else as configured.
            var bound = app.Services.GetServices<IHostedService>()
                .Select(service => service.GetType().GetProperty("BoundEndpoint")?.GetValue(service) as string)
                .FirstOrDefault(endpoint => endpoint is not null);
            endpoints.Add(bound ?? app.Configuration[$"{ZmqTransportOptions.SectionName}:Endpoint"] ?? new ZmqTransportOptions().Endpoint);
        }

        if (app.Services.GetService<SqsServer>() is { } sqs)
        {
            endpoints.Add("SQS " + (sqs.BoundUrl ?? app.Configuration[$"{SqsTransportOptions.SectionName}:Url"] ?? new SqsTransportOptions().Url));
        }

        var store = app.Services.GetRequiredService<StoreDescription>();
        app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Marconi.Host").LogInformation(
            "Marconi {Version} serving on {Endpoints}; store {Database} ({Durability})",
            MarconiCommandLine.Version, string.Join(", ", endpoints), store.Store, store.Durability);
    }

    public static void AddMarconiLogging(this WebApplicationBuilder builder)
    {
        var options = ReadLoggingOptions(builder.Configuration);
        // The host's own logger, not the process-wide static one: hosts sharing a process (tests) keep their logs apart.
        builder.Services.AddSerilog((services, logger) => ConfigureLogger(logger, builder.Configuration, options.IsJson)
            .ReadFrom.Services(services), preserveStaticLogger: true);
    }

    /// <summary>
    /// Built-in defaults (console behind an async sink, Information, the framework's chatter at
    /// Warning) so the host logs with no appsettings.json beside it; the <c>Serilog</c> section
    /// overrides levels, and a <c>Serilog:WriteTo</c> of its own replaces the console sink.
    /// </summary>
    private static LoggerConfiguration ConfigureLogger(LoggerConfiguration logger, IConfiguration configuration, bool json)
    {
        logger.MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext();
        if (!configuration.GetSection("Serilog:WriteTo").GetChildren().Any())
        {
            // Blocking when full keeps every line; the writer thread, not the request, formats it.
            logger.WriteTo.Async(sink =>
            {
                if (json)
                {
                    sink.Console(new RenderedCompactJsonFormatter());
                }
                else
                {
                    sink.Console(outputTemplate: TextTemplate, formatProvider: CultureInfo.InvariantCulture);
                }
            }, blockWhenFull: true);
        }

        return logger.ReadFrom.Configuration(configuration);
    }

    /// <summary>Read before the host exists, since the logger is built from it; a bad value stops the host.</summary>
    private static RequestLogOptions ReadLoggingOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(RequestLogOptions.SectionName).Get<RequestLogOptions>() ?? new();
        return options.Problem() is { } problem ? throw new ConfigurationKeyException(problem) : options;
    }

    public static void AddStorageDriver(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new();
        if (!Drivers.TryGetValue(options.Driver, out var add))
        {
            throw new ConfigurationKeyException(
                $"{StorageOptions.SectionName}:Driver is '{options.Driver}'; valid drivers: {string.Join(", ", Drivers.Keys)}.");
        }

        add(builder);
    }

    public static void AddTransports(this WebApplicationBuilder builder)
    {
        const string section = "Marconi:Transports";
        foreach (var child in builder.Configuration.GetSection(section).GetChildren())
        {
            if (!Transports.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ConfigurationKeyException(
                    $"{section}:{child.Key} names an unknown transport; valid transports: {string.Join(", ", Transports)}.");
            }
        }

        var http = HttpEnabled(builder.Configuration);
        var zmq = ZmqEnabled(builder.Configuration);
        var sqs = SqsEnabled(builder.Configuration);
        if (!http && !zmq && !sqs)
        {
            throw new ConfigurationKeyException(
                $"{HttpTransportOptions.SectionName}:Enabled, {ZmqTransportOptions.SectionName}:Enabled and {SqsTransportOptions.SectionName}:Enabled are all false; enable at least one transport.");
        }

        var endpoints = new List<(string Key, string Address)>();
        if (http)
        {
            endpoints.Add(($"{HttpTransportOptions.SectionName}:Url", ReadHttpUrl(builder.Configuration)));
        }

        if (zmq)
        {
            endpoints.Add(($"{ZmqTransportOptions.SectionName}:Endpoint",
                builder.Configuration[$"{ZmqTransportOptions.SectionName}:Endpoint"] ?? new ZmqTransportOptions().Endpoint));
        }

        if (sqs)
        {
            endpoints.Add(($"{SqsTransportOptions.SectionName}:Url",
                builder.Configuration[$"{SqsTransportOptions.SectionName}:Url"] ?? new SqsTransportOptions().Url));
        }

        AnonymousAccess.Check(builder.Configuration, endpoints);

        if (http)
        {
            builder.WebHost.UseUrls(ReadHttpUrl(builder.Configuration));
            builder.AddHttpTransport();
        }
        else
        {
            // No HTTP: keep the host, but give it a server that listens nowhere.
            builder.Services.AddSingleton<IServer, NoServer>();
        }

        if (zmq)
        {
            builder.AddZmqTransport();
        }

        if (sqs)
        {
            builder.AddSqsTransport();
        }
    }

    public static void MapTransports(this WebApplication app)
    {
        if (HttpEnabled(app.Configuration))
        {
            app.MapHttpTransport();
        }
    }

    /// <summary>Builds and runs the host; a bad configuration is logged with its key and ends with exit code 1.</summary>
    public static async Task<int> RunAsync(WebApplicationBuilder builder, Func<WebApplication> build)
    {
        try
        {
            await build().RunAsync();
            return 0;
        }
        catch (Exception exception) when (exception is ConfigurationKeyException or OptionsValidationException)
        {
            Fatal(builder, "Invalid configuration: {Reason}", exception.Message);
            return 1;
        }
        catch (Exception exception)
        {
            // A transport that cannot bind, a database that cannot open: the message names the key.
            Fatal(builder, "Marconi could not start: {Reason}", exception.Message);
            return 1;
        }
    }

    private static void Fatal(WebApplicationBuilder builder, string template, string reason)
    {
        // The host's own logger may not exist yet, so build one from the same configuration, in the
        // text format when the format itself is what was wrong.
        var json = string.Equals(builder.Configuration[$"{RequestLogOptions.SectionName}:Format"], "json", StringComparison.OrdinalIgnoreCase);
        using var logger = ConfigureLogger(new LoggerConfiguration(), builder.Configuration, json).CreateLogger();
        logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Marconi.Host").Fatal(template, reason);
    }

    private static bool HttpEnabled(IConfiguration configuration) =>
        ReadEnabled(configuration, HttpTransportOptions.SectionName, new HttpTransportOptions().Enabled);

    private static bool ZmqEnabled(IConfiguration configuration) =>
        ReadEnabled(configuration, ZmqTransportOptions.SectionName, new ZmqTransportOptions().Enabled);

    private static bool SqsEnabled(IConfiguration configuration) =>
        ReadEnabled(configuration, SqsTransportOptions.SectionName, new SqsTransportOptions().Enabled);

    /// <summary>A transport's <c>Enabled</c> flag, read the same way for every transport.</summary>
    private static bool ReadEnabled(IConfiguration configuration, string section, bool defaultValue)
    {
        var value = configuration[$"{section}:Enabled"];
        if (value is null)
        {
            return defaultValue;
        }

        return bool.TryParse(value, out var enabled)
            ? enabled
            : throw new ConfigurationKeyException($"{section}:Enabled must be true or false.");
    }

    private static string ReadHttpUrl(IConfiguration configuration)
    {
        var value = configuration[$"{HttpTransportOptions.SectionName}:Url"] ?? new HttpTransportOptions().Url;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new ConfigurationKeyException(
                $"{HttpTransportOptions.SectionName}:Url is '{value}'; it must be an absolute http:// URL.");
        }

        return value;
    }
}
