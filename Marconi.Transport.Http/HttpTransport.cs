using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Marconi.Transport.Http;

/// <summary>Section <c>Marconi:Transports:Http</c>.</summary>
public sealed class HttpTransportOptions
{
    public const string SectionName = "Marconi:Transports:Http";

    public bool Enabled { get; set; } = true;

    public string Url { get; set; } = "http://127.0.0.1:8888";
}

public static class HttpTransportExtensions
{
    /// <summary>Registers what the HTTP transport needs.</summary>
    public static WebApplicationBuilder AddHttpTransport(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HttpTransportOptions>().BindConfiguration(HttpTransportOptions.SectionName);
        return builder;
    }

    /// <summary>Adds the v1 middleware and route table (the endpoints land in the next commits).</summary>
    public static WebApplication MapHttpTransport(this WebApplication app) => app;
}
