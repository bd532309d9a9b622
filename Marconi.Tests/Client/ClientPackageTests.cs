using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Marconi.Tests.EndToEnd;

namespace Marconi.Tests.Client;

/// <summary>
/// <c>dotnet pack Marconi.Client -c Release</c> (the README's command) makes a package anyone may
/// adopt: Apache-2.0, the readme, the host's version, and assemblies for net10.0 and net8.0.
/// </summary>
public sealed class ClientPackageTests
{
    [Fact]
    public async Task ThePackageCarriesItsLicenceReadmeVersionAndBothFrameworks()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Readme.RepositoryRoot(), "README.md"));
        readme.Should().Contain("`dotnet pack Marconi.Client -c Release`");
        var output = Directory.CreateTempSubdirectory("marconi-pack-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Readme.RepositoryRoot(),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { "pack", "Marconi.Client", "-c", "Release", "-o", output, "--nologo" })
            {
                start.ArgumentList.Add(argument);
            }

            using var pack = Process.Start(start)!;
            var stdout = pack.StandardOutput.ReadToEndAsync();
            var stderr = pack.StandardError.ReadToEndAsync();
            await pack.WaitForExitAsync();
            pack.ExitCode.Should().Be(0, await stdout + await stderr);

            // The host's version is the package's: one <Version> for both.
            var version = typeof(Program).Assembly.GetName().Version!.ToString(3);
            var package = Path.Combine(output, $"Marconi.Client.{version}.nupkg");
            File.Exists(package).Should().BeTrue(string.Join(", ", Directory.GetFiles(output)));

            using var zip = ZipFile.OpenRead(package);
            zip.Entries.Select(e => e.FullName).Should().Contain(
                ["README.md", "lib/net10.0/Marconi.Client.dll", "lib/net8.0/Marconi.Client.dll", "lib/net8.0/Marconi.Client.xml"]);
            await using var nuspecStream = zip.GetEntry("Marconi.Client.nuspec")!.Open();
            var nuspec = XDocument.Load(nuspecStream).Root!;
            string? Element(string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            Element("id").Should().Be("Marconi.Client");
            Element("version").Should().Be(version);
            Element("license").Should().Be("Apache-2.0");
            nuspec.Descendants().Single(e => e.Name.LocalName == "license").Attribute("type")!.Value.Should().Be("expression");
            Element("readme").Should().Be("README.md");
            Element("authors").Should().NotBeNullOrEmpty();
            Element("tags").Should().Contain("zaqar");
            nuspec.Descendants().Where(e => e.Name.LocalName == "group").Select(g => g.Attribute("targetFramework")!.Value)
                .Should().BeEquivalentTo("net10.0", "net8.0");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
