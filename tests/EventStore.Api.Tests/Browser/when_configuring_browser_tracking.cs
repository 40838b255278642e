using EventStore.Api.Browser;
using Microsoft.Extensions.Configuration;

namespace EventStore.Api.Tests.Browser;

/// <summary>Workspaces:N:Browser:* read and checked at start-up: bare origins only, a secret long enough, never shown.</summary>
public sealed class when_configuring_browser_tracking
{
    private const string Secret = "a-secret-nobody-may-see";

    private static BrowserWorkspaces Read(params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(
            settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)).Prepend(KeyValuePair.Create("Workspaces:0:Id", (string?)"acme"))).Build());

    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("https://App.Example.com/", "https://app.example.com")]
    [InlineData("https://app.example.com:443", "https://app.example.com")]
    [InlineData("http://127.0.0.1:5173", "http://127.0.0.1:5173")]
    public void allows_an_origin_however_it_is_written(string configured, string sent) =>
        Read(("Workspaces:0:Browser:AllowedOrigins:0", configured)).Find("acme")!.Allows(sent).ShouldBeTrue($"{configured} allows {sent}");

    [Theory]
    [InlineData("https://app.example.com.evil.test")]
    [InlineData("http://app.example.com")]
    [InlineData("https://app.example.com:8443")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData(null)]
    public void allows_no_other_origin(string? sent) =>
        Read(("Workspaces:0:Browser:AllowedOrigins:0", "https://app.example.com")).Find("acme")!.Allows(sent).ShouldBeFalse($"'{sent}' is another origin");

    [Theory]
    [InlineData("https://*.example.com")]
    [InlineData("*")]
    [InlineData("https://app.example.com/shop")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    public void stops_start_up_for_what_is_not_a_bare_origin(string origin) =>
        Should.Throw<InvalidOperationException>(() => Read(("Workspaces:0:Browser:AllowedOrigins:0", origin)))
            .Message.ShouldContain("workspace 'acme'");

    [Fact]
    public void stops_start_up_for_a_short_secret_without_showing_it()
    {
        var refused = Should.Throw<InvalidOperationException>(() => Read(("Workspaces:0:Browser:IdentitySecret", "short-secret")));

        refused.Message.ShouldContain("Workspaces:0:Browser:IdentitySecret");
        refused.Message.ShouldNotContain("short-secret", customMessage: "a secret never reaches a message or a log");
    }

    [Fact]
    public void takes_no_browser_events_for_a_workspace_without_a_browser_section() =>
        Read().Find("acme").ShouldBeNull();

    [Fact]
    public void never_shows_the_secret_in_its_description()
    {
        var options = new BrowserTrackingOptions { AllowedOrigins = ["https://app.example.com"], IdentitySecret = Secret };
        var workspace = Read(("Workspaces:0:Browser:AllowedOrigins:0", "https://app.example.com"), ("Workspaces:0:Browser:IdentitySecret", Secret)).Find("acme")!;

        options.ToString().ShouldNotContain(Secret);
        options.ToString().ShouldContain("(redacted)");
        workspace.ToString().ShouldNotContain(Secret);
    }
}
