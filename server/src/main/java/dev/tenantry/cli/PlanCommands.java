package dev.tenantry.cli;

import dev.tenantry.sdk.AdminClient;
import dev.tenantry.sdk.Models;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code tenantry plan list | update}. */
@Command(name = "plan", description = "Show and change plans.", mixinStandardHelpOptions = true,
        subcommands = {PlanCommands.ListPlans.class, PlanCommands.Update.class})
final class PlanCommands {

    static Table table(List<Models.Plan> plans) {
        Table table = new Table("NAME", "TIER", "RATE/S", "BURST", "DAILY QUOTA", "CONCURRENCY", "MEMORY MB", "TIMEOUT MS", "EGRESS");
        plans.forEach(p -> table.row(p.name(), p.tier(), p.ratePerSecond(), p.burst(), p.dailyQuota(),
                p.maxConcurrency(), p.memoryMb(), p.timeoutMs(), p.egressAllowed()));
        return table;
    }

    @Command(name = "list", description = "List plans and their limits.")
    static final class ListPlans extends ClientCommand {
        @Override
        void run(AdminClient client, boolean json) {
            List<Models.Plan> plans = client.plans();
            show(json, plans, () -> table(plans).print(out()));
        }
    }

    @Command(name = "update", description = "Change a plan's limits (applies to every tenant on it).")
    static final class Update extends ClientCommand {
        @Parameters(index = "0", description = "plan name")
        String name;
        @Option(names = "--rate", description = "requests per second")
        Integer rate;
        @Option(names = "--burst", description = "token-bucket burst")
        Integer burst;
        @Option(names = "--daily-quota", description = "requests per day")
        Long dailyQuota;
        @Option(names = "--max-concurrency", description = "concurrent requests")
        Integer maxConcurrency;
        @Option(names = "--memory-mb", description = "memory per worker, MiB")
        Integer memoryMb;
        @Option(names = "--timeout-ms", description = "request timeout, ms")
        Integer timeoutMs;
        @Option(names = "--egress", arity = "1", description = "true or false: may tenant code reach the network")
        Boolean egress;

        @Override
        void run(AdminClient client, boolean json) {
            Map<String, Object> changes = new LinkedHashMap<>();
            put(changes, "ratePerSecond", rate);
            put(changes, "burst", burst);
            put(changes, "dailyQuota", dailyQuota);
            put(changes, "maxConcurrency", maxConcurrency);
            put(changes, "memoryMb", memoryMb);
            put(changes, "timeoutMs", timeoutMs);
            put(changes, "egressAllowed", egress);
            if (changes.isEmpty()) {
                throw new ParameterException(options.spec.commandLine(), "nothing to change: give at least one limit option");
            }
            Models.Plan plan = client.updatePlan(name, changes);
            show(json, plan, () -> table(List.of(plan)).print(out()));
        }

        private static void put(Map<String, Object> changes, String field, Object value) {
            if (value != null) {
                changes.put(field, value);
            }
        }
    }
}
