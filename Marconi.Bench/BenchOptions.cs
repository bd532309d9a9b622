namespace Marconi.Bench;

internal sealed record BenchOptions(int Seconds, int[] Clients, int[] Sizes, int[] Counts, int Iterations, bool HonorRetryAfter = false)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        int[] List(string name, string fallback) => (Value(name) ?? fallback).Split(',').Select(int.Parse).ToArray();

        return new BenchOptions(
            int.Parse(Value("--seconds") ?? "10"),
            List("--clients", "1,16"),
            List("--sizes", "100,10240"),
            List("--counts", "10,100000,1000000"),
            int.Parse(Value("--iterations") ?? "200"),
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

    /// <summary>The word after every <paramref name="name"/>, for options given more than once.</summary>
    public static IEnumerable<string> Values(string[] args, string name) =>
        args.Select((a, i) => (a, i)).Where(p => p.a == name && p.i + 1 < args.Length).Select(p => args[p.i + 1]);

    /// <summary>The folder whose marconi.dll is measured (<c>--server DIR</c>), by default the bench's own build.</summary>
    public static string Server(string[] args) => Path.GetFullPath(Value(args, "--server") ?? AppContext.BaseDirectory);

    /// <summary>Server settings for every server started (<c>--set Key=Value</c>), as host arguments.</summary>
    public static string[] Settings(string[] args) => [.. Values(args, "--set").Select(s => "--" + s)];
}
