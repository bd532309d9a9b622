using System.Reflection;
using Marconi.Api;
using Marconi.Core.Operations;
using Marconi.Storage.Sqlite;
using Marconi.Transport.Zmq;

namespace Marconi.Tests.Architecture;

/// <summary>Dependency arrows point towards Core, and only the HTTP transport and the host know ASP.NET.</summary>
public sealed class ProjectDependencyTests
{
    public static TheoryData<string> ProjectsWithoutAspNet => new()
    {
        typeof(QueueOperations).Assembly.GetName().Name!,
        typeof(ApiCatalogue).Assembly.GetName().Name!,
        typeof(SqliteStorageExtensions).Assembly.GetName().Name!,
        typeof(ZmqTransportExtensions).Assembly.GetName().Name!,
    };

    [Theory]
    [MemberData(nameof(ProjectsWithoutAspNet))]
    public void ReferencesNoAspNetAssembly(string assembly)
    {
        var references = Assembly.Load(assembly).GetReferencedAssemblies().Select(a => a.Name!);
        references.Should().NotContain(name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void CoreReferencesNoOtherMarconiProject()
    {
        var references = typeof(QueueOperations).Assembly.GetReferencedAssemblies().Select(a => a.Name!);
        references.Should().NotContain(name => name.StartsWith("Marconi", StringComparison.Ordinal));
    }

    [Fact]
    public void ApiReferencesCoreAndNoTransportOrStorage()
    {
        var references = typeof(ApiCatalogue).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        references.Should().Contain("Marconi.Core");
        references.Where(name => name.StartsWith("Marconi", StringComparison.Ordinal)).Should().Equal("Marconi.Core");
    }
}
