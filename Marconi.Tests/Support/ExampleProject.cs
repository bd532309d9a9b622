namespace Marconi.Tests.Support;

/// <summary>The console project a README's C# example is built in: its csproj, with the one package the example uses.</summary>
public static class ExampleProject
{
    public static void Write(string folder, string name, string package, string version) =>
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{package}" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
}
