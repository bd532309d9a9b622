using Marconi.Api;
using Marconi.Core;
using Marconi.Host;
using Marconi.Host.Cli;
using Marconi.Transport.Http;

// `marconi` with no verb (settings only) or `marconi serve` runs the server; `backup`, `version`, `help` and the
// client verbs are the command line's, and anything it does not understand is a usage error.
return await MarconiCommandLine.RunAsync(args, Console.In, Console.Out, Console.Error, Serve);

static async Task<int> Serve(ServeRequest request)
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = request.Settings,
        // appsettings.json beside the binary is found from any working directory.
        ContentRootPath = AppContext.BaseDirectory,
    });

    return await MarconiHost.RunAsync(builder, () =>
    {
        builder.AddMarconiConfiguration(request.ConfigFile);
        builder.AddMarconiLogging();
        builder.AddMarconiCore();
        builder.AddMarconiApi();
        builder.AddStorageDriver();
        builder.AddTransports();
        builder.AddMarconiMetrics();

        var app = builder.Build();
        app.MapTransports();
        app.MapMarconiMetrics();
        app.CheckConfiguration();
        return app;
    });
}

/// <summary>Entry point type, public for <c>WebApplicationFactory</c>.</summary>
public partial class Program;
