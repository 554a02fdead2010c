using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Ocr.Actors.Jobs;

namespace Ocr.Actors.Serialization;

/// <summary>
/// JSON for every <see cref="IOcrProtocolMember"/>, with the type's short name as a stable
/// manifest. Persisted names are a contract: never rename a persisted record or field.
/// </summary>
public sealed class OcrSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 4711;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private static readonly FrozenDictionary<string, Type> TypesByManifest = typeof(IOcrProtocolMember).Assembly.GetTypes()
        .Where(t => typeof(IOcrProtocolMember).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .ToFrozenDictionary(t => t.Name, t => t);

    /// <summary>Binds this serializer to every protocol member (used by the host and by tests alike).</summary>
    public static Akka.Configuration.Config BindingConfig { get; } = Akka.Configuration.ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers.ocr-json = "{{typeof(OcrSerializer).AssemblyQualifiedName}}"
          serialization-bindings { "{{typeof(IOcrProtocolMember).AssemblyQualifiedName}}" = ocr-json }
          serialization-identifiers { "{{typeof(OcrSerializer).AssemblyQualifiedName}}" = {{SerializerId}} }
        }
        """);

    public override int Identifier => SerializerId;

    public static IReadOnlyCollection<Type> KnownTypes => TypesByManifest.Values;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest) =>
        TypesByManifest.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json) ?? throw new SerializationException($"'{manifest}' deserialized to null")
            : throw new SerializationException($"Unknown manifest '{manifest}'");

    public override string Manifest(object o) => o.GetType().Name;
}
