using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Ocr.TestSupport;

public static class ProgressSocket
{
    /// <summary>Every progress message of an open WebSocket until the server closes it, and how it closed.</summary>
    public static async Task<(List<JsonObject> Messages, WebSocketCloseStatus? Close)> ReadAllAsync(ClientWebSocket socket, TimeSpan timeout)
    {
        var messages = new List<JsonObject>();
        var buffer = new byte[64 * 1024];
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            var text = new StringBuilder();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, cancel.Token);
                text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (messages, result.CloseStatus);
            }

            messages.Add(JsonNode.Parse(text.ToString())!.AsObject());
        }
    }
}
