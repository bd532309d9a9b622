using System.Text;

namespace Marconi.Api;

/// <summary>The versions document served at <c>GET /</c> (v1 contract 3.20).</summary>
public static class ApiVersions
{
    /// <summary>300 Multiple Choices: the versions this server speaks.</summary>
    public static readonly ApiOutcome Outcome = new(300, Encoding.UTF8.GetBytes(
        """{"versions":[{"id":"1","status":"CURRENT","updated":"2014-09-11T17:47:05Z","media-types":[{"base":"application/json","type":"application/vnd.openstack.messaging-v1+json"}],"links":[{"href":"/v1/","rel":"self"}]}]}"""))
    {
        ContentType = "application/json",
    };
}
