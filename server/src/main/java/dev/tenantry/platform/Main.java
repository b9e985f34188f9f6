package dev.tenantry.platform;

import dev.tenantry.cli.Cli;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tenantry} entry point: {@code up} and {@code serve} start a node; the rest is the CLI. */
@Command(name = "tenantry", mixinStandardHelpOptions = true, version = Main.VERSION,
        description = "Tenantry: the tenant platform for SaaS teams.%n"
                + "Start with 'tenantry up'; the other commands are clients of its API.",
        subcommands = {UpCommand.class, ServeCommand.class})
public final class Main {
    static final String VERSION = "tenantry 0.1.0";

    public static void main(String[] args) {
        boolean node = args.length > 0 && (args[0].equals("up") || args[0].equals("serve"));
        if (!node) {
            // Client commands print for people; keep library logging out of their output.
            System.setProperty("tenantry.log.level", "WARN");
            System.setProperty("tenantry.log.target", "System.err");
        }
        // A node's start does without the client commands: building their part of the tree by
        // reflection cost a third of a second of every node's start.
        System.exit(commandLine(!node).execute(args));
    }

    /** Every command answers --help and --version, leaves included. */
    private static void addHelp(CommandLine line) {
        line.getCommandSpec().mixinStandardHelpOptions(true);
        line.getCommandSpec().version(VERSION);
        line.getSubcommands().values().forEach(Main::addHelp);
    }

    /** The whole command tree, with the CLI's error handling. */
    public static CommandLine commandLine() {
        return commandLine(true);
    }

    private static CommandLine commandLine(boolean clientCommands) {
        CommandLine line = new CommandLine(new Main());
        if (clientCommands) {
            Cli.commands().forEach(line::addSubcommand);
        }
        addHelp(line);
        Cli.configure(line);
        CommandLine.IExecutionExceptionHandler clientErrors = line.getExecutionExceptionHandler();
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean starting = cmd.getCommand() instanceof UpCommand || cmd.getCommand() instanceof ServeCommand;
            if (e instanceof PlatformException || (starting && e instanceof RuntimeException)) {
                cmd.getErr().println("error: " + e.getMessage());
                cmd.getErr().flush();
                return 1;
            }
            return clientErrors.handleExecutionException(e, cmd, parsed);
        });
        return line;
    }
}
