using System.CommandLine;
using System.Reflection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace Marconi.Host.Cli;

/// <summary>What <c>marconi serve</c> (or <c>marconi</c> with settings only) asks of the server.</summary>
/// <param name="Settings">Configuration settings for the host's command-line layer, as <c>--Section:Key=value</c>.</param>
/// <param name="ConfigFile">An extra JSON file layered above appsettings.json and below environment variables.</param>
public sealed record ServeRequest(string[] Settings, string? ConfigFile);

/// <summary>
/// The <c>marconi</c> command line: no verb (settings only) or <c>serve</c> runs the server, <c>backup</c> copies a
/// live store, <c>version</c> and <c>help</c> answer at once, and every other verb is the client's. Whatever is
/// not understood is a usage error (exit code 2, one line on stderr) before anything is started or created.
/// </summary>
public static class MarconiCommandLine
{
    public const int Usage = 2;

    /// <summary>
    /// Settings that are not <c>Section:Key</c>: the host's own (environment, urls, contentRoot…, the string fields of
    /// <see cref="HostDefaults"/> and <see cref="WebHostDefaults"/>) and the top-level sections of appsettings.json
    /// (<c>WebApplicationFactory</c> passes <c>--Marconi=</c> and the like).
    /// </summary>
    private static readonly string[] HostKeys = [.. new[] { typeof(HostDefaults), typeof(WebHostDefaults) }
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
        .Where(f => f.FieldType == typeof(string))
        .Select(f => (string)f.GetValue(null)!)
        .Concat(MarconiHost.Defaults().GetChildren().Select(section => section.Key))];

    /// <summary>The informational version shared by the server, this command line and the client (Directory.Build.props).</summary>
    public static string Version =>
        typeof(MarconiCommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static async Task<int> RunAsync(
        string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<ServeRequest, Task<int>> serve)
    {
        // No verb: a server, as `dotnet run --project Marconi.Host [-- --Section:Key=value]` has always started one.
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal) && IsSettingName(args[0]))
        {
            return await ServeAsync(["serve", .. args], stdout, stderr, serve);
        }

        switch (args[0])
        {
            case "serve":
                return await ServeAsync(args, stdout, stderr, serve);
            case "backup":
                return await BackupAsync(args, stdout, stderr);
            case "version" or "--version":
                if (args.Length > 1)
                {
                    return Fail(stderr, $"'{args[0]}' takes no arguments, not '{args[1]}'");
                }

                await stdout.WriteLineAsync(Version);
                return 0;
            case "help":
                // `marconi help [verb…]` is `marconi [verb…] --help`.
                return await RunAsync([.. args[1..], "--help"], stdin, stdout, stderr, serve);
            default:
                return await new ClientCommands(stdin, stdout, stderr).RunAsync(args);
        }
    }

    private static async Task<int> ServeAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<ServeRequest, Task<int>> serve)
    {
        var url = new Option<string?>("--url") { HelpName = "URL", Description = "Where the HTTP API listens (Marconi:Transports:Http:Url), e.g. http://127.0.0.1:8888" };
        var db = new Option<string?>("--db") { HelpName = "PATH", Description = "The SQLite store file (Marconi:Storage:Sqlite:Path); created on first start" };
        var config = new Option<string?>("--config")
        {
            HelpName = "FILE",
            Description = "A JSON settings file layered above appsettings.json and below environment variables and --Section:Key=value",
        };
        var command = new Command("serve",
            "Run the server (also what 'marconi' with no verb does). Any setting can be given as --Section:Key=value, " +
            "e.g. --Marconi:Transports:Zmq:Enabled=true")
        {
            url, db, config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(_ => 0); // only marks a plain `serve` apart from --help; the server runs below
        var parsed = new RootCommand { command }.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return Fail(stderr, $"{parsed.Errors[0].Message} (see marconi serve --help)");
        }

        if (parsed.Action != command.Action)
        {
            // --help (or --version): answered by the parser, nothing is served.
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        }

        if (!ReadSettings([.. parsed.UnmatchedTokens], out var settings, out var unknown))
        {
            return Fail(stderr, $"unknown option '{unknown}' for 'marconi serve' (see marconi serve --help)");
        }

        var configFile = parsed.GetValue(config);
        if (configFile is not null && !File.Exists(configFile))
        {
            return Fail(stderr, $"--config {configFile}: no such file");
        }

        // The named options are settings too, placed last so they win over the same key given as a setting.
        var named = new List<string>(settings);
        if (parsed.GetValue(url) is { } listen)
        {
            named.Add($"--Marconi:Transports:Http:Url={listen}");
        }

        if (parsed.GetValue(db) is { } path)
        {
            named.Add($"--Marconi:Storage:Sqlite:Path={path}");
        }

        return await serve(new ServeRequest([.. named], configFile is null ? null : Path.GetFullPath(configFile)));
    }

    private static async Task<int> BackupAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var db = new Option<string>("--db") { HelpName = "PATH", Description = "The store file to copy (a server may be running on it)", Required = true };
        var to = new Option<string>("--to") { HelpName = "FILE", Description = "The backup file to write (refused if it exists, unless --force)", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing backup file" };
        var command = new Command("backup",
            "Copy a store file with SQLite's online backup: a consistent copy, taken while a server keeps serving")
        {
            db, to, force,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                var copied = await StoreBackup.RunAsync(result.GetValue(db)!, result.GetValue(to)!, result.GetValue(force), cancellationToken);
                await stdout.WriteLineAsync($"marconi: backed up {copied.Source} to {copied.Target} ({copied.Pages} pages)");
                return 0;
            }
            catch (StoreBackup.RefusedException exception)
            {
                return Fail(stderr, exception.Message, 1);
            }
        });
        var parsed = new RootCommand { command }.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return Fail(stderr, $"{parsed.Errors[0].Message} (see marconi backup --help)");
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>
    /// Reads configuration settings: <c>--Section:Key=value</c> or <c>--Section:Key value</c> (and the host's own
    /// top-level keys). False at the first token that is not one, given in <paramref name="unknown"/>.
    /// </summary>
    internal static bool ReadSettings(string[] tokens, out string[] settings, out string? unknown)
    {
        var read = new List<string>();
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? token : token[..equals];
            if (!name.StartsWith("--", StringComparison.Ordinal) || !IsSettingName(name))
            {
                settings = [];
                unknown = name;
                return false;
            }

            if (equals >= 0)
            {
                read.Add(token);
            }
            else if (i + 1 < tokens.Length && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                read.Add($"{name}={tokens[++i]}");
            }
            else
            {
                settings = [];
                unknown = $"{name} (a setting without a value)";
                return false;
            }
        }

        settings = [.. read];
        unknown = null;
        return true;
    }

    private static bool IsSettingName(string token)
    {
        var name = token.TrimStart('-');
        var equals = name.IndexOf('=', StringComparison.Ordinal);
        name = equals < 0 ? name : name[..equals];
        return name.Length > 0 && (name.Contains(':', StringComparison.Ordinal) || HostKeys.Contains(name, StringComparer.OrdinalIgnoreCase));
    }

    private static int Fail(TextWriter stderr, string message, int code = Usage)
    {
        stderr.WriteLine("marconi: " + message.ReplaceLineEndings(" "));
        return code;
    }
}
