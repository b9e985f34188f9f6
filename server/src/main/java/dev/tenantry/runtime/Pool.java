package dev.tenantry.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generic pre-warmed workers (Node started, bootstrap loaded, no tenant), kept at the configured
 * sizes (one pool without network, one with egress) and refilled in the background. {@link #take}
 * hands one over at once when the pool has one and starts one directly otherwise (slower;
 * counted), so a burst larger than the pool is served, not refused.
 */
public final class Pool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Pool.class);
    private final Sandbox sandbox;
    private final WorkerOutput output;
    private final ConcurrentLinkedDeque<Worker> isolated = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedDeque<Worker> egress = new ConcurrentLinkedDeque<>();
    private final Semaphore wake = new Semaphore(0);
    private final AtomicLong fromPool = new AtomicLong();
    private final AtomicLong direct = new AtomicLong();
    private final AtomicLong launchFailures = new AtomicLong();
    private final Thread refiller;
    private volatile boolean closed;
    private volatile long lastTakeNanos;
    private volatile Consumer<Worker> onPooled = w -> { };
    /**
     * A refill waits this long after the last take: starting a worker (Node, bootstrap, warm-up)
     * costs a few hundred milliseconds of CPU, which on a small machine would otherwise compete
     * with the very request that took the pooled worker.
     */
    private static final long REFILL_DELAY_NANOS = 250_000_000L;
    /**
     * How often the refiller looks for taken workers. A take from the pool does not wake it: waking
     * a thread costs the taking event loop a context switch in the middle of a cold start.
     */
    private static final long REFILL_POLL_MS = 50;

    private Pool(Sandbox sandbox, WorkerOutput output) {
        this.sandbox = sandbox;
        this.output = output;
        this.refiller = Thread.ofVirtual().name("pool-refill").unstarted(this::refill);
    }

    /** Starts filling the pools in the background; {@code output} gets every worker's log lines. */
    public static Pool start(Sandbox sandbox, WorkerOutput output) {
        Pool pool = new Pool(sandbox, output);
        pool.refiller.start();
        return pool;
    }

    /** What the pool did so far, for metrics and the benchmarks. */
    public record Stats(int idle, int egressIdle, long takenFromPool, long startedDirectly, long launchFailures) {}

    public Stats stats() {
        return new Stats(isolated.size(), egress.size(), fromPool.get(), direct.get(), launchFailures.get());
    }

    /**
     * {@code listener} hears of every worker that enters the pool from now on, and of those idle in
     * it already: its user may prepare for taking it (the invoker opens a connection to it).
     */
    public void onPooled(Consumer<Worker> listener) {
        onPooled = listener;
        isolated.forEach(listener);
        egress.forEach(listener);
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    /**
     * A generic worker assigned to {@code tenantId}: from the pool when one is warm, else started
     * now. The future fails when a directly started worker cannot start.
     *
     * <p>The oldest pooled worker goes first. (Newest first was tried: a Node.js idle for more than
     * some seconds gives memory back and its next first call is slower, but in the cold-start
     * benchmark a worker that had just become ready served its tenant's first two calls slower
     * still, by about a millisecond at the median.)
     */
    public CompletableFuture<Worker> take(String tenantId, boolean withEgress) {
        ConcurrentLinkedDeque<Worker> deque = withEgress ? egress : isolated;
        Worker w;
        while ((w = deque.pollFirst()) != null) {
            if (w.assign(tenantId)) {
                fromPool.incrementAndGet();
                lastTakeNanos = System.nanoTime();
                return CompletableFuture.completedFuture(w);
            }
        }
        wake.release();
        direct.incrementAndGet();
        Worker started = sandbox.launch(withEgress, output);
        return started.ready().thenApply(ready -> {
            if (!ready.assign(tenantId)) {
                throw new SandboxException("worker " + ready.id() + " died while starting: " + ready.state());
            }
            return ready;
        });
    }

    private void refill() {
        long backoff = 0;
        while (!closed) {
            try {
                wake.tryAcquire(backoff > 0 ? backoff : REFILL_POLL_MS, TimeUnit.MILLISECONDS);
                long quiet = lastTakeNanos + REFILL_DELAY_NANOS - System.nanoTime();
                if (quiet > 0) {
                    Thread.sleep(quiet / 1_000_000 + 1);
                }
                wake.drainPermits();
                fillOne(isolated, false, sandbox.settings().poolSize());
                fillOne(egress, true, sandbox.settings().egressPoolSize());
                backoff = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) { // a supervising loop never dies: log, back off, go on
                launchFailures.incrementAndGet();
                backoff = Math.min(30_000, Math.max(1_000, backoff * 2));
                LOG.warn("could not start a pool worker, trying again in {} ms: {}", backoff, e.getMessage());
            }
        }
    }

    /** Starts the missing workers of one pool, two at a time, and waits for them to listen. */
    private void fillOne(ConcurrentLinkedDeque<Worker> deque, boolean withEgress, int size) throws InterruptedException {
        deque.removeIf(w -> !w.alive());
        while (!closed && deque.size() < size) {
            int missing = Math.min(2, size - deque.size());
            List<Worker> started = new ArrayList<>();
            for (int i = 0; i < missing; i++) {
                started.add(sandbox.launch(withEgress, output));
            }
            for (Worker w : started) {
                try {
                    Worker ready = w.ready().get(sandbox.settings().startTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
                    onPooled.accept(ready);
                    deque.addLast(ready);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    w.kill("failed to start");
                    throw new SandboxException("pool worker failed to start: " + e.getCause(), e);
                }
            }
            if (closed) {
                started.forEach(w -> w.kill("pool closed"));
            }
        }
    }

    /** Waits until both pools are full, for start-up and tests; false on timeout. */
    public boolean awaitFull(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (isolated.size() >= sandbox.settings().poolSize() && egress.size() >= sandbox.settings().egressPoolSize()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Override
    public void close() {
        closed = true;
        refiller.interrupt();
        try {
            refiller.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Worker w : isolated) {
            w.kill("node stopping");
        }
        for (Worker w : egress) {
            w.kill("node stopping");
        }
        isolated.clear();
        egress.clear();
    }
}
