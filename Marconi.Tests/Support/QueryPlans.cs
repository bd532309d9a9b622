using System.Text.Json;
using Npgsql;

namespace Marconi.Tests.Support;

/// <summary>PostgreSQL's plan for a statement, as the plan tests read it: every node's type and index.</summary>
internal static class QueryPlans
{
    /// <summary>A connection planning as <paramref name="planCacheMode"/> says (force_custom_plan, force_generic_plan).</summary>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, string planCacheMode)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var mode = new NpgsqlCommand($"SET plan_cache_mode = {planCacheMode}", connection);
        await mode.ExecuteNonQueryAsync();
        return connection;
    }

    /// <summary>The plan's nodes, depth first, with the parameters the statement names.</summary>
    public static async Task<List<(string Type, string? Index)>> ExplainAsync(
        NpgsqlConnection connection, string sql, IEnumerable<(string Name, object Value)> parameters)
    {
        await using var explain = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + sql, connection);
        foreach (var (name, value) in parameters)
        {
            if (sql.Contains("@" + name, StringComparison.Ordinal))
            {
                explain.Parameters.AddWithValue(name, value);
            }
        }

        var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!).RootElement;
        return Nodes(plan[0].GetProperty("Plan")).ToList();
    }

    public static string Describe(IEnumerable<(string Type, string? Index)> nodes) =>
        string.Join(", ", nodes.Select(n => n.Type + (n.Index is null ? "" : $" [{n.Index}]")));

    private static IEnumerable<(string Type, string? Index)> Nodes(JsonElement node)
    {
        yield return (node.GetProperty("Node Type").GetString()!,
            node.TryGetProperty("Index Name", out var index) ? index.GetString() : null);
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var descendant in Nodes(child))
                {
                    yield return descendant;
                }
            }
        }
    }
}
