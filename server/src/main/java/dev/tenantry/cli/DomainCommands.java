package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tenantry domain add | list | remove}: a tenant's hostnames. */
@Command(name = "domain", description = "Manage a tenant's hostnames.", mixinStandardHelpOptions = true,
        subcommands = {DomainCommands.Add.class, DomainCommands.ListDomains.class, DomainCommands.Remove.class})
final class DomainCommands {

    @Command(name = "add", description = "Add a custom hostname to a tenant.")
    static final class Add extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "hostname, e.g. app.acme.com")
        String hostname;

        @Override
        void run(AdminClient client, boolean json) {
            Models.Domain d = client.addDomain(tenant, hostname);
            show(json, d, () -> out().println("added " + d.hostname() + " to tenant " + d.tenantId()));
        }
    }

    @Command(name = "list", description = "List a tenant's hostnames.")
    static final class ListDomains extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;

        @Override
        void run(AdminClient client, boolean json) {
            List<Models.Domain> domains = client.domains(tenant);
            show(json, domains, () -> {
                Table table = new Table("HOSTNAME", "KIND", "CREATED");
                domains.forEach(d -> table.row(d.hostname(), d.kind(), d.createdAt()));
                table.print(out());
            });
        }
    }

    @Command(name = "remove", description = "Remove a custom hostname.")
    static final class Remove extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "hostname")
        String hostname;

        @Override
        void run(AdminClient client, boolean json) {
            client.removeDomain(tenant, hostname);
            show(json, Map.of("removed", hostname), () -> out().println("removed " + hostname));
        }
    }
}
