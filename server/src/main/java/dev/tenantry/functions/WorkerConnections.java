package dev.tenantry.functions;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host's connections to one worker's socket, one exchange at a time each. One is opened
 * while the worker waits in the pool, so a tenant's first request does not wait for a connection
 * to be set up (that took a few milliseconds of every cold start); afterwards idle connections are
 * reused, the most recently used first, and those beyond the worker's concurrency are closed.
 *
 * <p>A connection lives on one event loop. A request takes one of its own event loop's when
 * there is one (no hand-over between threads on the warm path); else any idle one, and once that
 * exchange is over the event loop opens one of its own for the next. The worker never closes an
 * idle connection (the host is its only client); a dead worker's close with it.
 */
final class WorkerConnections {
    private static final long LOCAL_CONNECTION_DELAY_MS = 100;
    private final HttpClientAgent agent;
    private final HttpConnectOptions target;
    private final int maxIdle;
    private final ArrayDeque<HttpClientConnection> idle = new ArrayDeque<>();
    /** Each open connection's event-loop thread. */
    private final Map<HttpClientConnection, Thread> loops = new ConcurrentHashMap<>();
    private boolean closed;

    WorkerConnections(HttpClientAgent agent, HttpConnectOptions target, int maxIdle) {
        this.agent = agent;
        this.target = target;
        this.maxIdle = maxIdle;
    }

    /** An idle connection, this event loop's if it has one, or a new one on this event loop. */
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
            HttpClientConnection any = idle.pollLast();
            if (any != null) {
                return Future.succeededFuture(any);
            }
        }
        return connect();
    }

    private Future<HttpClientConnection> connect() {
        return agent.connect(target).andThen(opened -> {
            if (opened.succeeded()) { // completes on the connection's event loop
                HttpClientConnection connection = opened.result();
                loops.put(connection, Thread.currentThread());
                connection.closeHandler(v -> forget(connection));
            }
        });
    }

    /** Opens one ahead of need, on the calling event loop (or any, off one), and keeps it idle. */
    void prime() {
        connect().onSuccess(this::release);
    }

    /**
     * An exchange ended cleanly: the connection may serve the next one. When it belonged to
     * another event loop than the caller's, the caller's loop gets one of its own shortly (not at
     * once: the tenant's next request is likely on its way and would wait behind the connect).
     */
    void release(HttpClientConnection connection) {
        Thread here = Thread.currentThread();
        boolean local = loops.get(connection) == here;
        boolean keep;
        boolean prime = false;
        synchronized (this) {
            keep = !closed && idle.size() < maxIdle;
            if (keep) {
                idle.addLast(connection);
                prime = !local && idle.size() < maxIdle && idle.stream().noneMatch(c -> loops.get(c) == here);
            }
        }
        if (!keep) {
            connection.close();
        } else if (prime && Context.isOnEventLoopThread()) {
            Vertx.currentContext().owner().setTimer(LOCAL_CONNECTION_DELAY_MS, t -> prime());
        }
    }

    private synchronized void forget(HttpClientConnection connection) {
        idle.remove(connection);
        loops.remove(connection);
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
