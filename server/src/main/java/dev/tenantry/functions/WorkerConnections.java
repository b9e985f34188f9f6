package dev.tenantry.functions;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.impl.UnpooledHttpClientConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The host's connections to one worker's socket, one exchange at a time each. One is opened
 * while the worker waits in the pool, so a tenant's first request does not wait for a connection
 * to be set up (that took a few milliseconds of every cold start); afterwards idle connections are
 * reused, the most recently used first.
 *
 * <p>A connection lives on one event loop. A request takes one of its own event loop's when
 * there is one (no hand-over between threads on the warm path), else opens one on its loop, up
 * to the worker's concurrency per loop; only a loop that has that many borrows another's idle
 * one. Connections stay open while the worker lives (the worker never closes an idle one: the
 * host is its only client), so a steady load opens none.
 */
final class WorkerConnections {
    private final HttpClientAgent agent;
    private final HttpConnectOptions target;
    private final int maxPerLoop;
    private final ArrayDeque<HttpClientConnection> idle = new ArrayDeque<>();
    /** Each open connection's event-loop thread. */
    private final Map<HttpClientConnection, Thread> loops = new HashMap<>();
    /** How many connections are open on each event-loop thread. */
    private final Map<Thread, Integer> openOn = new HashMap<>();
    private boolean closed;

    WorkerConnections(HttpClientAgent agent, HttpConnectOptions target, int maxPerLoop) {
        this.agent = agent;
        this.target = target;
        this.maxPerLoop = maxPerLoop;
    }

    /** An idle connection of this event loop, else a new one on it, else (the loop has its share) any idle one. */
    Future<HttpClientConnection> acquire() {
        Thread here = Thread.currentThread();
        synchronized (this) {
            for (Iterator<HttpClientConnection> it = idle.descendingIterator(); it.hasNext(); ) {
                HttpClientConnection connection = it.next();
                if (loops.get(connection) == here) {
                    it.remove();
                    return Future.succeededFuture(connection);
                }
            }
            if (openOn.getOrDefault(here, 0) >= maxPerLoop) {
                HttpClientConnection any = idle.pollLast();
                if (any != null) {
                    return Future.succeededFuture(any);
                }
            }
        }
        return connect();
    }

    private Future<HttpClientConnection> connect() {
        return agent.connect(target).andThen(opened -> {
            if (opened.succeeded()) { // completes on the connection's event loop
                HttpClientConnection connection = opened.result();
                consolidateFlushes(connection);
                Thread loop = Thread.currentThread();
                synchronized (this) {
                    loops.put(connection, loop);
                    openOn.merge(loop, 1, Integer::sum);
                }
                connection.closeHandler(v -> forget(connection));
            }
        });
    }

    /**
     * Writes of one event-loop turn leave in one system call: a cold start's load and the request
     * pipelined behind it reach the worker together. Flushed one by one, the worker woke on the
     * load and could take the core from the event loop before the request was written, which then
     * waited for the whole load (several milliseconds, in the cold-start benchmark).
     */
    private static void consolidateFlushes(HttpClientConnection connection) {
        if (connection instanceof UnpooledHttpClientConnection unpooled && unpooled.unwrap() instanceof ConnectionBase base) {
            base.channel().pipeline().addFirst("flush-consolidation", new FlushConsolidationHandler(64, true));
        }
    }

    /** Opens one ahead of need, on the calling event loop (or any, off one), and keeps it idle. */
    void prime() {
        connect().onSuccess(this::release);
    }

    /** An exchange ended cleanly: the connection serves the next one. */
    void release(HttpClientConnection connection) {
        boolean keep;
        synchronized (this) {
            keep = !closed;
            if (keep) {
                idle.addLast(connection);
            }
        }
        if (!keep) {
            connection.close();
        }
    }

    private synchronized void forget(HttpClientConnection connection) {
        idle.remove(connection);
        Thread loop = loops.remove(connection);
        if (loop != null) {
            openOn.computeIfPresent(loop, (t, n) -> n > 1 ? n - 1 : null);
        }
    }

    void close() {
        List<HttpClientConnection> open;
        synchronized (this) {
            closed = true;
            open = List.copyOf(idle);
            idle.clear();
        }
        open.forEach(HttpClientConnection::close);
    }
}
