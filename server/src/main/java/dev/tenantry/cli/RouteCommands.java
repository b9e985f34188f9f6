package dev.tenantry.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.ApiError;
import dev.tenantry.sdk.Models;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code tenantry route list | set | remove | put}: a tenant's gateway routes. */
@Command(name = "route", description = "Manage a tenant's gateway routes.", mixinStandardHelpOptions = true,
        subcommands = {RouteCommands.ListRoutes.class, RouteCommands.Set.class, RouteCommands.Remove.class,
                RouteCommands.Put.class})
final class RouteCommands {

    static Table table(List<Models.Route> routes) {
        Table table = new Table("PATH", "UPSTREAMS", "AUTH", "BALANCE", "TIMEOUT", "RETRIES");
        routes.forEach(r -> table.row(r.path(), upstreams(r), r.auth(), r.balance(), r.timeoutMs() + " ms", r.retries()));
        return table;
    }

    static String upstreams(Models.Route route) {
        return route.upstreams().stream().map(Models.Upstream::url).collect(Collectors.joining(","));
    }

    /**
     * Reads the table, lets {@code change} write its new version guarded by the version read, and
     * does it once more if another change got in between (412). Empty when {@code change} found
     * nothing to do.
     */
    static Optional<Models.RouteTable> edit(AdminClient client, String tenant,
                                            Function<Models.RouteTable, Optional<Models.RouteTable>> change) {
        try {
            return change.apply(client.routes(tenant));
        } catch (ApiError e) {
            if (e.status() != 412) {
                throw e;
            }
            return change.apply(client.routes(tenant));
        }
    }

    @Command(name = "list", description = "List a tenant's routes.")
    static final class ListRoutes extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;

        @Override
        void run(AdminClient client, boolean json) {
            Models.RouteTable routes = client.routes(tenant);
            show(json, routes, () -> table(routes.routes()).print(out()));
        }
    }

    @Command(name = "set", description = "Add a route, or replace the one with the same path; the other routes stay.")
    static final class Set extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "path prefix, e.g. /api")
        String path;
        @Parameters(index = "2", arity = "1", split = ",", paramLabel = "<upstream-url>",
                description = "upstream base URLs, comma-separated, e.g. http://10.0.0.5:8080")
        List<String> upstreams;
        @Option(names = "--auth", description = "none (default) or api-key")
        String auth;
        @Option(names = "--balance", description = "p2c (default) or least")
        String balance;
        @Option(names = "--timeout-ms", description = "how long the upstream may send nothing, ms (default 30000)")
        Integer timeoutMs;
        @Option(names = "--connect-timeout-ms", description = "connect timeout, ms (default 2000)")
        Integer connectTimeoutMs;
        @Option(names = "--retries", description = "retries on another upstream, 0-5 (default 1)")
        Integer retries;
        @Option(names = "--strip-prefix", description = "remove the path prefix before passing the request on")
        boolean stripPrefix;
        @Option(names = "--health-path", description = "check each upstream with GET on this path, e.g. /healthz")
        String healthPath;
        @Option(names = "--health-interval-ms", description = "health check interval, ms (default 5000)")
        Integer healthIntervalMs;

        @Override
        void run(AdminClient client, boolean json) {
            ObjectNode route = route();
            Models.RouteTable table = edit(client, tenant, current -> Optional.of(
                    client.putRoutes(tenant, with(current, route), OptionalInt.of(current.version())))).orElseThrow();
            show(json, table, () -> table(table.routes()).print(out()));
        }

        /** The route as sent: only the options given, so the others take the API's defaults. */
        private ObjectNode route() {
            if (healthIntervalMs != null && healthPath == null) {
                throw new ParameterException(options.spec.commandLine(), "--health-interval-ms needs --health-path");
            }
            ObjectNode route = AdminClient.JSON.createObjectNode().put("path", path);
            ArrayNode urls = route.putArray("upstreams");
            upstreams.forEach(url -> urls.addObject().put("url", url.strip()));
            Optional.ofNullable(auth).ifPresent(v -> route.put("auth", v));
            Optional.ofNullable(balance).ifPresent(v -> route.put("balance", v));
            Optional.ofNullable(connectTimeoutMs).ifPresent(v -> route.put("connectTimeoutMs", v));
            Optional.ofNullable(timeoutMs).ifPresent(v -> route.put("timeoutMs", v));
            Optional.ofNullable(retries).ifPresent(v -> route.put("retries", v));
            if (stripPrefix) {
                route.put("stripPrefix", true);
            }
            if (healthPath != null) {
                ObjectNode check = route.putObject("healthCheck").put("path", healthPath);
                Optional.ofNullable(healthIntervalMs).ifPresent(v -> check.put("intervalMs", v));
            }
            return route;
        }

        /** The current routes with {@code route} in place of the one with its path, or added last. */
        private ArrayNode with(Models.RouteTable current, ObjectNode route) {
            ArrayNode routes = AdminClient.JSON.createArrayNode();
            boolean replaced = false;
            for (Models.Route r : current.routes()) {
                boolean same = r.path().equals(path);
                routes.add(same ? route : AdminClient.JSON.valueToTree(r));
                replaced |= same;
            }
            if (!replaced) {
                routes.add(route);
            }
            return routes;
        }
    }

    @Command(name = "remove", description = "Remove the route with this path; the other routes stay.")
    static final class Remove extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "the route's path, as listed")
        String path;

        @Override
        int runWithCode(AdminClient client, boolean json) {
            Optional<Models.RouteTable> table = edit(client, tenant, current -> {
                List<Models.Route> rest = current.routes().stream().filter(r -> !r.path().equals(path)).toList();
                return rest.size() == current.routes().size() ? Optional.empty()
                        : Optional.of(client.putRoutes(tenant, rest, OptionalInt.of(current.version())));
            });
            if (table.isEmpty()) {
                options.spec.commandLine().getErr().println("error: tenant " + tenant + " has no route with path '" + path
                        + "' (see 'tenantry route list " + tenant + "')");
                options.spec.commandLine().getErr().flush();
                return ExitCodes.NOT_FOUND;
            }
            show(json, table.get(), () -> out().println("removed route " + path));
            return ExitCodes.OK;
        }
    }

    @Command(name = "put", description = "Replace all of a tenant's routes with those in a JSON file.")
    static final class Put extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Option(names = {"-f", "--file"}, required = true, paramLabel = "<file>",
                description = "JSON: {\"routes\": [...]} (e.g. saved from 'route list -o json') or a bare array; - reads standard input")
        String file;
        @Option(names = "--if-version", description = "only if the routes are still at this version")
        Integer ifVersion;

        @Override
        void run(AdminClient client, boolean json) {
            Models.RouteTable table = client.putRoutes(tenant, routes(),
                    ifVersion == null ? OptionalInt.empty() : OptionalInt.of(ifVersion));
            show(json, table, () -> table(table.routes()).print(out()));
        }

        private JsonNode routes() {
            JsonNode content;
            try {
                content = AdminClient.JSON.readTree(file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file)));
            } catch (JsonProcessingException e) {
                String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                        + e.getLocation().getColumnNr() + ")";
                throw new ParameterException(options.spec.commandLine(), file + " is not valid JSON: " + e.getOriginalMessage() + at);
            } catch (IOException e) {
                throw new ParameterException(options.spec.commandLine(), "cannot read " + file + ": "
                        + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
            }
            JsonNode routes = content.isObject() ? content.path("routes") : content;
            if (!routes.isArray()) {
                throw new ParameterException(options.spec.commandLine(),
                        file + " must hold {\"routes\": [...]} or an array of routes");
            }
            return routes;
        }
    }
}
