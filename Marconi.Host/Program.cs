using Marconi.Core;
using Marconi.Host;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json travels with the binary, so the host finds it from any working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

return await MarconiHost.RunAsync(builder, () =>
{
    builder.AddMarconiLogging();
    builder.AddMarconiCore();
    builder.AddStorageDriver();
    builder.AddTransports();

    var app = builder.Build();
    app.MapTransports();
    return app;
});

/// <summary>Entry point type, public for <c>WebApplicationFactory</c>.</summary>
public partial class Program;
