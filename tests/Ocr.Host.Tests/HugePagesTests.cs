using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>
/// With OCR_MALLOC_HUGE_PAGES=true the host asks glibc for transparent huge pages by starting
/// itself again in place with GLIBC_TUNABLES (see MallocHugePages): checked on the real process,
/// its id and its memory; by default it runs as started.
/// </summary>
public sealed class HugePagesTests
{
    private const string KernelPolicyFile = "/sys/kernel/mm/transparent_hugepage/enabled";

    private static bool KernelGivesHugePagesOnRequest =>
        File.Exists(KernelPolicyFile) && File.ReadAllText(KernelPolicyFile).Contains("[madvise]", StringComparison.Ordinal);

    private static long AnonymousHugePagesKb(int processId) =>
        File.ReadLines($"/proc/{processId}/smaps_rollup")
            .Where(line => line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
            .Select(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]))
            .Sum();

    private static async Task<(string State, int ProcessId)> StartAndAsk(HostProcess host)
    {
        await host.StartAsync();
        using var client = host.Client();
        var system = await (await client.GetAsync("/api/ocr/system/")).JsonAsync();
        return (system["malloc_huge_pages"].Text(), system["node"]!["pid"]!.GetValue<int>());
    }

    [Fact]
    public async Task Asked_to_the_host_restarts_in_place_with_huge_pages_where_the_kernel_gives_them_on_request()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["OCR_MALLOC_HUGE_PAGES"] = "true" });

        var (state, processId) = await StartAndAsk(host);

        processId.ShouldBe(host.ProcessId!.Value); // the same process, not a child
        if (KernelGivesHugePagesOnRequest)
        {
            state.ShouldBe("on (GLIBC_TUNABLES=glibc.malloc.hugetlb=1)");
            // The models' weights alone are blocks of megabytes: some of them lie in huge pages.
            AnonymousHugePagesKb(processId).ShouldBeGreaterThan(0);
        }
        else
        {
            state.ShouldStartWith("not asked");
        }
    }

    [Fact]
    public async Task Tunables_already_set_are_kept_beside_the_huge_pages()
    {
        await using var host = new HostProcess(new Dictionary<string, string>
        {
            ["OCR_MALLOC_HUGE_PAGES"] = "yes",
            ["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=7",
        });

        var (state, _) = await StartAndAsk(host);

        if (KernelGivesHugePagesOnRequest)
        {
            state.ShouldBe("on (GLIBC_TUNABLES=glibc.malloc.tcache_count=7:glibc.malloc.hugetlb=1)");
        }
        else
        {
            state.ShouldStartWith("not asked");
        }
    }

    [Theory]
    [InlineData(null, "off (the default; OCR_MALLOC_HUGE_PAGES=true asks for them)")]
    [InlineData("false", "off (OCR_MALLOC_HUGE_PAGES=false)")]
    public async Task By_default_or_with_false_the_host_runs_as_started(string? setting, string expected)
    {
        await using var host = new HostProcess(setting is null ? null : new Dictionary<string, string> { ["OCR_MALLOC_HUGE_PAGES"] = setting });

        var (state, processId) = await StartAndAsk(host);

        state.ShouldBe(expected);
        AnonymousHugePagesKb(processId).ShouldBe(0);
    }
}
