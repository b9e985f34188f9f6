package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tenantry token create | list | revoke}: operators' admin tokens. */
@Command(name = "token", description = "Manage admin tokens for the API.", mixinStandardHelpOptions = true,
        subcommands = {TokenCommands.Create.class, TokenCommands.ListTokens.class, TokenCommands.Revoke.class})
final class TokenCommands {

    static Table table(List<Models.AdminToken> tokens) {
        Table table = new Table("ID", "NAME", "PREFIX", "SCOPES", "CREATED BY", "CREATED", "REVOKED");
        tokens.forEach(t -> table.row(t.id(), t.name(), t.prefix(), String.join(",", t.scopes()), t.createdBy(),
                t.createdAt(), t.revokedAt().map(Instant::toString).orElse("-")));
        return table;
    }

    @Command(name = "create", description = "Issue an admin token; its secret is printed once, never again.")
    static final class Create extends ClientCommand {
        @Option(names = "--name", required = true, description = "who or what uses it, e.g. ci")
        String name;
        @Option(names = "--scope", description = "read or admin (repeatable; default admin)")
        List<String> scopes = new ArrayList<>();

        @Override
        void run(AdminClient client, boolean json) {
            Models.AdminToken token = client.createToken(name, scopes.isEmpty() ? List.of("admin") : scopes);
            show(json, token, () -> {
                table(List.of(token)).print(out());
                out().println();
                out().println("secret (shown once, store it now): " + token.secret().orElse("?"));
            });
        }
    }

    @Command(name = "list", description = "List admin tokens (never their secrets).")
    static final class ListTokens extends ClientCommand {
        @Override
        void run(AdminClient client, boolean json) {
            List<Models.AdminToken> tokens = client.tokens();
            show(json, tokens, () -> table(tokens).print(out()));
        }
    }

    @Command(name = "revoke", description = "Revoke an admin token at once.")
    static final class Revoke extends ClientCommand {
        @Parameters(index = "0", description = "token id")
        String id;

        @Override
        void run(AdminClient client, boolean json) {
            Models.AdminToken token = client.revokeToken(id);
            show(json, token, () -> out().println("revoked token " + token.id() + " (" + token.name() + ")"));
        }
    }
}
