package dev.tenantry.platform;

import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tenantry serve --roles ...}: one production node with the given roles. */
@Command(name = "serve", description = "Run one node with the given roles (for production; does not write a client config).",
        mixinStandardHelpOptions = true)
final class ServeCommand implements Callable<Integer> {
    @Mixin
    NodeOptions options;
    @Option(names = "--roles", description = "comma-separated: api, scheduler, gateway, worker (default: all)")
    String roles;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        return UpCommand.Serving.run(spec, options.resolve(System.getenv(), Optional.ofNullable(roles)), false);
    }
}
