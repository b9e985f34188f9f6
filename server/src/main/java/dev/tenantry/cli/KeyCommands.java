package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code tenantry key create | list | revoke}: a tenant's API keys. */
@Command(name = "key", description = "Manage a tenant's API keys.", mixinStandardHelpOptions = true,
        subcommands = {KeyCommands.Create.class, KeyCommands.ListKeys.class, KeyCommands.Revoke.class})
final class KeyCommands {

    static Table table(List<Models.ApiKey> keys) {
        Table table = new Table("ID", "NAME", "PREFIX", "SCOPES", "EXPIRES", "REVOKED", "CREATED");
        keys.forEach(k -> table.row(k.id(), k.name(), k.prefix(), String.join(",", k.scopes()),
                k.expiresAt().map(Instant::toString).orElse("-"), k.revokedAt().map(Instant::toString).orElse("-"),
                k.createdAt()));
        return table;
    }

    @Command(name = "create", description = "Issue an API key; its secret is printed once, never again.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Option(names = "--name", required = true, description = "what the key is for")
        String name;
        @Option(names = "--scope", description = "scope (repeatable)")
        List<String> scopes = new ArrayList<>();
        @Option(names = "--expires-in", description = "lifetime such as 30d, 12h or 90m")
        String expiresIn;
        @Option(names = "--expires-at", description = "expiry time, RFC 3339 (e.g. 2030-01-31T00:00:00Z)")
        String expiresAt;

        @Override
        void run(AdminClient client, boolean json) {
            Models.ApiKey key = client.createKey(tenant, name, scopes, expiry());
            show(json, key, () -> {
                table(List.of(key)).print(out());
                out().println();
                out().println("secret (shown once, store it now): " + key.secret().orElse("?"));
            });
        }

        private Optional<Instant> expiry() {
            if (expiresIn != null && expiresAt != null) {
                throw new ParameterException(options.spec.commandLine(), "give --expires-in or --expires-at, not both");
            }
            if (expiresAt != null) {
                try {
                    return Optional.of(Instant.parse(expiresAt));
                } catch (DateTimeParseException e) {
                    throw new ParameterException(options.spec.commandLine(), "--expires-at must be RFC 3339, e.g. 2030-01-31T00:00:00Z");
                }
            }
            return Optional.ofNullable(expiresIn).map(this::duration).map(d -> Instant.now().plus(d));
        }

        private Duration duration(String text) {
            if (text.matches("[1-9][0-9]{0,6}[dhm]")) {
                long n = Long.parseLong(text.substring(0, text.length() - 1));
                return switch (text.charAt(text.length() - 1)) {
                    case 'd' -> Duration.ofDays(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofMinutes(n);
                };
            }
            throw new ParameterException(options.spec.commandLine(), "--expires-in must look like 30d, 12h or 90m, not '" + text + "'");
        }
    }

    @Command(name = "list", description = "List a tenant's keys (never their secrets).")
    static final class ListKeys extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;

        @Override
        void run(AdminClient client, boolean json) {
            List<Models.ApiKey> keys = client.keys(tenant);
            show(json, keys, () -> table(keys).print(out()));
        }
    }

    @Command(name = "revoke", description = "Revoke a key at once.")
    static final class Revoke extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;
        @Parameters(index = "1", description = "key id")
        String keyId;

        @Override
        void run(AdminClient client, boolean json) {
            Models.ApiKey key = client.revokeKey(tenant, keyId);
            show(json, key, () -> out().println("revoked key " + key.id() + " (" + key.name() + ")"));
        }
    }
}
