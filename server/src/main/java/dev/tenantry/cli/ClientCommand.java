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
        return runWithCode(options.client(), json);
    }

    /** Commands whose exit code depends on the outcome (e.g. waiting for an operation) override this. */
    int runWithCode(AdminClient client, boolean json) {
        run(client, json);
        return ExitCodes.OK;
    }

    void run(AdminClient client, boolean json) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " overrides runWithCode");
    }

    /**
     * Prints the changed tenant and, with {@code --wait}, follows its operation to the end; the
     * exit code says whether it succeeded.
     */
    int changed(AdminClient client, boolean json, dev.tenantry.sdk.Models.Tenant tenant, boolean await) {
        if (!await || tenant.operation().isEmpty()) {
            TenantCommands.print(this, json, tenant);
            tenant.operation().filter(op -> !json).ifPresent(op -> out().println(
                    "operation: " + op.id() + " (" + op.kind() + ", " + op.state() + "); follow it with 'tenantry op wait " + op.id() + "'"));
            return ExitCodes.OK;
        }
        int code = Progress.follow(client, tenant.operation().get().id(), java.time.Duration.ofSeconds(300),
                options.spec.commandLine().getErr());
        TenantCommands.print(this, json, client.tenant(tenant.id()));
        return code;
    }

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
