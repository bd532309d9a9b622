using System.Globalization;
using System.Text;

namespace Marconi.Tests.Support;

/// <summary>One sample of a scrape: a series name, its labels and its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public bool Has(params (string Label, string Value)[] labels) =>
        labels.All(l => Labels.TryGetValue(l.Label, out var value) && value == l.Value);
}

/// <summary>
/// A parser of the Prometheus text exposition format (version 0.0.4), enough to read a scrape in
/// tests: comments and TYPE/HELP lines skipped, labels with escaped values, an optional timestamp.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Metric family → its declared type (counter, gauge, histogram…).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                types[parts[2]] = parts[3];
                continue;
            }

            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            samples.Add(ParseSample(line));
        }

        return new PrometheusText(samples, types);
    }

    /// <summary>Every sample of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public IEnumerable<PrometheusSample> Series(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && s.Has(labels));

    /// <summary>The sum of the matching samples' values (0 when none matches).</summary>
    public double Sum(string name, params (string Label, string Value)[] labels) => Series(name, labels).Sum(s => s.Value);

    private static PrometheusSample ParseSample(string line)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
        {
            i++;
        }

        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var label = line[i..eq].Trim();
                if (line[eq + 1] != '"')
                {
                    throw new FormatException($"Label {label} has no quoted value: {line}");
                }

                var value = new StringBuilder();
                i = eq + 2;
                for (; line[i] != '"'; i++)
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', var c => c });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                }

                labels[label] = value.ToString();
                i++;
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        var rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, number);
    }
}
