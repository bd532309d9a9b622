using Marconi.Api.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Marconi.Api;

public static class ApiServiceExtensions
{
    /// <summary>Registers every API version's catalogue; the transports route requests to them.</summary>
    public static IHostApplicationBuilder AddMarconiApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<V1Catalogue>();
        return builder;
    }
}
