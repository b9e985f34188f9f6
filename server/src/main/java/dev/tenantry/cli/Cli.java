package dev.tenantry.cli;

import dev.tenantry.sdk.ApiError;
import dev.tenantry.sdk.TenantryClientException;
import java.util.List;
import picocli.CommandLine;

/** The client commands, and how their failures become one line and an exit code. */
public final class Cli {
    private Cli() {}

    /** The client subcommands to add under {@code tenantry}. */
    public static List<Object> commands() {
        return List.of(new TenantCommands(), new KeyCommands(), new DomainCommands(), new PlanCommands(),
                new AuditCommand(), new TokenCommands(), new OperationCommands(), new RouteCommands(), new ContextCommands(), new FunctionCommands());
    }

    /** Makes API failures print as one clear line and exit with a documented code. */
    public static CommandLine configure(CommandLine line) {
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof TenantryClientException client) {
                String text = client instanceof ApiError api ? api.oneLine() : client.getMessage();
                cmd.getErr().println("error: " + text);
                cmd.getErr().flush();
                return ExitCodes.of(client);
            }
            throw e;
        });
        line.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println("error: " + e.getMessage());
            e.getCommandLine().getErr().println("(see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            e.getCommandLine().getErr().flush();
            return ExitCodes.USAGE;
        });
        return line;
    }
}
