using System.Net;
using System.Net.Sockets;

namespace EventStore.Benchmarks.Orchestration;

/// <summary>All load stays on this machine: every address the harness uses is on 127.0.0.1.</summary>
internal static class LoopbackPorts
{
    public static Uri NewBaseAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Refuses a connection string that would send the load to another machine.</summary>
    public static void EnsureLocalHost(string host)
    {
        var local = host.StartsWith('/') || host is "127.0.0.1" or "localhost" or "::1";
        if (!local)
        {
            throw new InvalidOperationException($"The benchmark only talks to this machine; host '{host}' is not 127.0.0.1, localhost or a socket folder.");
        }
    }
}
