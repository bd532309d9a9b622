using System.Text;

namespace Marconi.Api;

/// <summary>The paths of one API version's resources; every href a version writes is built here.</summary>
public sealed class Hrefs(string prefix)
{
    /// <summary>The version's base path, e.g. <c>/v1</c>.</summary>
    public string Prefix { get; } = prefix;

    public string Queues => Prefix + "/queues";

    public string Queue(string name) => $"{Prefix}/queues/{name}";

    public string Metadata(string queue) => Queue(queue) + "/metadata";

    public string Messages(string queue) => Queue(queue) + "/messages";

    public string Message(string queue, string id) => $"{Messages(queue)}/{id}";

    /// <summary>A message href that names the claim holding it.</summary>
    public string ClaimedMessage(string queue, string id, string claimId) => $"{Message(queue, id)}?claim_id={claimId}";

    /// <summary>The <c>Location</c> of a post: the messages by their ids.</summary>
    public string MessagesByIds(string queue, IReadOnlyList<string> ids) => $"{Messages(queue)}?ids={string.Join(',', ids)}";

    public string Claim(string queue, string claimId) => $"{Queue(queue)}/claims/{claimId}";

    /// <summary>
    /// A next-page link: <paramref name="path"/>, the marker, then each listing parameter the
    /// request carried with its parsed value (null values were not carried).
    /// </summary>
    public static string NextPage(string path, string marker, params (string Name, object? Value)[] parameters)
    {
        var next = new StringBuilder(path).Append("?marker=").Append(Uri.EscapeDataString(marker));
        foreach (var (name, value) in parameters)
        {
            switch (value)
            {
                case null:
                    continue;
                case string text:
                    next.Append('&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(text));
                    break;
                case long number:
                    next.Append('&').Append(name).Append('=').Append(number.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case bool flag:
                    next.Append('&').Append(name).Append(flag ? "=true" : "=false");
                    break;
                default:
                    throw new ArgumentException($"Parameter {name} has a type a link cannot carry.", nameof(parameters));
            }
        }

        return next.ToString();
    }
}
