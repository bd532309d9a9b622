using System.Globalization;

namespace Marconi.Bench;

/// <summary>A command-line value the bench cannot use: one line naming the option, no stack trace.</summary>
internal sealed class BenchUsageException(string message) : Exception(message);

internal sealed record BenchOptions(double Seconds, int[] Clients, int[] Sizes, int[] Counts, int Iterations, bool HonorRetryAfter = false)
{
    public static BenchOptions Parse(string[] args)
    {
        int[] List(string name, string fallback) =>
            (BenchArgs.Value(args, name) ?? fallback).Split(',').Select(v => BenchArgs.Whole(name, v, min: 1)).ToArray();

        return new BenchOptions(
            BenchArgs.Number(args, "--seconds", 10),
            List("--clients", "1,16"),
            List("--sizes", "100,10240"),
            List("--counts", "10,100000,1000000"),
            BenchArgs.Whole(args, "--iterations", 200, min: 1),
            args.Contains("--honor-retry-after"));
    }
}

internal static class Percentiles
{
    /// <summary>The value at fraction <paramref name="p"/> of the sorted samples (nearest rank).</summary>
    public static double At(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>The command line of the verbs that start the server themselves (perf, consume, stores).</summary>
internal static class BenchArgs
{
    /// <summary>The word after <paramref name="name"/>, or null.</summary>
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>
    /// A number of seconds or milliseconds (fractions allowed, e.g. <c>--seconds 0.5</c>): the word after
    /// <paramref name="name"/>, else <paramref name="fallback"/>; more than <paramref name="min"/> unless min is 0 (then at least 0).
    /// </summary>
    public static double Number(string[] args, string name, double fallback, double min = double.Epsilon)
    {
        var text = Value(args, name);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= min
            ? value
            : throw new BenchUsageException(
                $"{name} {text}: expected {(min > 0 ? "a positive" : "a non-negative")} number such as {fallback.ToString(CultureInfo.InvariantCulture)} or 0.5");
    }

    /// <summary>A whole number (a count): the word after <paramref name="name"/>, else <paramref name="fallback"/>; at least <paramref name="min"/>.</summary>
    public static int Whole(string[] args, string name, int fallback, int min) =>
        Value(args, name) is { } text ? Whole(name, text, min) : fallback;

    public static int Whole(string name, string text, int min) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new BenchUsageException($"{name} {text}: expected a whole number of at least {min}");

    /// <summary>The word after every <paramref name="name"/>, for options given more than once.</summary>
    public static IEnumerable<string> Values(string[] args, string name) =>
        args.Select((a, i) => (a, i)).Where(p => p.a == name && p.i + 1 < args.Length).Select(p => args[p.i + 1]);

    /// <summary>The folder whose marconi.dll is measured (<c>--server DIR</c>), by default the bench's own build.</summary>
    public static string Server(string[] args) => Path.GetFullPath(Value(args, "--server") ?? AppContext.BaseDirectory);

    /// <summary>Server settings for every server started (<c>--set Key=Value</c>), as host arguments.</summary>
    public static string[] Settings(string[] args) => [.. Values(args, "--set").Select(s => "--" + s)];
}
