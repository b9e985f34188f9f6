package dev.tenantry.functions;

import dev.tenantry.runtime.Worker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One tenant's assigned workers and its requests in flight, under one lock (event loops of
 * every gateway verticle share it). Requests beyond the plan's concurrency wait in a bounded
 * queue; past that they are shed.
 */
final class TenantWorkers {
    final String tenantId;
    private final List<Slot> slots = new ArrayList<>();
    private final ArrayDeque<Consumer<Boolean>> waiting = new ArrayDeque<>();
    private int inFlight;
    private int starting;

    TenantWorkers(String tenantId) {
        this.tenantId = tenantId;
    }

    /** A worker as this tenant uses it: which function versions it has loaded, how busy it is. */
    static final class Slot {
        final Worker worker;
        final WorkerConnections connections;
        final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
        final Map<String, io.vertx.core.Future<Loaded>> loading = new ConcurrentHashMap<>();
        int inFlight;
        long lastUsedNanos = System.nanoTime();
        /** The memory limit the worker's cgroup has (the pool's, until a function is loaded). */
        volatile int memoryMb;
        /** The largest memory any loaded function asked for (0 before the first). */
        volatile int loadedMemoryMb;

        Slot(Worker worker, WorkerConnections connections) {
            this.worker = worker;
            this.connections = connections;
        }
    }

    /** A function version loaded in a worker, with the limits it runs under. */
    record Loaded(String name, int version, int timeoutMs, int memoryMb) {}

    /** What {@link #enter} decided. */
    sealed interface Entry {
        /** Go ahead on this slot (it may still need the version loaded). */
        record Use(Slot slot) implements Entry {}

        /** Go ahead, on a new worker the caller must start (then {@link #started}). */
        record Start() implements Entry {}

        /** Wait: the consumer is called with true when a place frees, false when shed meanwhile. */
        record Wait() implements Entry {}

        /** Too many waiting already. */
        record Shed() implements Entry {}
    }

    synchronized Entry enter(String function, int version, int maxConcurrency, int perWorker, int queueLimit,
                             Consumer<Boolean> onTurn, boolean waitedBefore) {
        if (inFlight >= maxConcurrency) {
            if (waiting.size() >= queueLimit && !waitedBefore) {
                return new Entry.Shed();
            }
            if (waitedBefore) { // lost its turn to a newcomer: back to the front
                waiting.addFirst(onTurn);
            } else {
                waiting.addLast(onTurn);
            }
            return new Entry.Wait();
        }
        inFlight++;
        Slot best = null;
        for (Slot s : slots) {
            if (!s.worker.alive() || s.inFlight >= perWorker) {
                continue;
            }
            Loaded l = s.loaded.get(function);
            boolean has = l != null && l.version() == version;
            if (best == null || has && !hasVersion(best, function, version)
                    || has == hasVersion(best, function, version) && s.inFlight < best.inFlight) {
                best = s;
            }
        }
        int maxWorkers = Math.max(1, (maxConcurrency + perWorker - 1) / perWorker);
        if (best == null && slots.size() + starting < maxWorkers) {
            starting++;
            return new Entry.Start();
        }
        if (best == null) { // every worker at its share and no more allowed: overcommit the least busy one
            for (Slot s : slots) {
                if (s.worker.alive() && (best == null || s.inFlight < best.inFlight)) {
                    best = s;
                }
            }
        }
        if (best == null) { // all dead, new ones starting: start one more
            starting++;
            return new Entry.Start();
        }
        best.inFlight++;
        return new Entry.Use(best);
    }

    private static boolean hasVersion(Slot s, String function, int version) {
        Loaded l = s.loaded.get(function);
        return l != null && l.version() == version;
    }

    /** A worker started for an {@link Entry.Start}: it joins the tenant with the request on it. */
    synchronized Slot started(Worker worker, WorkerConnections connections) {
        starting--;
        Slot slot = new Slot(worker, connections);
        slot.inFlight = 1;
        slots.add(slot);
        return slot;
    }

    /** A start for an {@link Entry.Start} failed: the request leaves. */
    void startFailed() {
        Consumer<Boolean> next;
        synchronized (this) {
            starting--;
            inFlight--;
            next = waiting.pollFirst();
        }
        turn(next);
    }

    /** A request ends; the next waiting one (if any) gets its turn. */
    void leave(Slot slot) {
        Consumer<Boolean> next;
        synchronized (this) {
            inFlight--;
            slot.inFlight--;
            slot.lastUsedNanos = System.nanoTime();
            next = waiting.pollFirst();
        }
        turn(next);
    }

    /** Takes a waiter out of the queue (it gave up); true when it was still waiting. */
    synchronized boolean abandon(Consumer<Boolean> waiter) {
        return waiting.remove(waiter);
    }

    private static void turn(Consumer<Boolean> next) {
        if (next != null) {
            next.accept(true);
        }
    }

    synchronized void remove(Slot slot) {
        slots.remove(slot);
    }

    synchronized Slot slotOf(Worker worker) {
        for (Slot s : slots) {
            if (s.worker == worker) {
                return s;
            }
        }
        return null;
    }

    /** Slots unused for longer than {@code idleNanos}, taken out of service. */
    synchronized List<Slot> idle(long idleNanos) {
        long now = System.nanoTime();
        List<Slot> out = new ArrayList<>();
        for (Slot s : new ArrayList<>(slots)) {
            if (s.inFlight == 0 && now - s.lastUsedNanos > idleNanos) {
                slots.remove(s);
                out.add(s);
            }
        }
        return out;
    }

    synchronized List<Slot> all() {
        return List.copyOf(slots);
    }

    synchronized boolean empty() {
        return slots.isEmpty() && inFlight == 0 && starting == 0 && waiting.isEmpty();
    }

    synchronized int inFlight() {
        return inFlight;
    }
}
