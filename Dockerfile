# Builds the event store API into a small runtime image.
#   docker build -t eventstore-api .
# The application needs ConnectionStrings__Postgres and at least one workspace token at run time;
# see docker-compose.yml and README.md.

# ---- build ----------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
WORKDIR /src

# Restore first, from the build settings and project files only, so the package layer is reused
# until a dependency changes. The API project is restored rather than the solution: the test
# projects are not in the build context (.dockerignore).
COPY global.json Directory.Build.props Directory.Packages.props EventStore.sln ./
COPY src/EventStore.Api/EventStore.Api.csproj src/EventStore.Api/
COPY src/EventStore.Domain/EventStore.Domain.csproj src/EventStore.Domain/
COPY src/EventStore.LocalPostgres/EventStore.LocalPostgres.csproj src/EventStore.LocalPostgres/
RUN dotnet restore src/EventStore.Api/EventStore.Api.csproj

COPY . .
RUN dotnet publish src/EventStore.Api -c Release -o /app --no-restore -p:UseAppHost=false

# ---- runtime --------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .

ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080

# The image's unprivileged "app" user (APP_UID is set by the base image).
USER $APP_UID

ENTRYPOINT ["dotnet", "EventStore.Api.dll"]
