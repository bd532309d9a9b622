using System.Reflection;
using Marconi.Api;
using Marconi.Core.Operations;
using Marconi.Storage.Sqlite;
using Marconi.Transport.Zmq;
using Microsoft.Extensions.DependencyInjection;

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

/// <summary>Every action of every catalogue has an access level of its own; the closed default is for mistakes only.</summary>
public sealed class ActionAccessTests
{
    [Fact]
    public void EveryCatalogueActionHasAnAccessLevel()
    {
        using var factory = new Marconi.Tests.Http.MarconiHttpFactory();
        var catalogues = new ApiCatalogue[]
        {
            factory.Services.GetRequiredService<Marconi.Api.V1.V1Catalogue>(),
            factory.Services.GetRequiredService<Marconi.Api.V1_1.V1_1Catalogue>(),
            factory.Services.GetRequiredService<Marconi.Api.V2.V2Catalogue>(),
        };

        var unlisted = catalogues.SelectMany(c => c.ActionNames.Select(a => $"{c.Version} {a}"))
            .Where(a => !Marconi.Api.Access.ActionAccess.IsListed(a.Split(' ')[1]));
        unlisted.Should().BeEmpty();
    }
}
