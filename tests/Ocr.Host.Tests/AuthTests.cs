using System.Net;
using Ocr.TestSupport;

namespace Ocr.Host.Tests;

[Collection(SharedHostCollection.Name)]
public sealed class AuthTests(SharedHost shared)
{
    private HostProcess Host => shared.Host;

    [Theory]
    [InlineData("/api/ocr/jobs/")]
    [InlineData("/api/ocr/stats/")]
    [InlineData("/api/ocr/system/")]
    [InlineData("/api/ocr/job/abc/status/")]
    [InlineData("/api/ocr/job/abc/result/")]
    public async Task Every_endpoint_but_health_answers_401_problem_json_without_a_token(string path)
    {
        using var anonymous = Host.Client(user: null);

        var response = await anonymous.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.JsonAsync())["error"].Text().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Submit_and_cancel_without_a_token_are_401()
    {
        using var anonymous = Host.Client(user: null);

        (await anonymous.SubmitAsync("a.txt", "hello"u8.ToArray())).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/ocr/job/x/cancel/", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { "expired", Tokens.For("alice", expiresIn: -3600) },
        { "signed with another key", Tokens.For("alice", secret: "another-key-0123456789abcdef0123456789abcdef") },
        { "alg none", Tokens.For("alice", alg: "none") },
        { "HS512", Tokens.For("alice", alg: "HS512") },
        { "malformed", "not.a.jwt" },
        { "no exp", Tokens.For("alice", expiresIn: null) },
        { "no user", Tokens.For("alice", claims: new Dictionary<string, object> { ["role"] = "x" }) },
        { "nbf in an hour", Tokens.For("alice", claims: new Dictionary<string, object> { ["user_id"] = "alice", ["nbf"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds() }) },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_refused_with_401(string why, string token)
    {
        using var client = Host.Client(user: null);
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);

        var response = await client.GetAsync("/api/ocr/jobs/");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, why);
    }

    [Fact]
    public async Task The_user_comes_from_sub_when_user_id_is_absent()
    {
        using var alice = Host.Client("alice-sub");
        var jobId = await alice.SubmitOkAsync("note.txt", "hi"u8.ToArray());
        using var viaSub = Host.Client(user: null);
        viaSub.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.For("x", claims: new Dictionary<string, object> { ["sub"] = "alice-sub" }));

        (await viaSub.GetAsync($"/api/ocr/job/{jobId}/status/")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_query_string_token_is_not_accepted_on_REST_endpoints()
    {
        using var anonymous = Host.Client(user: null);

        var response = await anonymous.GetAsync($"/api/ocr/jobs/?token={Tokens.For("alice")}&access_token={Tokens.For("alice")}");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Health_needs_no_token_and_reports_each_check()
    {
        using var anonymous = Host.Client(user: null);

        var response = await anonymous.GetAsync("/api/ocr/health");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await response.JsonAsync();
        body["status"].Text().ShouldBe("healthy");
        var checks = body["checks"]!.AsObject();
        checks.Select(c => c.Key).ShouldBe(["cluster", "jobs", "journal", "engine", "gpu_detection"], ignoreOrder: true);
    }
}
