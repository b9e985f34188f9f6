package dev.tenantry.functions;

import dev.tenantry.sdk.context.TenantContext;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares function versions that just became active (read from the catalog, secrets opened,
 * modules unpacked) on a background thread. Bounded: when many change at once (a resync), the
 * overflow is simply prepared on first use.
 */
final class Prefetcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Prefetcher.class);
    private final CodeSource code;
    private final BlockingQueue<String[]> queue = new ArrayBlockingQueue<>(1_000);
    private final Thread thread;

    Prefetcher(CodeSource code) {
        this.code = code;
        this.thread = Thread.ofVirtual().name("function-prefetch").start(this::run);
    }

    void activated(TenantContext before, TenantContext after) {
        if (after == null || after.functions().isEmpty()) {
            return;
        }
        after.functions().forEach((name, version) -> {
            Integer previous = before == null ? null : before.functions().get(name);
            if (!version.equals(previous)) {
                queue.offer(new String[] {after.id(), name, Integer.toString(version)});
            }
        });
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                String[] next = queue.take();
                code.prepare(next[0], next[1], Integer.parseInt(next[2]));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) { // a version deleted meanwhile, a module not yet here: loaded on first use
                LOG.debug("prefetch skipped: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
