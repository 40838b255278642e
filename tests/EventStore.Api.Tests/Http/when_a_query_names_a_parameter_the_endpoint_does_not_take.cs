using System.Net;
using EventStore.Api.Tests.Infrastructure;

namespace EventStore.Api.Tests.Http;

/// <summary>
/// A filter with a typo must not answer as if there were no filter: a query parameter the endpoint does not take is a
/// 400 <c>parameter_invalid</c> naming it (ADR 0007), on every endpoint that reads query parameters.
/// </summary>
public sealed class when_a_query_names_a_parameter_the_endpoint_does_not_take(ApiFixture api) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string, string, bool> Requests => new()
    {
        { "GET", "/segments/placed-order/users?count_gte=3", "count_gte", false },
        { "GET", "/segments?include_archive=true", "include_archive", false },
        { "GET", "/events?type=user&user_id=314159&perpage=5", "perpage", false },
        { "GET", "/event-names?per_pages=5", "per_pages", false },
        { "POST", "/events/bulk?atomc=true", "atomc", false },
        { "GET", "/admin/tokens?workspce=acme", "workspce", true },
        { "POST", "/admin/projections/EventStats/rebuild?worksapce=acme", "worksapce", true },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task answers_400_naming_it(string method, string url, string parameter, bool asOperator)
    {
        var response = await api.Host.Send(new HttpMethod(method), url, method == "POST" ? "[]" : null,
            token: asOperator ? ApiFixture.AdminToken : ApiFixture.AcmeToken);

        response.ShouldBeError(HttpStatusCode.BadRequest, "parameter_invalid", parameter);
        response.Errors().Single(e => e.Field == parameter).Message.ShouldContain(parameter);
    }

    [Fact]
    public async Task lists_the_parameters_it_takes()
    {
        var response = await api.Host.Send(HttpMethod.Get, "/segments/placed-order/users?count_gte=3");

        var message = response.Errors().Single(e => e.Field == "count_gte").Message;
        message.ShouldContain("count_gt", Case.Sensitive, message);
        message.ShouldContain("last_less_than_days_ago", Case.Sensitive, message);
    }

    [Fact]
    public async Task still_answers_a_query_with_only_parameters_it_takes()
    {
        await api.Host.PostEvent(Scenarios.Event("placed-order", userId: "typo-free"));

        (await api.Host.Send(HttpMethod.Get, "/segments/placed-order/users?count_gt=0&per_page=5")).Status.ShouldBe(HttpStatusCode.OK);
    }
}
