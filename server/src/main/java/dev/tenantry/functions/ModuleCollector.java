package dev.tenantry.functions;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes modules nothing uses any more: a module that no version of a function of a live tenant
 * names, and that no deploy has named for a while (a day unless asked otherwise), leaves the catalog, its blob leaves
 * the blob store (unless another module has the same content), and its unpacked copy leaves each
 * node's module store. Old versions of live functions keep their modules, so a rollback always
 * finds them. The catalog and blob part runs as a recurring job on one scheduler node; every
 * worker node sweeps its own module store.
 */
public final class ModuleCollector {
    private static final Logger LOG = LoggerFactory.getLogger(ModuleCollector.class);
    /** The recurring db-scheduler task's name. */
    public static final String TASK = "collect-modules";
    /** How long a module that no function names stays, unless asked otherwise. */
    public static final Duration DEFAULT_UNUSED_FOR = Duration.ofDays(1);
    /**
     * The shortest grace allowed. A deploy stamps its modules in one transaction and records its
     * version in the next: the stamp keeps a collection off a module until the version names it,
     * as long as the grace is longer than that gap.
     */
    public static final Duration MIN_UNUSED_FOR = Duration.ofMinutes(5);
    /** The longest grace asked for. */
    public static final Duration MAX_UNUSED_FOR = Duration.ofDays(3653);
    /** How often the scheduler and each worker node collect. */
    public static final Duration EVERY = Duration.ofHours(1);
    private final ModuleStates states;
    private final ModuleStore store;
    private final Clock clock;

    /** What one collection removed: modules ({@code name@version}), blobs, and this node's unpacked copies. */
    public record Collected(List<String> modules, int blobs, List<String> unpacked) {}

    public ModuleCollector(ModuleStates states, ModuleStore store, Clock clock) {
        this.states = states;
        this.store = store;
        this.clock = clock;
    }

    /** The recurring job for the scheduler role: a collection with the default grace every {@link #EVERY}. */
    public RecurringTask<Void> task() {
        return Tasks.recurring(TASK, FixedDelay.of(EVERY)).execute((instance, context) -> collect(DEFAULT_UNUSED_FOR));
    }

    /** Removes the modules unused for {@code unusedFor} from the catalog, the blob store and this node. */
    public Collected collect(Duration unusedFor) {
        List<String> modules = new ArrayList<>();
        int blobs = 0;
        for (ModuleStates.Removed r : states.collect(clock.instant().minus(unusedFor))) {
            modules.add(r.name() + "@" + r.version());
            if (r.blob().isPresent()) {
                try {
                    store.deleteBlob(r.blob().get());
                    blobs++;
                } catch (IOException e) {
                    LOG.warn("module {}@{}: cannot remove its blob: {}", r.name(), r.version(), e.toString());
                }
            }
        }
        List<String> unpacked = sweep();
        if (!modules.isEmpty() || !unpacked.isEmpty()) {
            LOG.atInfo().addKeyValue("modules", modules).addKeyValue("blobs", blobs).addKeyValue("unpacked", unpacked)
                    .log("unused modules removed");
        }
        return new Collected(modules, blobs, unpacked);
    }

    /** Removes this node's unpacked copies of modules the catalog no longer lists. */
    public List<String> sweep() {
        try {
            return store.sweepLocal(states.knownDirectories());
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot sweep the module store: {}", e.toString());
            return List.of();
        }
    }
}
