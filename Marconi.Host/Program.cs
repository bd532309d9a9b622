using Marconi.Api;
using Marconi.Core;
using Marconi.Host;
using Marconi.Host.Cli;
using Marconi.Transport.Http;

// `marconi queue|message|claim|subscription|health|key …` are client verbs; anything else (no verb, `serve`, or
// --Section:Key=value settings) runs the server.
if (ClientCommands.IsClientInvocation(args))
{
    return await new ClientCommands(Console.In, Console.Out, Console.Error).RunAsync(args);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args is ["serve", .. var settings] ? settings : args,
    // appsettings.json travels with the binary, so the host finds it from any working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

return await MarconiHost.RunAsync(builder, () =>
{
    builder.AddMarconiLogging();
    builder.AddMarconiCore();
    builder.AddMarconiApi();
    builder.AddStorageDriver();
    builder.AddTransports();
    builder.AddMarconiMetrics();

    var app = builder.Build();
    app.MapTransports();
    app.MapMarconiMetrics();
    return app;
});

/// <summary>Entry point type, public for <c>WebApplicationFactory</c>.</summary>
public partial class Program;
