using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using Xunit;

namespace Ocr.TestSupport;

/// <summary>
/// A throwaway redis-server on a free loopback port. With <paramref name="appendOnly"/> it keeps an
/// append-only file (fsync <paramref name="appendFsync"/>) in its own directory, so a test can SIGKILL it and start it
/// again on the same data.
/// </summary>
public sealed class RedisServer(bool appendOnly = false, string appendFsync = "always") : IAsyncLifetime, IAsyncDisposable
{
    private Process? _process;

    public int Port { get; private set; }

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "akkaocr-redis-" + Guid.NewGuid().ToString("N"));

    public string ConnectionString => $"127.0.0.1:{Port}";

    public string Url => $"redis://127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        System.IO.Directory.CreateDirectory(Directory);
        await StartAsync();
    }

    /// <summary>Starts the server (again) on the same port and directory, and waits until it answers.</summary>
    public async Task StartAsync()
    {
        var persistence = appendOnly ? $"--appendonly yes --appendfsync {appendFsync}" : "--appendonly no";
        _process = Process.Start(new ProcessStartInfo("redis-server", $"--port {Port} --bind 127.0.0.1 --dir {Directory} --save \"\" {persistence}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("redis-server did not start (is it installed? scripts/setup.sh installs it)");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGKILL: whatever the append-only file holds is all that survives.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public async Task DisposeAsync()
    {
        await KillAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
