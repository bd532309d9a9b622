using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Marconi.Tests.Http;
using Marconi.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace Marconi.Tests.Dashboard;

/// <summary>The real host with the dashboard turned off.</summary>
public sealed class NoDashboardFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Dashboard:Enabled", "false");
    }
}

/// <summary>The real host with the dashboard at a path of its own.</summary>
public sealed class ConsoleDashboardFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Dashboard:Path", "/ops/console");
    }
}

/// <summary>The real host with its metrics at another path, and one with them off.</summary>
public sealed class MovedMetricsFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Metrics:Path", "/ops/scrape");
    }
}

public sealed class NoMetricsFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Metrics:Enabled", "false");
    }
}

/// <summary>
/// The dashboard's page and assets as the real host serves them: content types, the strict
/// Content-Security-Policy, content-hash ETags with revalidation, no key needed.
/// </summary>
public sealed partial class DashboardHttpTests(MarconiHttpFactory factory) : IClassFixture<MarconiHttpFactory>
{
    [Theory]
    [InlineData("/ui", "text/html")]
    [InlineData("/ui/dashboard.js", "text/javascript")]
    [InlineData("/ui/dashboard.css", "text/css")]
    public async Task ThePageAndItsAssetsAreServedWithTheirTypeAndAStrictPolicy(string path, string mediaType)
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be(mediaType);
        response.Content.Headers.ContentType.CharSet.Should().Be("utf-8");
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.Should().StartWith("default-src 'self';").And.NotContain("unsafe-inline").And.NotContain("unsafe-eval");
        response.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
        response.Headers.CacheControl!.NoCache.Should().BeTrue();
        response.Headers.ETag.Should().NotBeNull();
        (await response.Content.ReadAsByteArrayAsync()).Should().NotBeEmpty();
    }

    [Fact]
    public async Task ThePageNamesItsAssetsUnderItsPathAndHasNoInlineScriptOrStyle()
    {
        using var client = factory.CreateClient();
        var page = await client.GetStringAsync("/ui");

        page.Should().Contain("<script src=\"/ui/dashboard.js\"").And.Contain("href=\"/ui/dashboard.css\"");
        InlineScript().IsMatch(page).Should().BeFalse("every script is a file, as the policy requires");
        page.Should().NotContain("<style").And.NotContain(" style=");
        InlineHandler().IsMatch(page).Should().BeFalse("no inline event handlers");
        page.Should().NotContain("http://").And.NotContain("https://", "nothing comes from elsewhere");
    }

    [Fact]
    public async Task ThePageNamesTheScrapeItReadsTheHostsRatesFrom()
    {
        using var client = factory.CreateClient();
        (await client.GetStringAsync("/ui")).Should().Contain("<body data-metrics=\"/metrics\">");
    }

    [Fact]
    public async Task AnAssetNotChangedSinceTheBrowsersCopyIsNotSentAgain()
    {
        using var client = factory.CreateClient();
        using var first = await client.GetAsync("/ui/dashboard.js");
        var tag = first.Headers.ETag!;

        using var again = new HttpRequestMessage(HttpMethod.Get, "/ui/dashboard.js");
        again.Headers.IfNoneMatch.Add(tag);
        using var revalidated = await client.SendAsync(again);
        revalidated.StatusCode.Should().Be(HttpStatusCode.NotModified);
        (await revalidated.Content.ReadAsByteArrayAsync()).Should().BeEmpty();

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/ui/dashboard.js");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"older\""));
        using var fresh = await client.SendAsync(stale);
        fresh.StatusCode.Should().Be(HttpStatusCode.OK);

        using var css = await client.GetAsync("/ui/dashboard.css");
        css.Headers.ETag.Should().NotBe(tag, "the tag is the content's");
    }

    [Fact]
    public async Task AnAssetThatDoesNotExistIsTheApisNotFound()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/ui/other.js");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"title\"");
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();
}

/// <summary><c>Marconi:Dashboard:Enabled=false</c>: the page is not there, the API is.</summary>
public sealed class DashboardOffTests(NoDashboardFactory factory) : IClassFixture<NoDashboardFactory>
{
    [Theory]
    [InlineData("/ui")]
    [InlineData("/ui/dashboard.js")]
    public async Task TheDashboardIsNotServed(string path)
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);

        using var home = await client.GetAsync("/v1.1/");
        home.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}

/// <summary><c>Marconi:Dashboard:Path</c> moves the page and its assets.</summary>
public sealed class DashboardPathTests(ConsoleDashboardFactory factory) : IClassFixture<ConsoleDashboardFactory>
{
    [Fact]
    public async Task ThePageAndItsAssetsAreServedUnderTheConfiguredPath()
    {
        using var client = factory.CreateClient();
        var page = await client.GetStringAsync("/ops/console");
        page.Should().Contain("<script src=\"/ops/console/dashboard.js\"");
        using var script = await client.GetAsync("/ops/console/dashboard.js");
        script.StatusCode.Should().Be(HttpStatusCode.OK);
        using var old = await client.GetAsync("/ui");
        old.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}

/// <summary>A dashboard path that routing could not keep apart from another endpoint stops the host, naming the key.</summary>
public sealed class DashboardConfigurationTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("ui")]
    [InlineData("/")]
    [InlineData("/ui/")]
    [InlineData("/v2/ui")]
    [InlineData("/V1")]
    [InlineData("/metrics")]
    [InlineData("/healthz")]
    [InlineData("/readyz/ui")]
    [InlineData("/openapi")]
    [InlineData("/ui/../v2")]
    [InlineData("/ui?x=1")]
    public async Task ABadPathStopsTheHostNamingTheKey(string path)
    {
        await using var host = HostProcess.Start(_database.Path, [$"--Marconi:Dashboard:Path={path}"]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain("Marconi:Dashboard:Path");
    }

    [Fact]
    public async Task APathClashingWithTheMetricsIsRefusedWhereverTheMetricsAre()
    {
        await using var host = HostProcess.Start(_database.Path, ["--Marconi:Metrics:Path=/ui/metrics"]);
        (await host.WaitForExitAsync(TimeSpan.FromSeconds(60))).Should().NotBe(0);
        host.Output.Should().Contain("Marconi:Dashboard:Path");
    }
}

/// <summary>The page reads the host's rates wherever <c>Marconi:Metrics</c> serves them, and not at all when it serves none.</summary>
public sealed class DashboardMetricsPathTests
{
    [Fact]
    public async Task ThePageNamesTheConfiguredScrape()
    {
        await using var factory = new MovedMetricsFactory();
        using var client = factory.CreateClient();
        (await client.GetStringAsync("/ui")).Should().Contain("<body data-metrics=\"/ops/scrape\">");
        (await client.GetAsync("/ops/scrape")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task WithoutMetricsThePageNamesNoScrape()
    {
        await using var factory = new NoMetricsFactory();
        using var client = factory.CreateClient();
        (await client.GetStringAsync("/ui")).Should().Contain("<body data-metrics=\"\">");
        (await client.GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
