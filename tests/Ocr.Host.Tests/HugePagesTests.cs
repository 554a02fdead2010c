using Ocr.TestSupport;

namespace Ocr.Host.Tests;

/// <summary>
/// The host asks glibc for transparent huge pages by starting itself again in place with
/// GLIBC_TUNABLES (see MallocHugePages), and keeps its main heap off them after every page:
/// checked on the real process, its id, its environment's effect and its memory map.
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

    /// <summary>The kernel's flags of each mapping of the main heap ("hg": marked for huge pages, "nh": kept off them).</summary>
    private static List<string[]> MainHeapFlags(int processId)
    {
        var flags = new List<string[]>();
        var inHeap = false;
        foreach (var line in File.ReadLines($"/proc/{processId}/smaps"))
        {
            if (char.IsAsciiHexDigit(line[0]) && line.Contains('-'))
            {
                inHeap = line.TrimEnd().EndsWith("[heap]", StringComparison.Ordinal);
            }
            else if (inHeap && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                flags.Add(line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return flags;
    }

    private static async Task<(string State, int ProcessId)> StartAndAsk(HostProcess host)
    {
        await host.StartAsync();
        using var client = host.Client();
        var system = await (await client.GetAsync("/api/ocr/system/")).JsonAsync();
        return (system["malloc_huge_pages"].Text(), system["node"]!["pid"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_host_restarts_in_place_with_huge_pages_and_keeps_its_main_heap_off_them()
    {
        await using var host = new HostProcess();

        var (state, processId) = await StartAndAsk(host);

        processId.ShouldBe(host.ProcessId!.Value); // the same process, not a child
        if (!KernelGivesHugePagesOnRequest)
        {
            state.ShouldStartWith("not asked");
            return;
        }

        state.ShouldBe("on (GLIBC_TUNABLES=glibc.malloc.hugetlb=1)");
        // The models' weights alone are blocks of megabytes: some of them lie in huge pages.
        AnonymousHugePagesKb(processId).ShouldBeGreaterThan(0);

        using var client = host.Client();
        var job = await client.WaitAsync(await client.SubmitOkAsync("p.tif", await File.ReadAllBytesAsync(EvalCorpus.PathOf("images/tess_phototest.tif"))));
        job["status"].Text().ShouldBe("completed");
        // glibc marks the heap again where it grows after the last trim, so not every mapping need carry it.
        MainHeapFlags(processId).ShouldContain(flags => flags.Contains("nh"));
    }

    [Fact]
    public async Task Tunables_already_set_are_kept_beside_the_huge_pages()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=7" });

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

    [Fact]
    public async Task With_OCR_MALLOC_HUGE_PAGES_false_the_host_runs_as_started()
    {
        await using var host = new HostProcess(new Dictionary<string, string> { ["OCR_MALLOC_HUGE_PAGES"] = "false" });

        var (state, processId) = await StartAndAsk(host);

        state.ShouldBe("off (OCR_MALLOC_HUGE_PAGES=false)");
        AnonymousHugePagesKb(processId).ShouldBe(0);
    }
}
