package dev.tenantry.catalog;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Plans as data: the seeded free / standard / premium (pool) and enterprise (silo), and any added. */
public interface Plans {

    List<Plan> list();

    /** The plan of this name, or {@link CatalogException.NotFound}. */
    Plan get(String name);

    /** Adds a plan; every limit is required. */
    Plan create(Spec spec, Actor actor);

    /** Changes limits (never name or tier); with {@code expectedVersion}, only if it is current. */
    Plan update(String name, Patch patch, OptionalInt expectedVersion, Actor actor);

    /** A new plan's name, tier and limits; a silo plan may name its tenants' database server. */
    record Spec(String name, String tier, Limits limits, Optional<String> databaseServer) {}

    /** Every limit of a plan. */
    record Limits(int ratePerSecond, int burst, long dailyQuota, int maxConcurrency, int memoryMb,
                  int timeoutMs, boolean egressAllowed) {}

    /** The limits to change. */
    record Patch(Optional<Integer> ratePerSecond, Optional<Integer> burst, Optional<Long> dailyQuota,
                 Optional<Integer> maxConcurrency, Optional<Integer> memoryMb, Optional<Integer> timeoutMs,
                 Optional<Boolean> egressAllowed, Optional<String> databaseServer) {}
}
