using System.Text.RegularExpressions;
using Marconi.Tests.EndToEnd;

namespace Marconi.Tests.Dashboard;

/// <summary>The README's dashboard screenshots are files the browser tests write, and are there.</summary>
public sealed partial class DashboardReadmeTests
{
    [Fact]
    public void EveryScreenshotTheReadmeShowsIsAPngTheBrowserTestsTake()
    {
        var root = Readme.RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var images = Image().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        images.Should().NotBeEmpty();

        var tests = string.Join("\n", Directory.GetFiles(Path.Combine(root, "Marconi.Tests", "Dashboard"), "*BrowserTests.cs").Select(File.ReadAllText));
        foreach (var image in images)
        {
            var name = Path.GetFileName(image);
            tests.Should().Contain($"\"{name}\", readme: true", $"{image} is written by a browser test");
            var bytes = File.ReadAllBytes(Path.Combine(root, image));
            bytes.Take(8).Should().Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], $"{image} is a PNG");
        }
    }

    [GeneratedRegex(@"!\[[^\]]*\]\((docs/dashboard/[^)]+\.png)\)")]
    private static partial Regex Image();
}
