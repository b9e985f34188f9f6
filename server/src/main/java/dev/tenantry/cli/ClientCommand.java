package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** A command that calls the API: resolves the client, then does one thing and prints it. */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Override
    public final Integer call() {
        boolean json = options.json();
        run(options.client(), json);
        return ExitCodes.OK;
    }

    abstract void run(AdminClient client, boolean json);

    PrintWriter out() {
        return options.spec.commandLine().getOut();
    }

    /** Prints {@code value} as JSON, or lets {@code table} print it for people. */
    void show(boolean json, Object value, Runnable table) {
        if (json) {
            options.printJson(value);
        } else {
            table.run();
            out().flush();
        }
    }
}
