using System.Text;

namespace Marconi.Api.V1;

/// <summary>The JSON-Home document of the v1 API (contract 3.1).</summary>
public static class V1HomeDocument
{
    public const string ContentType = "application/json-home";

    /// <summary>Clients may keep the home document for a day.</summary>
    public const string CacheControl = "max-age=86400";

    public static readonly byte[] Bytes = Encoding.UTF8.GetBytes("""
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
}
