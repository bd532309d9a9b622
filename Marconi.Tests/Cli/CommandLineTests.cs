using System.Reflection;
using Marconi.Client;
using Marconi.Host;
using Marconi.Host.Cli;
using Marconi.Tests.EndToEnd;
using Microsoft.Extensions.Configuration;

namespace Marconi.Tests.Cli;

/// <summary>
/// What the <c>marconi</c> command line does with its arguments, in process: which invocations start a server and
/// with which settings, and which are usage errors. The server itself is replaced by a recorder here; the real
/// process is run in <see cref="HostCommandLineTests"/> and <see cref="SingleFileTests"/>.
/// </summary>
public sealed class CommandLineTests
{
    private sealed record Run(int Code, string Stdout, string Stderr, ServeRequest? Served);

    private static async Task<Run> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        ServeRequest? served = null;
        var code = await MarconiCommandLine.RunAsync(args, new StringReader(""), stdout, stderr, request =>
        {
            served = request;
            return Task.FromResult(0);
        });
        return new Run(code, stdout.ToString(), stderr.ToString(), served);
    }

    [Theory]
    [InlineData]
    [InlineData("serve")]
    [InlineData("serve", "--Marconi:Storage:Sqlite:Path=queue")]
    [InlineData("--Marconi:Transports:Zmq:Enabled=true")]
    [InlineData("--Marconi:Auth:Mode", "keys", "--Serilog:MinimumLevel:Default=Debug")]
    [InlineData("serve", "--environment=Development", "--AllowedHosts=*")]
    public async Task NoVerbOrServeWithSettingsServes(params string[] args)
    {
        var run = await RunAsync(args);
        run.Code.Should().Be(0, run.Stderr);
        run.Stderr.Should().BeEmpty();
        run.Served.Should().NotBeNull();
        run.Served!.Settings.Should().HaveCount(args.Count(a => a.StartsWith("--", StringComparison.Ordinal)))
            .And.Subject.All(s => s.StartsWith("--", StringComparison.Ordinal) && s.Contains('=')).Should().BeTrue();
    }

    [Fact]
    public async Task ServeOptionsBecomeSettingsThatWinOverTheSameKeyAsASetting()
    {
        var config = Path.GetTempFileName();
        try
        {
            var run = await RunAsync("serve", "--Marconi:Storage:Sqlite:Path=other.db", "--Marconi:Auth:Mode", "keys",
                "--url", "http://127.0.0.1:1234", "--db", "data.db", "--config", config);
            run.Code.Should().Be(0, run.Stderr);
            run.Served!.Settings.Should().Equal(
                "--Marconi:Storage:Sqlite:Path=other.db", "--Marconi:Auth:Mode=keys",
                "--Marconi:Transports:Http:Url=http://127.0.0.1:1234", "--Marconi:Storage:Sqlite:Path=data.db");
            run.Served.ConfigFile.Should().Be(Path.GetFullPath(config));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Theory]
    [InlineData("'foo'", "foo")]
    [InlineData("'queues'", "queues", "list")]
    [InlineData("'lst'", "queue", "lst")]
    [InlineData("'--port'", "serve", "--port", "23555")]
    [InlineData("'--port'", "serve", "--port=23555")]
    [InlineData("'--port'", "--Marconi:Auth:Mode=none", "--port", "1")]
    [InlineData("'stray'", "serve", "stray")]
    [InlineData("--Marconi:Auth:Mode", "serve", "--Marconi:Auth:Mode")]
    [InlineData("no such file", "serve", "--config", "no-such-settings.json")]
    [InlineData("'version'", "version", "--short")]
    [InlineData("--to", "backup", "--db", "marconi.db")]
    [InlineData("'--verbose'", "backup", "--db", "a.db", "--to", "b.db", "--verbose")]
    public async Task WhatIsNotUnderstoodIsAUsageErrorInOneLineAndNothingIsServed(string named, params string[] args)
    {
        var run = await RunAsync(args);
        run.Code.Should().Be(2, run.Stderr);
        run.Served.Should().BeNull();
        run.Stdout.Should().BeEmpty();
        run.Stderr.Should().StartWith("marconi: ").And.Contain(named);
        run.Stderr.TrimEnd().Should().NotContain("\n");
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("version")]
    public async Task VersionIsTheOneOfServerAndClient(string verb)
    {
        var run = await RunAsync(verb);
        run.Code.Should().Be(0);
        run.Served.Should().BeNull();
        var clientVersion = typeof(MarconiClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        run.Stdout.Should().Be(clientVersion + Environment.NewLine);
        MarconiCommandLine.Version.Should().Be(clientVersion);
    }

    [Theory]
    [InlineData("serve", "help")]
    [InlineData("serve", "--help")]
    [InlineData("backup", "help")]
    [InlineData("--config", "serve", "--help")]
    [InlineData("--force", "backup", "--help")]
    [InlineData("--ttl", "help", "message", "post")]
    public async Task HelpPrintsUsageAndServesNothing(string expected, params string[] args)
    {
        var run = await RunAsync(args);
        run.Code.Should().Be(0, run.Stderr);
        run.Served.Should().BeNull();
        run.Stdout.Should().Contain("Usage:").And.Contain(expected);
    }

    [Fact]
    public async Task ServeAndBackupAfterGlobalOptionsAreUsageErrors()
    {
        var run = await RunAsync("--project", "p", "serve");
        run.Code.Should().Be(2);
        run.Served.Should().BeNull();
        run.Stderr.Should().Contain("'serve' must come first");
    }

    [Theory]
    [InlineData("Marconi:Limit:MaxMessageTtl", "Marconi:Limits:MaxMessageTtl")]
    [InlineData("Marconi:Storage:Sqlite:Synchronus", "Marconi:Storage:Sqlite:Synchronous")]
    [InlineData("Marconi:Transports:Zmq:Endpiont", "Marconi:Transports:Zmq:Endpoint")]
    [InlineData("marconi:auth:mod", "Marconi:Auth:Mode")]
    [InlineData("Marconi:Notifications:TimeoutSecs", "Marconi:Notifications:TimeoutSeconds")]
    public void AnUnknownKeyIsNamedWithItsNearestValidKey(string key, string nearest)
    {
        var keys = ConfigurationKeys.OfMarconi();
        keys.IsKnown(key).Should().BeFalse();
        keys.Nearest(key).Should().Be(nearest);
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("Limit", "Limits", 1)]
    [InlineData("Synchronus", "Synchronous", 1)]
    [InlineData("ab", "ba", 2)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("MODE", "mode", 0)]
    public void EditDistanceCountsInsertionsDeletionsAndSubstitutions(string a, string b, int distance)
    {
        ConfigurationKeys.EditDistance(a, b).Should().Be(distance);
        ConfigurationKeys.EditDistance(b, a).Should().Be(distance);
    }

    [Fact]
    public void ValidKeysComeFromTheOptionsClassesAndCoverTheShippedSettings()
    {
        var keys = ConfigurationKeys.OfMarconi();
        keys.Keys.Should().Contain(["Marconi:Limits:MaxMessageTtl", "Marconi:Storage:Driver", "Marconi:Storage:Sqlite:Path",
            "Marconi:Transports:Http:Url", "Marconi:Transports:Zmq:CurveSecretKey", "Marconi:Api:Versions", "Marconi:OpenApi:Enabled"]);
        keys.IsKnown("Marconi:Api:Versions:2").Should().BeTrue("a list's items are its children");
        keys.IsKnown("MARCONI:LIMITS:MAXMESSAGETTL").Should().BeTrue("configuration keys ignore case");

        // A server started with the shipped file warns of nothing.
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(Readme.RepositoryRoot(), "appsettings.json")).Build();
        keys.Unknown(shipped).Should().BeEmpty();
        var misspelt = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Marconi:Limit:MaxMessageTtl"] = "60", ["Marconi:Limits:MaxMessageTtl"] = "60", ["Other:Key"] = "1",
            // Sections with values of their own, as WebApplicationFactory and test hosts set them, are not settings.
            ["Marconi"] = "", ["Marconi:Storage"] = "", ["Marconi:Transports:Zmq"] = "",
        }).Build();
        keys.Unknown(misspelt).Should().Equal("Marconi:Limit:MaxMessageTtl");
    }

    [Fact]
    public void TheEmbeddedDefaultsAreTheShippedAppsettings()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(Readme.RepositoryRoot(), "appsettings.json")).Build();
        MarconiHost.Defaults().AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal)
            .Should().Equal(shipped.AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
