using System.Diagnostics;

namespace Marconi.Tests.Support;

/// <summary>
/// A real, small file system (a tmpfs of a few MiB) to fill up, so full-disk behaviour is tested
/// on the kernel's own ENOSPC. Mounting needs root (as .ci/run runs); elsewhere the test is skipped.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private readonly List<string> _fillers = [];

    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="megabytes"/> MiB, or returns why it cannot.</summary>
    public static SmallDisk? TryMount(int megabytes, out string whyNot)
    {
        whyNot = "";
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            whyNot = "mounting a small tmpfs needs root on Linux (.ci/run runs as root)";
            return null;
        }

        var path = Directory.CreateTempSubdirectory("marconi-small-disk-").FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            whyNot = $"mount -t tmpfs failed: {output.Trim()}";
            return null;
        }

        return new SmallDisk(path);
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Fills every free byte with a file of zeros, as another program filling the disk would.</summary>
    public void Fill()
    {
        var filler = System.IO.Path.Combine(Path, $"filler-{_fillers.Count}");
        _fillers.Add(filler);
        using var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var chunk = new byte[1024 * 1024];
        var size = chunk.Length;
        while (size >= 512)
        {
            try
            {
                stream.Write(chunk, 0, size);
                stream.Flush();
            }
            catch (IOException)
            {
                // ENOSPC: try smaller writes until not even one block is left.
                size /= 2;
            }
        }
    }

    /// <summary>Removes what <see cref="Fill"/> wrote, as an operator freeing space would.</summary>
    public void Unfill()
    {
        foreach (var filler in _fillers)
        {
            File.Delete(filler);
        }

        _fillers.Clear();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean with the rest of temp.
        }
    }

    private static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
