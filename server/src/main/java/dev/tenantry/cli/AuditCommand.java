package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tenantry audit}: the audit trail, newest first. */
@Command(name = "audit", description = "Show the audit trail, newest first.", mixinStandardHelpOptions = true)
final class AuditCommand extends ClientCommand {
    @Option(names = "--tenant", description = "only this tenant (id or slug)")
    String tenant;
    @Option(names = "--actor", description = "only this actor")
    String actor;
    @Option(names = "--action", description = "only this action, e.g. tenant.create")
    String action;
    @Option(names = "--since", description = "from this time on (RFC 3339)")
    String since;
    @Option(names = "--until", description = "before this time (RFC 3339)")
    String until;
    @Option(names = "--limit", description = "how many (1-500, default ${DEFAULT-VALUE})", defaultValue = "50")
    int limit;

    @Override
    void run(AdminClient client, boolean json) {
        Models.Page<Models.AuditEntry> page = client.audit(new AdminClient.AuditQuery(Optional.ofNullable(tenant),
                Optional.ofNullable(actor), Optional.ofNullable(action), Optional.ofNullable(since),
                Optional.ofNullable(until), Optional.empty(), limit));
        show(json, page.items(), () -> {
            Table table = new Table("TIME", "ACTOR", "ACTION", "TARGET", "REQUEST", "CHANGES");
            page.items().forEach(e -> table.row(e.at(), e.actor(), e.action(), e.targetType() + "/" + e.targetId(),
                    e.requestId(), summary(e)));
            table.print(out());
        });
    }

    private static String summary(Models.AuditEntry e) {
        String text;
        try {
            text = AdminClient.JSON.writeValueAsString(e.changes());
        } catch (Exception ex) {
            text = String.valueOf(e.changes());
        }
        return text.length() > 100 ? text.substring(0, 97) + "..." : text;
    }
}
