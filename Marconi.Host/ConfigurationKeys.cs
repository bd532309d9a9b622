using System.Collections;
using System.Reflection;

namespace Marconi.Host;

/// <summary>
/// The keys under <c>Marconi:</c> that some options class binds, found by reflection: every public type of the
/// Marconi assemblies with a <c>const string SectionName</c> under <c>Marconi</c> (the options convention), and its
/// settable public properties. A configured key outside that set is most likely a typo, which configuration
/// binding would silently ignore.
/// </summary>
public sealed class ConfigurationKeys
{
    private const string Root = "Marconi";

    /// <summary>Valid leaf keys, e.g. <c>Marconi:Limits:MaxMessageTtl</c>.</summary>
    private readonly SortedSet<string> _keys = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Keys whose children are free (lists and dictionaries), e.g. <c>Marconi:Api:Versions</c>.</summary>
    private readonly HashSet<string> _open = new(StringComparer.OrdinalIgnoreCase);

    public ConfigurationKeys(IEnumerable<Type> optionsTypes)
    {
        foreach (var type in optionsTypes)
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field
                && field.GetRawConstantValue() is string section
                && (section == Root || section.StartsWith(Root + ":", StringComparison.OrdinalIgnoreCase)))
            {
                Add(section, type, depth: 0);
            }
        }
    }

    /// <summary>The options classes of every Marconi assembly the host is built from.</summary>
    public static ConfigurationKeys OfMarconi() => new(MarconiAssemblies().SelectMany(a => a.GetExportedTypes()));

    public IReadOnlyCollection<string> Keys => _keys;

    /// <summary>The configured keys under <c>Marconi:</c> that no options class binds.</summary>
    public IEnumerable<string> Unknown(IConfiguration configuration) =>
        configuration.GetSection(Root).AsEnumerable()
            // A section may carry a value of its own (WebApplicationFactory passes --Marconi=, hosts set
            // sections empty): only a leaf that no options class binds is a likely typo.
            .Where(pair => pair.Value is not null && !IsSection(pair.Key) && !IsKnown(pair.Key))
            .Select(pair => pair.Key)
            .Order(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="key"/> is the root or a section above some valid key, e.g. <c>Marconi:Storage</c>.</summary>
    private bool IsSection(string key) =>
        key.Equals(Root, StringComparison.OrdinalIgnoreCase)
        || _keys.Any(k => k.Length > key.Length && k[key.Length] == ':' && k.StartsWith(key, StringComparison.OrdinalIgnoreCase));

    public bool IsKnown(string key)
    {
        if (_keys.Contains(key))
        {
            return true;
        }

        for (var colon = key.LastIndexOf(':'); colon > 0; colon = key.LastIndexOf(':', colon - 1))
        {
            if (_open.Contains(key[..colon]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The valid key nearest to <paramref name="key"/> by edit distance (ignoring case); ties go to the first in order.</summary>
    public string Nearest(string key)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in _keys)
        {
            var distance = EditDistance(key, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best ?? Root;
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, ignoring case.</summary>
    public static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private void Add(string prefix, Type type, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{prefix}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var settable = property.SetMethod is { IsPublic: true };
            if (IsScalar(propertyType))
            {
                if (settable)
                {
                    _keys.Add(key);
                }
            }
            else if (typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                // Lists and dictionaries: their children are free. The binder fills one without a setter only
                // when it can add to it (a read-only view such as a computed IReadOnlyList is not a setting).
                var fillable = !propertyType.IsArray && (typeof(IList).IsAssignableFrom(propertyType) || typeof(IDictionary).IsAssignableFrom(propertyType));
                if (settable || fillable)
                {
                    _keys.Add(key);
                    _open.Add(key);
                }
            }
            else if (depth < 4 && propertyType.IsClass)
            {
                Add(key, propertyType, depth + 1);
            }
        }
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Guid) || type == typeof(Uri);

    private static IEnumerable<Assembly> MarconiAssemblies()
    {
        var host = typeof(ConfigurationKeys).Assembly;
        var names = host.GetReferencedAssemblies().Where(n => n.Name?.StartsWith("Marconi.", StringComparison.Ordinal) == true);
        return names.Select(Assembly.Load).Append(host).Distinct();
    }
}
