using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>One real host process shared by the contract tests (each test uses its own jobs and users).</summary>
public sealed class SharedHost : IAsyncLifetime
{
    public HostProcess Host { get; } = new(new Dictionary<string, string>
    {
        ["OCR_MAX_FILE_SIZE_MB"] = "1",
        ["OCR_CLEANUP_DELAY"] = "2",
    });

    public Task InitializeAsync() => Host.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedHostCollection : ICollectionFixture<SharedHost>
{
    public const string Name = "shared host";
}
