package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tenantry tenant create | get | list | update | suspend | resume | delete}. */
@Command(name = "tenant", description = "Manage tenants.", mixinStandardHelpOptions = true,
        subcommands = {TenantCommands.Create.class, TenantCommands.Get.class, TenantCommands.ListTenants.class,
                TenantCommands.Update.class, TenantCommands.Suspend.class, TenantCommands.Resume.class,
                TenantCommands.Delete.class, TenantCommands.Credentials.class, TenantCommands.Rotate.class})
final class TenantCommands {

    static void print(ClientCommand command, boolean json, Models.Tenant t) {
        command.show(json, t, () -> {
            var out = command.out();
            out.println("id:        " + t.id());
            out.println("slug:      " + t.slug());
            out.println("name:      " + t.displayName());
            out.println("plan:      " + t.plan() + " (" + t.tier() + ")");
            out.println("region:    " + t.region());
            out.println("status:    " + t.status() + t.statusReason().map(r -> " (" + r + ")").orElse(""));
            out.println("labels:    " + Labels.format(t.labels()));
            out.println("created:   " + t.createdAt());
            out.println("updated:   " + t.updatedAt() + " (version " + t.version() + ")");
        });
    }

    @Command(name = "create", description = "Create a tenant; its hostname is <slug>.<base-domain>.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", description = "slug: a DNS label, e.g. acme")
        String slug;
        @Option(names = "--name", description = "display name (default: the slug)")
        String name;
        @Option(names = "--plan", description = "plan (default: the server's default plan)")
        String plan;
        @Option(names = "--tier", description = "pool or silo (default: the plan's tier)")
        String tier;
        @Option(names = "--region", description = "region (default: the server's region)")
        String region;
        @Option(names = "--label", description = "label key=value (repeatable)")
        List<String> labels = new ArrayList<>();
        @Option(names = "--idempotency-key", description = "retrying with the same key creates the tenant once")
        String idempotencyKey;
        @Option(names = "--wait", description = "follow provisioning to the end with a progress line; non-zero exit if it fails")
        boolean await;

        @Override
        int runWithCode(AdminClient client, boolean json) {
            Models.Tenant t = client.createTenant(new AdminClient.NewTenant(slug, Optional.ofNullable(name),
                    Optional.ofNullable(plan), Optional.ofNullable(tier), Optional.ofNullable(region),
                    Labels.parse(options.spec, labels)), Optional.ofNullable(idempotencyKey));
            return changed(client, json, t, await);
        }
    }

    @Command(name = "get", description = "Show a tenant by id or slug.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String ref;

        @Override
        void run(AdminClient client, boolean json) {
            print(this, json, client.tenant(ref));
        }
    }

    @Command(name = "list", description = "List tenants (oldest first).")
    static final class ListTenants extends ClientCommand {
        @Option(names = "--status", description = "only tenants in this status (deleted ones only when asked)")
        String status;
        @Option(names = "--plan", description = "only tenants on this plan")
        String plan;
        @Option(names = "--tier", description = "only tenants in this tier")
        String tier;
        @Option(names = "--label", description = "only tenants with label key=value (repeatable)")
        List<String> labels = new ArrayList<>();
        @Option(names = "--prefix", description = "only slugs starting with this")
        String prefix;
        @Option(names = "--limit", description = "page size (1-500, default ${DEFAULT-VALUE})", defaultValue = "50")
        int limit;
        @Option(names = "--all", description = "follow every page")
        boolean all;

        @Override
        void run(AdminClient client, boolean json) {
            AdminClient.TenantQuery query = new AdminClient.TenantQuery(Optional.ofNullable(status),
                    Optional.ofNullable(plan), Optional.ofNullable(tier), Labels.parse(options.spec, labels),
                    Optional.ofNullable(prefix), Optional.empty(), limit);
            List<Models.Tenant> tenants = new ArrayList<>();
            Models.Page<Models.Tenant> page = client.tenants(query);
            tenants.addAll(page.items());
            while (all && page.nextCursor().isPresent()) {
                page = client.tenants(query.after(page.nextCursor().get()));
                tenants.addAll(page.items());
            }
            Optional<String> more = page.nextCursor();
            show(json, tenants, () -> {
                Table table = new Table("ID", "SLUG", "NAME", "PLAN", "TIER", "REGION", "STATUS", "CREATED");
                tenants.forEach(t -> table.row(t.id(), t.slug(), t.displayName(), t.plan(), t.tier(), t.region(),
                        t.status(), t.createdAt()));
                table.print(out());
                more.ifPresent(c -> out().println("(more: use --all, or a larger --limit)"));
            });
        }
    }

    @Command(name = "update", description = "Change a tenant's name, plan or labels.")
    static final class Update extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String ref;
        @Option(names = "--name", description = "new display name")
        String name;
        @Option(names = "--plan", description = "new plan (same tier)")
        String plan;
        @Option(names = "--label", description = "set label key=value (repeatable)")
        List<String> setLabels = new ArrayList<>();
        @Option(names = "--remove-label", description = "remove label key (repeatable)")
        List<String> removeLabels = new ArrayList<>();
        @Option(names = "--if-version", description = "only if the tenant is still at this version")
        Integer ifVersion;
        @Option(names = "--wait", description = "follow the operation to the end")
        boolean await;

        @Override
        int runWithCode(AdminClient client, boolean json) {
            Map<String, Object> changes = new LinkedHashMap<>();
            if (name != null) {
                changes.put("displayName", name);
            }
            if (plan != null) {
                changes.put("plan", plan);
            }
            OptionalInt expected = ifVersion == null ? OptionalInt.empty() : OptionalInt.of(ifVersion);
            if (!setLabels.isEmpty() || !removeLabels.isEmpty()) {
                // Labels replace as a whole: merge onto the current set, guarded by its version.
                Models.Tenant current = client.tenant(ref);
                Map<String, String> labels = new LinkedHashMap<>(current.labels());
                labels.putAll(Labels.parse(options.spec, setLabels));
                removeLabels.forEach(labels::remove);
                changes.put("labels", labels);
                expected = expected.isPresent() ? expected : OptionalInt.of(current.version());
            }
            return changed(client, json, client.updateTenant(ref, changes, expected), await);
        }
    }

    /** A change to one tenant that answers with its operation: {@code <ref> [--wait]}. */
    abstract static class TenantChange extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String ref;
        @Option(names = "--wait", description = "follow the operation to the end; non-zero exit if it fails")
        boolean await;

        abstract Models.Tenant send(AdminClient client);

        @Override
        final int runWithCode(AdminClient client, boolean json) {
            return changed(client, json, send(client), await);
        }
    }

    @Command(name = "suspend", description = "Suspend an active tenant (its traffic is refused).")
    static final class Suspend extends TenantChange {
        @Option(names = "--reason", description = "why (kept on the tenant and in the audit log)")
        String reason;

        @Override
        Models.Tenant send(AdminClient client) {
            return client.suspendTenant(ref, Optional.ofNullable(reason));
        }
    }

    @Command(name = "resume", description = "Resume a suspended tenant.")
    static final class Resume extends TenantChange {
        @Override
        Models.Tenant send(AdminClient client) {
            return client.resumeTenant(ref);
        }
    }

    @Command(name = "delete", description = "Delete a tenant: frees its slug and hostnames, revokes its keys; the audit trail stays.")
    static final class Delete extends TenantChange {
        @Override
        Models.Tenant send(AdminClient client) {
            return client.deleteTenant(ref);
        }
    }

    @Command(name = "credentials", description = "Print the tenant's connection strings and passwords (admin token needed).")
    static final class Credentials extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String ref;

        @Override
        void run(AdminClient client, boolean json) {
            var creds = client.credentials(ref);
            show(json, creds, () -> creds.path("resources").fields().forEachRemaining(e -> {
                out().println(e.getKey() + ":");
                e.getValue().fields().forEachRemaining(f -> out().println("  " + f.getKey() + ": " + f.getValue().asText()));
            }));
        }
    }

    @Command(name = "rotate-credentials", description = "Give the tenant's database and Redis users new passwords.")
    static final class Rotate extends TenantChange {
        @Override
        Models.Tenant send(AdminClient client) {
            return client.rotateCredentials(ref);
        }
    }
}
