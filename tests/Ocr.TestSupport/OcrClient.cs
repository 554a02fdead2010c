using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ocr.TestSupport;

/// <summary>HTTP helpers over the service's REST contract.</summary>
public static class OcrClient
{
    public static async Task<HttpResponseMessage> SubmitAsync(this HttpClient client, string fileName, byte[] content, IDictionary<string, string>? fields = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        foreach (var (key, value) in fields ?? new Dictionary<string, string>())
        {
            form.Add(new StringContent(value), key);
        }

        return await client.PostAsync("/api/ocr/submit/", form);
    }

    public static async Task<string> SubmitOkAsync(this HttpClient client, string fileName, byte[] content, IDictionary<string, string>? fields = null)
    {
        var response = await client.SubmitAsync(fileName, content, fields);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"submit {fileName}: {(int)response.StatusCode} {body}");
        }

        return JsonNode.Parse(body)!["job_id"]!.GetValue<string>();
    }

    public static async Task<JsonObject> JsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    public static async Task<JsonObject> StatusAsync(this HttpClient client, string jobId) =>
        await (await client.GetAsync($"/api/ocr/job/{jobId}/status/")).JsonAsync();

    /// <summary>Polls the status until the job is terminal (bounded).</summary>
    public static async Task<JsonObject> WaitAsync(this HttpClient client, string jobId, TimeSpan? timeout = null, Func<JsonObject, bool>? until = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var response = await client.GetAsync($"/api/ocr/job/{jobId}/status/");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    last = await response.JsonAsync();
                    var status = last["status"]!.GetValue<string>();
                    if (until is not null ? until(last) : status is "completed" or "failed" or "cancelled")
                    {
                        return last;
                    }
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(150);
        }

        throw new TimeoutException($"job {jobId} did not reach the expected state; last: {last?.ToJsonString()}");
    }

    public static async Task<JsonObject> ResultAsync(this HttpClient client, string jobId) =>
        await (await client.GetAsync($"/api/ocr/job/{jobId}/result/")).JsonAsync();

    public static string Text(this JsonNode? node) => node?.GetValue<string>() ?? "";

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
