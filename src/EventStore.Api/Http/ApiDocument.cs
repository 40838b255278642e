using System.Text.Json;
using EventStore.Api.Errors;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace EventStore.Api.Http;

/// <summary>
/// The API describes itself: an OpenAPI 3.1 document at <c>/openapi/v1.json</c> (ASP.NET Core's generator, fed by
/// Wolverine.Http's endpoints and completed from <see cref="ApiDescriptions"/>), with the bearer scheme and Intercom's
/// <c>error.list</c> on every error, and an interactive reference at <c>/scalar/v1</c>. Neither needs a token.
/// </summary>
public static class ApiDocument
{
    public const string Path = "/openapi/v1.json";
    private const string Bearer = "bearer";

    public static IServiceCollection AddApiDocument(this IServiceCollection services)
    {
        // Schemas are generated with the wire's conventions (snake_case), those of ApiJson.
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Event store API",
                    Version = "v1",
                    Description = "A drop-in replacement for Intercom's Data Events API, with timelines, segments, the event-name registry, " +
                        "privacy and operations. Every request needs `Authorization: Bearer <token>`; every error is Intercom's `error.list`.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
                {
                    [Bearer] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http,
                        Scheme = "bearer",
                        Description = "A workspace token (scopes events:read, events:write, users:erase) or an operator token (admin)",
                    },
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }];
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(DescribeAsync);
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // A nullable object property (RebuildError? error) is written as null: say so (the generator only does for simple types).
                if (schema.Type is { } type && !type.HasFlag(JsonSchemaType.Null) && IsNullable(context.JsonPropertyInfo?.AttributeProvider))
                {
                    schema.Type = type | JsonSchemaType.Null;
                }

                return Task.CompletedTask;
            });
            // Wolverine describes every endpoint as answering an IResult; the operations above say what they answer.
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components?.Schemas?.Remove("IResult");
                return Task.CompletedTask;
            });
        });
        return services;
    }

    public static WebApplication MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi(Path).AllowAnonymous();
        app.MapScalarApiReference(options => options.WithTitle("Event store API").WithOpenApiRoutePattern(Path)).AllowAnonymous();
        return app;
    }

    private static bool IsNullable(System.Reflection.ICustomAttributeProvider? member) => member switch
    {
        System.Reflection.PropertyInfo property => new System.Reflection.NullabilityInfoContext().Create(property).ReadState == System.Reflection.NullabilityState.Nullable,
        System.Reflection.ParameterInfo parameter => new System.Reflection.NullabilityInfoContext().Create(parameter).ReadState == System.Reflection.NullabilityState.Nullable,
        _ => false,
    };

    private static async Task DescribeAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        var key = ApiDescriptions.KeyOf(context.Description.HttpMethod, context.Description.RelativePath);
        if (!ApiDescriptions.All.TryGetValue(key, out var described))
        {
            return;
        }

        operation.Summary = described.Summary;
        operation.Description = described.Description;
        operation.Tags = new HashSet<OpenApiTagReference> { new(described.Tag, context.Document) };
        var path = (operation.Parameters ?? []).Where(p => p.In == ParameterLocation.Path).ToList();
        operation.Parameters = [.. path, .. described.Query.Select(q => (IOpenApiParameter)new OpenApiParameter
        {
            Name = q.Name, In = ParameterLocation.Query, Required = q.Required, Description = q.Description,
            Schema = new OpenApiSchema { Type = q.Type switch { "integer" => JsonSchemaType.Integer, "boolean" => JsonSchemaType.Boolean, _ => JsonSchemaType.String } },
        })];

        if (described.Request is { } request)
        {
            var schema = await context.GetOrCreateSchemaAsync(request, null, cancellation);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = (described.RequestContentTypes ?? ["application/json"]).ToDictionary(type => type, _ => new OpenApiMediaType { Schema = schema }),
            };
        }

        var error = await context.GetOrCreateSchemaAsync(typeof(ErrorListShape), null, cancellation);
        operation.Responses = [];
        foreach (var answer in described.Answers)
        {
            var response = new OpenApiResponse { Description = answer.Description };
            if (answer.Body is { } body)
            {
                response.Content = new Dictionary<string, OpenApiMediaType>
                {
                    [answer.ContentType] = new() { Schema = await context.GetOrCreateSchemaAsync(body, null, cancellation) },
                };
            }

            operation.Responses[answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
        }

        if (described.Anonymous)
        {
            // No token: an empty requirement list overrides the document's bearer requirement.
            operation.Security = [];
        }

        int[] always = described.Anonymous ? [429, 503] : [401, 403, 429, 503];
        foreach (var status in described.Errors.Concat(always).Distinct().Order())
        {
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = ApiDescriptions.ErrorMeaning(status),
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = error } },
            };
        }
    }
}
