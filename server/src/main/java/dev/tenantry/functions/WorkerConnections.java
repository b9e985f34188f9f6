package dev.tenantry.functions;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The host's connections to one worker's socket, one exchange at a time each. One is opened
 * while the worker waits in the pool, so a tenant's first request does not wait for a connection
 * to be set up (that took a few milliseconds of every cold start); afterwards idle connections are
 * reused, the most recently used first, and those beyond the worker's concurrency are closed.
 * The worker never closes an idle connection (the host is its only client); a dead worker's close
 * with it.
 */
final class WorkerConnections {
    private final HttpClientAgent agent;
    private final HttpConnectOptions target;
    private final int maxIdle;
    private final ArrayDeque<HttpClientConnection> idle = new ArrayDeque<>();
    private boolean closed;

    WorkerConnections(HttpClientAgent agent, HttpConnectOptions target, int maxIdle) {
        this.agent = agent;
        this.target = target;
        this.maxIdle = maxIdle;
    }

    /** An idle connection, or a new one. */
    Future<HttpClientConnection> acquire() {
        synchronized (this) {
            HttpClientConnection connection = idle.pollLast();
            if (connection != null) {
                return Future.succeededFuture(connection);
            }
        }
        return agent.connect(target).andThen(opened -> {
            if (opened.succeeded()) {
                HttpClientConnection connection = opened.result();
                connection.closeHandler(v -> forget(connection));
            }
        });
    }

    /** Opens one ahead of need and keeps it idle. */
    void prime() {
        acquire().onSuccess(this::release);
    }

    /** An exchange ended cleanly: the connection may serve the next one. */
    void release(HttpClientConnection connection) {
        synchronized (this) {
            if (!closed && idle.size() < maxIdle) {
                idle.addLast(connection);
                return;
            }
        }
        connection.close();
    }

    private synchronized void forget(HttpClientConnection connection) {
        idle.remove(connection);
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
