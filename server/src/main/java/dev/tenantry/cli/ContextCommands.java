package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import dev.tenantry.sdk.context.PlanLimits;
import dev.tenantry.sdk.context.Route;
import dev.tenantry.sdk.context.TenantContext;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code tenantry context get | status | resync | header-key}: tenant contexts as this node serves them to services. */
@Command(name = "context", description = "Show tenant contexts as services and the gateway see them.",
        mixinStandardHelpOptions = true,
        subcommands = {ContextCommands.Get.class, ContextCommands.Status.class, ContextCommands.Resync.class,
                ContextCommands.HeaderKey.class})
final class ContextCommands {

    static void print(PrintWriter out, TenantContext c) {
        out.println("id:        " + c.id());
        out.println("slug:      " + c.slug());
        out.println("name:      " + c.name());
        out.println("status:    " + c.status() + (c.statusReason() == null ? "" : " (" + c.statusReason() + ")"));
        out.println("plan:      " + c.plan() + " (" + c.tier() + ")");
        out.println("limits:    " + (c.limits() == null ? "-" : limits(c.limits())));
        out.println("region:    " + c.region());
        out.println("labels:    " + Labels.format(c.labels()));
        lines(out, "hostnames: ", c.hostnames());
        lines(out, "api keys:  ", c.apiKeys().stream().map(ContextCommands::key).toList());
        lines(out, "bindings:  ", c.bindings().stream().map(b -> b.kind() + " " + b.tier() + " on " + b.server() + ": "
                + b.name() + " (" + b.state() + ")").toList());
        lines(out, "routes:    ", c.routes().stream().map(ContextCommands::route).toList());
        out.println("version:   " + c.version() + " (routes version " + c.routesVersion() + ")");
        out.flush();
    }

    static String limits(PlanLimits l) {
        return l.ratePerSecond() + "/s (burst " + l.burst() + "), " + l.dailyQuota() + "/day, " + l.maxConcurrency()
                + " concurrent, " + l.memoryMb() + " MB, " + l.timeoutMs() + " ms, egress "
                + (l.egressAllowed() ? "allowed" : "denied");
    }

    private static String key(TenantContext.ApiKey k) {
        return k.prefix() + (k.scopes() == null || k.scopes().isEmpty() ? "" : " [" + String.join(",", k.scopes()) + "]")
                + (k.expiresAt() == null ? "" : " expires " + k.expiresAt());
    }

    private static String route(Route r) {
        return r.path() + " -> " + r.upstreams().stream().map(Route.Upstream::url).collect(Collectors.joining(", "))
                + " (" + r.auth() + ", " + r.balance() + ")";
    }

    /** The first item after the label, each further one on a line of its own under it; "-" for none. */
    private static void lines(PrintWriter out, String label, List<String> items) {
        String indent = " ".repeat(label.length());
        out.println(label + (items.isEmpty() ? "-" : items.getFirst()));
        items.stream().skip(1).forEach(item -> out.println(indent + item));
    }

    @Command(name = "get", description = "Show the context of the live tenant serving a hostname (or with an id or slug).")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", arity = "0..1", description = "hostname, e.g. acme.localhost")
        String host;
        @Option(names = "--id", description = "find the tenant by id instead")
        String id;
        @Option(names = "--slug", description = "find the tenant by slug instead")
        String slug;

        @Override
        void run(AdminClient client, boolean json) {
            long given = Stream.of(host, id, slug).filter(Objects::nonNull).count();
            if (given != 1) {
                throw new ParameterException(options.spec.commandLine(), "give a hostname, --id or --slug (one of them)");
            }
            TenantContext context = host != null ? client.contextByHost(host)
                    : id != null ? client.contextById(id) : client.contextBySlug(slug);
            show(json, context, () -> print(out(), context));
        }
    }

    @Command(name = "status", description = "Show how current this node's tenant contexts are.")
    static final class Status extends ClientCommand {
        @Override
        void run(AdminClient client, boolean json) {
            Models.ContextStatus s = client.contextStatus();
            show(json, s, () -> {
                out().println("change:     " + s.seq());
                out().println("tenants:    " + s.tenants());
                out().println("connected:  " + (s.connected() ? "yes (following the change feed)" : "no"));
                out().println("snapshots:  " + s.snapshots());
                out().println("reconnects: " + s.reconnects());
                out().println("last error: " + s.lastError().orElse("-"));
            });
        }
    }

    @Command(name = "resync", description = "Rebuild every tenant context from the catalog and re-announce it to every node and service.")
    static final class Resync extends ClientCommand {
        @Override
        void run(AdminClient client, boolean json) {
            long seq = client.contextResync();
            show(json, Map.of("seq", seq), () -> out().println("rebuilt and re-announced at change " + seq));
        }
    }

    @Command(name = "header-key", description = "Print the key the gateway signs tenant headers with (secret).")
    static final class HeaderKey extends ClientCommand {
        @Override
        void run(AdminClient client, boolean json) {
            Models.HeaderKey key = client.headerKey();
            show(json, key, () -> {
                out().println("key:       " + key.key());
                out().println("algorithm: " + key.algorithm());
                out().println("headers:   " + String.join(", ", key.headers()));
                out().println();
                out().println("secret: whoever holds this key can forge tenant headers; give it only to your services");
            });
        }
    }
}
