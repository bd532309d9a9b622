using Marconi.Tests.Support;

namespace Marconi.Tests.EndToEnd;

/// <summary>The README's OpenAPI block, run verbatim (but for the address) against the real server process.</summary>
public sealed class ReadmeOpenApiTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task TheOpenApiExampleOfTheReadmePrintsWhatItSays()
    {
        var lines = await Readme.RunAgainstServerAsync("operating-openapi", _database.Path);
        lines.Should().Equal(Readme.PromisedOutput("operating-openapi"));
    }
}
