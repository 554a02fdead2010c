namespace Ocr.Host.Tests;

/// <summary>Reads the process table (/proc) for a process's descendants.</summary>
public static class ProcessProbe
{
    public static IReadOnlyList<(int Pid, string Name)> Descendants(int rootPid)
    {
        var parents = new Dictionary<int, (int Parent, string Name)>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                parents[pid] = (int.Parse(fields[1]), name);
            }
            catch (IOException)
            {
            }
        }

        var result = new List<(int, string)>();
        var frontier = new Queue<int>([rootPid]);
        while (frontier.Count > 0)
        {
            var parent = frontier.Dequeue();
            foreach (var (pid, info) in parents.Where(p => p.Value.Parent == parent))
            {
                result.Add((pid, info.Name));
                frontier.Enqueue(pid);
            }
        }

        return result;
    }
}
