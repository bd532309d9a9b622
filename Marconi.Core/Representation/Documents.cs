using System.Text;

namespace Marconi.Core.Representation;

/// <summary>Fixed documents of the v1 API: the JSON-Home document and the versions document.</summary>
public static class Documents
{
    /// <summary>The home document of contract 3.1.</summary>
    public static readonly byte[] Home = Encoding.UTF8.GetBytes("""
        {"resources":{
        "rel/queues":{"href-template":"/v1/queues{?marker,limit,detailed}","href-vars":{"marker":"param/marker","limit":"param/queue_limit","detailed":"param/detailed"},"hints":{"allow":["GET"],"formats":{"application/json":{}}}},
        "rel/queue":{"href-template":"/v1/queues/{queue_name}","href-vars":{"queue_name":"param/queue_name"},"hints":{"allow":["GET","HEAD","PUT","DELETE"],"formats":{"application/json":{}}}},
        "rel/queue-metadata":{"href-template":"/v1/queues/{queue_name}/metadata","href-vars":{"queue_name":"param/queue_name"},"hints":{"allow":["GET","PUT"],"formats":{"application/json":{}}}},
        "rel/queue-stats":{"href-template":"/v1/queues/{queue_name}/stats","href-vars":{"queue_name":"param/queue_name"},"hints":{"allow":["GET"],"formats":{"application/json":{}}}},
        "rel/messages":{"href-template":"/v1/queues/{queue_name}/messages{?marker,limit,echo,include_claimed}","href-vars":{"queue_name":"param/queue_name","marker":"param/marker","limit":"param/messages_limit","echo":"param/echo","include_claimed":"param/include_claimed"},"hints":{"allow":["GET"],"formats":{"application/json":{}}}},
        "rel/post-messages":{"href-template":"/v1/queues/{queue_name}/messages","href-vars":{"queue_name":"param/queue_name"},"hints":{"allow":["POST"],"formats":{"application/json":{}},"accept-post":["application/json"]}},
        "rel/claim":{"href-template":"/v1/queues/{queue_name}/claims{?limit}","href-vars":{"queue_name":"param/queue_name","limit":"param/claim_limit"},"hints":{"allow":["POST"],"formats":{"application/json":{}},"accept-post":["application/json"]}}
        }}
        """.ReplaceLineEndings(""));

    /// <summary>The optional versions document of contract 3.20 (<c>GET /</c>).</summary>
    public static readonly byte[] Versions = Encoding.UTF8.GetBytes(
        """{"versions":[{"id":"1","status":"CURRENT","updated":"2014-09-11T17:47:05Z","media-types":[{"base":"application/json","type":"application/vnd.openstack.messaging-v1+json"}],"links":[{"href":"/v1/","rel":"self"}]}]}""");
}
