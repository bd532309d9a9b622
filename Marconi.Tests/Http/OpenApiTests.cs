using System.Net;
using System.Reflection;
using System.Text.Json;
using Marconi.Transport.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Marconi.Tests.Http;

/// <summary>Keys required for the API, so the documents are seen to be served outside its authentication.</summary>
public sealed class OpenApiFactory : MarconiHttpFactoryBase
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Marconi:Auth:Mode", "keys");
    }
}

/// <summary>The documents at <c>/openapi/{version}.json</c>, read by Microsoft.OpenApi's reader and held to the host's route table.</summary>
public sealed class OpenApiTests(OpenApiFactory factory) : IClassFixture<OpenApiFactory>
{
    [Theory]
    [InlineData("v1")]
    [InlineData("v1.1")]
    [InlineData("v2")]
    public async Task EachVersionsDocumentReadsAsOpenApi31AndNamesEveryRouteOfTheVersionAndNoOther(string version)
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync($"/openapi/{version}.json");
        response.StatusCode.Should().Be(HttpStatusCode.OK, "the document needs no key");
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        var read = OpenApiDocument.Load(new MemoryStream(bytes), "json", new OpenApiReaderSettings());
        read.Diagnostic!.Errors.Should().BeEmpty();
        read.Diagnostic.SpecificationVersion.Should().Be(OpenApiSpecVersion.OpenApi3_1);
        var document = read.Document!;
        document.Validate(ValidationRuleSet.GetDefaultRuleSet()).Should().BeEmpty();
        document.Info.Version.Should().Be(
            typeof(OpenApiOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion);

        var documented = document.Paths
            .SelectMany(p => p.Value.Operations!.Select(o => $"{o.Key.Method} {p.Key} {o.Value.OperationId}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        var routed = Routes(version)
            .Select(r => $"{r.Method} {r.Path} {r.Action}")
            .Order(StringComparer.Ordinal)
            .ToList();
        // v1 serves queue_exists for both GET and HEAD; operation ids are unique, so the HEAD one is suffixed.
        documented.Select(d => d.Replace("queue_exists_head", "queue_exists", StringComparison.Ordinal)).Should().Equal(routed);
        routed.Should().Contain(r => r.Contains("{queue_name}", StringComparison.Ordinal));

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (_, operation) in item.Operations!)
            {
                var pathParameters = operation.Parameters?.Where(p => p.In == ParameterLocation.Path).Select(p => p.Name) ?? [];
                pathParameters.Should().Equal(
                    path.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')), $"{operation.OperationId} names its path's parameters");
                operation.Responses!.Keys.Should().Contain(k => k.StartsWith('2'), $"{operation.OperationId} lists its success");
                operation.Responses["4XX"].Content!["application/json"].Schema!.Required.Should().BeEquivalentTo("title", "description");
            }
        }
    }

    [Fact]
    public async Task TheDocumentsKnowWhatTheCataloguesRead()
    {
        using var client = factory.CreateClient();
        var v2 = await JsonDocument.ParseAsync(await client.GetStreamAsync("/openapi/v2.json"));
        var list = v2.RootElement.GetProperty("paths").GetProperty("/v2/queues/{queue_name}/messages").GetProperty("get");
        list.GetProperty("parameters").EnumerateArray()
            .Where(p => p.GetProperty("in").GetString() == "query")
            .Select(p => $"{p.GetProperty("name").GetString()}:{p.GetProperty("schema").GetProperty("type").GetString()}")
            .Should().Equal("marker:string", "limit:integer", "echo:boolean", "include_claimed:boolean", "include_delayed:boolean", "ids:string");
        var stats = v2.RootElement.GetProperty("paths").GetProperty("/v2/queues/{queue_name}/stats").GetProperty("get");
        stats.GetProperty("parameters").EnumerateArray()
            .Where(p => p.GetProperty("in").GetString() == "query")
            .Select(p => $"{p.GetProperty("name").GetString()}:{p.GetProperty("schema").GetProperty("type").GetString()}")
            .Should().Equal("include_delayed:boolean");
        stats.GetProperty("description").GetString().Should().Contain("\"delayed\"").And.Contain("still counted in \"free\" and \"total\"");
        var v1_1 = await JsonDocument.ParseAsync(await client.GetStreamAsync("/openapi/v1.1.json"));
        var v1_1Stats = v1_1.RootElement.GetProperty("paths").GetProperty("/v1.1/queues/{queue_name}/stats").GetProperty("get");
        v1_1Stats.GetProperty("parameters").EnumerateArray().Should().OnlyContain(p => p.GetProperty("in").GetString() == "path");
        v1_1Stats.TryGetProperty("description", out _).Should().BeFalse();
        var patch = v2.RootElement.GetProperty("paths").GetProperty("/v2/queues/{queue_name}").GetProperty("patch");
        patch.GetProperty("requestBody").GetProperty("content").EnumerateObject().Select(c => c.Name)
            .Should().Equal("application/openstack-messaging-v2.0-json-patch");
        patch.GetProperty("responses").EnumerateObject().Select(r => r.Name).Should().Equal("200", "4XX", "503");

        var v1 = await JsonDocument.ParseAsync(await client.GetStreamAsync("/openapi/v1.json"));
        v1.RootElement.GetProperty("paths").GetProperty("/v1/queues/{queue_name}/claims").GetProperty("post")
            .GetProperty("responses").EnumerateObject().Select(r => r.Name).Should().Equal("201", "204", "4XX", "503");
    }

    [Theory]
    [InlineData("/openapi/v3.json")]
    [InlineData("/openapi/V1.json")]
    [InlineData("/openapi/.json")]
    public async Task AnUnknownVersionIsTheContractsNotFound(string path)
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var error = await response.JsonAsync();
        error.GetProperty("title").GetString().Should().Be("Not found");
        error.GetProperty("description").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task OnlyTheServedVersionsHaveDocuments()
    {
        // Settings override the shipped list ["1", "1.1", "2"] entry by entry: this leaves ["1", "2", "2"].
        using var withoutV1_1 = factory.WithWebHostBuilder(b => b.UseSetting("Marconi:Api:Versions:1", "2"));
        using var client = withoutV1_1.CreateClient();

        (await client.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/openapi/v2.json")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/openapi/v1.1.json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TurnedOffThereIsNoDocumentAndNoRoute()
    {
        using var off = factory.WithWebHostBuilder(b => b.UseSetting("Marconi:OpenApi:Enabled", "false"));
        using var client = off.CreateClient();

        (await client.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        off.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Should().NotContain(e => e.RoutePattern.RawText == "/openapi/{version}.json");
    }

    /// <summary>The version's routes as the host mapped them, one per method.</summary>
    private IEnumerable<(string Method, string Path, string Action)> Routes(string version) =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ApiActionMetadata>()?.Version == version)
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m =>
                (m, e.RoutePattern.RawText!.TrimEnd('/'), e.Metadata.GetMetadata<ApiActionMetadata>()!.Action)));
}
