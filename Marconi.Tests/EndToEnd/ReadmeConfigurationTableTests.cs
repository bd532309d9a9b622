using System.Text.RegularExpressions;
using FluentAssertions;
using Marconi.Host;

namespace Marconi.Tests.EndToEnd;

/// <summary>
/// The README's configuration table is the reference of every key: each key an options class binds
/// has a row, each row names a key that is bound, and each default the table gives for a key the
/// shipped appsettings.json sets is the value shipped.
/// </summary>
public sealed partial class ReadmeConfigurationTableTests
{
    [Fact]
    public void EveryBoundKeyHasARowAndEveryRowABoundKey()
    {
        var documented = Rows().Select(r => r.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var bound = ConfigurationKeys.OfMarconi();

        bound.Keys.Where(k => !documented.Contains(k)).ToList().Should().BeEmpty("every key an options class reads is in the table");
        documented.Where(k => !bound.IsKnown(k)).ToList().Should().BeEmpty("every key in the table is read by an options class");
    }

    [Fact]
    public void TheDefaultsOfTheTableAreTheShippedOnes()
    {
        var shipped = MarconiHost.Defaults();
        var checkedRows = 0;
        foreach (var (key, value) in Rows())
        {
            if (shipped[key] is not { } setting || value is null)
            {
                continue;
            }

            // Configuration keeps JSON booleans as True/False.
            value.Should().BeEquivalentTo(setting, $"the table's default of {key} is the shipped appsettings.json's");
            checkedRows++;
        }

        checkedRows.Should().BeGreaterThan(40, "most keys are set in the shipped appsettings.json");
    }

    /// <summary>
    /// The table's keys with their defaults: a row of <c>`A:B:C` / `D`</c> with defaults
    /// <c>`1` / `2`</c> names A:B:C (1) and A:B:D (2); a default that is not one plain value is null.
    /// </summary>
    private static IEnumerable<(string Key, string? Default)> Rows()
    {
        var readme = File.ReadAllText(Path.Combine(Readme.RepositoryRoot(), "README.md"));
        var start = readme.IndexOf("\n## Configuration\n", StringComparison.Ordinal);
        start.Should().BeGreaterThan(0);
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        foreach (var line in readme[start..end].Split('\n').Where(l => l.StartsWith("| `Marconi:", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            var names = Code().Matches(cells[1]).Select(m => m.Groups[1].Value).ToList();
            var defaults = cells[2].Split(" / ").Select(d => Code().Match(d) is { Success: true } m && m.Value == d.Trim() ? m.Groups[1].Value : null).ToList();
            var section = names[0][..names[0].LastIndexOf(':')];
            for (var i = 0; i < names.Count; i++)
            {
                var key = i == 0 ? names[0] : $"{section}:{names[i]}";
                yield return (key, defaults.Count == names.Count ? defaults[i] : null);
            }
        }
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();
}
