using System.Collections.Concurrent;
using System.Data;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Marconi.Storage.Sqlite;

/// <summary>
/// The prepared statements of one connection: one command per SQL text, compiled by SQLite on its
/// first use and kept, with its parameters, for the connection's life. Microsoft.Data.Sqlite
/// compiles every new command again and Dapper makes a new command per call, which cost the writer
/// more CPU than the rows themselves. Used through <see cref="PreparedSql"/>; SQL texts must be
/// fixed shapes (a list of markers travels as one JSON parameter, see <see cref="PreparedSql.Json"/>),
/// so the cache holds one entry per statement of the code.
/// </summary>
internal sealed class Statements
{
    private static readonly ConditionalWeakTable<SqliteConnection, Statements> ByConnection = new();
    private static readonly ConcurrentDictionary<Type, (string Name, Func<object, object?> Get)[]> Shapes = new();

    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    private Statements(SqliteConnection connection) => _connection = connection;

    /// <summary>The statements of <paramref name="connection"/>; they go when it goes (closing it disposes its commands).</summary>
    public static Statements Of(SqliteConnection connection) => ByConnection.GetValue(connection, c => new Statements(c));

    /// <summary>SQLITE_DBCONFIG_ENABLE_QPSG: plans never depend on bound values.</summary>
    private const int EnableQueryPlannerStabilityGuarantee = 1007;

    /// <summary>
    /// Makes an open connection's statements stay compiled. The bundled SQLite otherwise compiles a
    /// statement again on the first step after some of its WHERE parameters change (their values
    /// could choose another plan, which our forced indexes and missing statistics never let them),
    /// so a cached list or claim was parsed and planned on every call all the same.
    /// </summary>
    public static void KeepCompiled(SqliteConnection connection)
    {
        var result = SQLitePCL.raw.sqlite3_db_config(connection.Handle, EnableQueryPlannerStabilityGuarantee, 1, out var enabled);
        if (result != SQLitePCL.raw.SQLITE_OK || enabled != 1)
        {
            throw new InvalidOperationException($"SQLite refused the query planner stability guarantee (result {result}).");
        }
    }

    /// <summary>
    /// The command for <paramref name="sql"/> with the properties of <paramref name="args"/> (an
    /// anonymous object, as for Dapper) bound as <c>@name</c> parameters. Valid until the next call
    /// with the same text; readers must be disposed before then.
    /// </summary>
    public SqliteCommand Bind(string sql, object? args, SqliteTransaction? transaction)
    {
        var command = Command(sql, transaction);
        var parameters = command.Parameters;
        var shape = args is null ? [] : Shapes.GetOrAdd(args.GetType(), Shape);
        if (parameters.Count != shape.Length)
        {
            parameters.Clear();
        }

        for (var i = 0; i < shape.Length; i++)
        {
            var value = shape[i].Get(args!) ?? DBNull.Value;
            if (i < parameters.Count && parameters[i].ParameterName == shape[i].Name)
            {
                parameters[i].Value = value;
            }
            else
            {
                parameters.Clear();
                foreach (var (name, get) in shape)
                {
                    parameters.AddWithValue(name, get(args!) ?? DBNull.Value);
                }

                break;
            }
        }

        return command;
    }

    /// <summary>
    /// The command for <paramref name="sql"/> with its parameters as the last caller left them
    /// (none the first time), for statements whose parameter list grows with their rows, which an
    /// anonymous object cannot describe. Valid until the next call with the same text.
    /// </summary>
    public SqliteCommand Command(string sql, SqliteTransaction? transaction)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            _commands.Add(sql, command);
        }

        command.Transaction = transaction;
        return command;
    }

    private static (string Name, Func<object, object?> Get)[] Shape(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .Select(p => ("@" + p.Name, Getter(type, p)))
            .ToArray();

    /// <summary>A compiled property read: reflection's GetValue would cost more than binding the value.</summary>
    private static Func<object, object?> Getter(Type type, PropertyInfo property)
    {
        var args = Expression.Parameter(typeof(object));
        var read = Expression.Property(Expression.Convert(args, type), property);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(read, typeof(object)), args).Compile();
    }
}

/// <summary>
/// Dapper-like calls that run on <see cref="Statements"/>: the same SQL and anonymous arguments,
/// but each statement is compiled once per connection. Rows are mapped by Dapper.
/// </summary>
internal static class PreparedSql
{
    public static int Exec(this SqliteConnection connection, string sql, object? args = null, SqliteTransaction? transaction = null) =>
        Statements.Of(connection).Bind(sql, args, transaction).ExecuteNonQuery();

    public static T? Scalar<T>(this SqliteConnection connection, string sql, object? args = null, SqliteTransaction? transaction = null)
    {
        var value = Statements.Of(connection).Bind(sql, args, transaction).ExecuteScalar();
        if (value is null or DBNull)
        {
            return default;
        }

        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return value is T typed ? typed : (T)Convert.ChangeType(value, type, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Every row, materialised before the statement is used again.</summary>
    public static List<T> Rows<T>(this SqliteConnection connection, string sql, object? args = null, SqliteTransaction? transaction = null)
    {
        using var reader = Statements.Of(connection).Bind(sql, args, transaction).ExecuteReader();
        var rows = new List<T>();
        if (!reader.Read())
        {
            return rows;
        }

        var parse = reader.GetRowParser<T>();
        do
        {
            rows.Add(parse(reader));
        }
        while (reader.Read());
        return rows;
    }

    /// <summary>The first row, or default when there is none.</summary>
    public static T? Row<T>(this SqliteConnection connection, string sql, object? args = null, SqliteTransaction? transaction = null)
    {
        using var reader = Statements.Of(connection).Bind(sql, args, transaction).ExecuteReader(CommandBehavior.SingleRow);
        return reader.Read() ? reader.GetRowParser<T>()(reader) : default;
    }

    /// <summary>Every row, read by <paramref name="read"/> (typed reads by position, for the hot queries).</summary>
    public static List<T> Rows<T>(this SqliteConnection connection, string sql, object? args, Func<SqliteDataReader, T> read, SqliteTransaction? transaction = null)
    {
        using var reader = Statements.Of(connection).Bind(sql, args, transaction).ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>
    /// A list of values as one parameter, for <c>IN (SELECT value FROM json_each(@list))</c>: one
    /// statement text for every length, where Dapper's <c>IN @list</c> makes a new text per length.
    /// </summary>
    public static string Json(IReadOnlyList<long> values) => "[" + string.Join(',', values) + "]";
}
