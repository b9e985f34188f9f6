package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tenantry op get | list | wait | retry}: the durable operations behind every tenant change. */
@Command(name = "op", description = "Follow and retry operations (provisioning, suspend, delete, ...).",
        subcommands = {OperationCommands.Get.class, OperationCommands.ListOps.class, OperationCommands.Wait.class,
                OperationCommands.Retry.class})
final class OperationCommands {

    static void print(ClientCommand command, boolean json, Models.Operation op) {
        command.show(json, op, () -> {
            var out = command.out();
            out.println("operation: " + op.id() + "  (" + op.kind() + ", tenant " + op.tenantId() + ")");
            out.println("state:     " + op.state() + op.durationMs().map(ms -> " in " + ms + " ms").orElse(""));
            op.error().ifPresent(e -> out.println("error:     " + e));
            Table table = new Table("#", "STEP", "STATE", "ATTEMPTS", "DURATION", "LAST ERROR");
            op.steps().forEach(s -> table.row(s.position() + 1, s.name(), s.state(), s.attempts(),
                    s.durationMs().map(ms -> ms + " ms").orElse("-"), s.lastError().orElse("")));
            table.print(out);
        });
    }

    @Command(name = "get", description = "Show an operation's steps: state, attempts, durations, errors.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", description = "operation id")
        String id;

        @Override
        void run(AdminClient client, boolean json) {
            print(this, json, client.operation(id));
        }
    }

    @Command(name = "list", description = "List a tenant's operations, newest first.")
    static final class ListOps extends ClientCommand {
        @Parameters(index = "0", description = "tenant id or slug")
        String tenant;

        @Override
        void run(AdminClient client, boolean json) {
            List<Models.Operation> ops = client.operations(tenant);
            show(json, ops, () -> {
                Table table = new Table("ID", "KIND", "STATE", "CREATED", "DURATION", "ERROR");
                ops.forEach(o -> table.row(o.id(), o.kind(), o.state(), o.createdAt(),
                        o.durationMs().map(ms -> ms + " ms").orElse("-"), o.error().orElse("")));
                table.print(out());
            });
        }
    }

    @Command(name = "wait", description = "Wait for an operation to finish, with a live progress line; exits non-zero if it failed.")
    static final class Wait extends ClientCommand {
        @Parameters(index = "0", description = "operation id")
        String id;
        @Option(names = "--timeout", description = "give up after this many seconds (default ${DEFAULT-VALUE})", defaultValue = "300")
        int timeout;

        @Override
        int runWithCode(AdminClient client, boolean json) {
            int code = Progress.follow(client, id, Duration.ofSeconds(timeout), options.spec.commandLine().getErr());
            print(this, json, client.operation(id));
            return code;
        }
    }

    @Command(name = "retry", description = "Resume a failed operation from its failed step.")
    static final class Retry extends ClientCommand {
        @Parameters(index = "0", description = "operation id")
        String id;
        @Option(names = "--wait", description = "follow it to the end")
        boolean await;

        @Override
        int runWithCode(AdminClient client, boolean json) {
            Models.Operation op = client.retryOperation(id);
            if (!await) {
                print(this, json, op);
                return ExitCodes.OK;
            }
            int code = Progress.follow(client, id, Duration.ofSeconds(300), options.spec.commandLine().getErr());
            print(this, json, client.operation(id));
            return code;
        }
    }
}
