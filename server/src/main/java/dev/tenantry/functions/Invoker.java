package dev.tenantry.functions;

import dev.tenantry.runtime.Limits;
import dev.tenantry.runtime.Pool;
import dev.tenantry.runtime.Worker;
import dev.tenantry.sdk.context.TenantContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a request in the tenant's function: finds (or specialises) one of the tenant's workers
 * with the active version loaded, holds the plan's concurrency (queue, then 429), forwards the
 * request over the worker's socket with a deadline and streams the answer back. A function that
 * overruns its timeout or memory gets its worker killed and replaced; the caller gets a 504 or
 * 502 that says why; other tenants' workers are untouched. Runs on the event loop.
 */
public final class Invoker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Invoker.class);
    private static final int SMALL_BODY = 16 * 1024;
    /** How long after a load a worker keeps the pool's memory limit before the function's, lower, applies. */
    private static final long LOWER_LIMIT_AFTER_MS = 250;
    private final Vertx vertx;
    private final Pool pool;
    private final CodeSource code;
    private final InvokerSettings settings;
    private final Map<String, TenantWorkers> tenants = new ConcurrentHashMap<>();
    private final Map<String, TenantWorkers.Slot> byWorker = new ConcurrentHashMap<>();
    private final Map<String, WorkerConnections> connections = new ConcurrentHashMap<>();
    /** A context on each of the node's event loops, which tenants' first requests arrive on (the gateway serves on them). */
    private final List<Context> eventLoops;
    private final HttpClientAgent agent;
    private final AtomicLong invocations = new AtomicLong();
    private final AtomicLong specialisations = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong shed = new AtomicLong();
    private final long reaper;
    private final Prefetcher prefetcher;

    private Invoker(Vertx vertx, Pool pool, CodeSource code, InvokerSettings settings) {
        this.vertx = vertx;
        this.pool = pool;
        this.code = code;
        this.settings = settings;
        this.reaper = vertx.setPeriodic(Math.max(1_000, Math.min(30_000, settings.idleTimeout().toMillis() / 4)), id -> reap());
        this.prefetcher = new Prefetcher(code);
        // Pipelining only ever carries a request right behind its function's load (see Call.loadThenSend).
        this.agent = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setPipelining(true).setDecompressionSupported(false)
                .setMaxHeaderSize(64 * 1024));
        this.eventLoops = eventLoops(vertx);
        pool.onPooled(worker -> connections(worker, true));
    }

    /**
     * A context on each of the node's event loops: a pooled worker gets a connection opened on
     * each, so that a cold start, whichever loop it arrives on, never waits for one to be set up.
     */
    private static List<Context> eventLoops(Vertx vertx) {
        List<Context> contexts = new ArrayList<>();
        if (vertx instanceof VertxInternal internal) {
            for (EventExecutor loop : internal.nettyEventLoopGroup()) {
                if (loop instanceof EventLoop eventLoop) {
                    contexts.add(internal.contextBuilder().withEventLoop(eventLoop).build());
                }
            }
        }
        return List.copyOf(contexts);
    }

    /**
     * The host's connections to {@code worker}; when {@code prime}, one is opened ahead on each
     * event loop, so that a tenant's first request finds one of its own loop.
     */
    private WorkerConnections connections(Worker worker, boolean prime) {
        WorkerConnections known = connections.get(worker.id());
        if (known != null) {
            return known;
        }
        WorkerConnections fresh = new WorkerConnections(agent,
                new HttpConnectOptions().setServer(WorkerProtocol.address(worker)).setHost("worker"), settings.workerConcurrency());
        WorkerConnections raced = connections.putIfAbsent(worker.id(), fresh);
        if (raced != null) {
            return raced;
        }
        worker.onDeath(reason -> {
            connections.remove(worker.id());
            fresh.close();
        });
        if (prime && eventLoops.isEmpty()) {
            fresh.prime();
        } else if (prime) {
            eventLoops.forEach(loop -> loop.runOnContext(v -> fresh.prime()));
        }
        return fresh;
    }

    /** An invoker over this pool; the parts come from {@link Functions}' wiring. */
    public static Invoker create(Vertx vertx, Pool pool, FunctionParts parts, InvokerSettings settings) {
        return new Invoker(vertx, pool, new CodeSource(parts.functions(), parts.modules(), parts.store(), parts.sealer()), settings);
    }

    /**
     * A tenant's context changed: versions that just became active are prepared in the background,
     * so that the first request after a deploy finds its code in memory.
     */
    public void activated(TenantContext before, TenantContext after) {
        prefetcher.activated(before, after);
    }

    /** Counters for metrics and benchmarks. */
    public record Stats(long invocations, long specialisations, long timeouts, long shed, int tenants, int workers,
                        Pool.Stats pool) {}

    public Stats stats() {
        return new Stats(invocations.get(), specialisations.get(), timeouts.get(), shed.get(), tenants.size(), byWorker.size(),
                pool.stats());
    }

    /** The tenant (id) and function version a worker runs, for attributing its log lines. */
    Map.Entry<String, Map<String, TenantWorkers.Loaded>> owner(Worker worker) {
        TenantWorkers.Slot slot = byWorker.get(worker.id());
        return slot == null ? null : Map.entry(worker.tenant().orElse(""), slot.loaded);
    }

    /**
     * Serves {@code caller}'s request with {@code function} of {@code tenant}, on the event loop
     * it arrived on (a Vert.x context of that loop is current).
     */
    public void invoke(TenantContext tenant, String function, Invocation caller) {
        Integer version = tenant.functions().get(function);
        if (version == null) {
            Replies.send(caller, null, 404, "function-not-found", "Function not found",
                    "there is no active function named '" + function + "'");
            return;
        }
        invocations.incrementAndGet();
        TenantWorkers workers = tenants.computeIfAbsent(tenant.id(), TenantWorkers::new);
        new Call(tenant, function, version, caller, workers).enter(false);
    }

    /**
     * One request's way through: admission, a worker, the version loaded, the exchange. While it
     * waits for a place under the plan's concurrency, it is its own turn callback.
     */
    private final class Call implements Consumer<Boolean> {
        final TenantContext tenant;
        final String function;
        final int version;
        final Invocation caller;
        final TenantWorkers workers;
        final AtomicBoolean finished = new AtomicBoolean();
        final String requestId;
        final Context context;
        TenantWorkers.Slot slot;
        long timer = -1;
        HttpClientRequest exchange;
        /** The connection the current exchange with the worker runs on. */
        HttpClientConnection connection;
        Future<Void> requestSent;
        /** The load this request was sent right behind, if it was. */
        Future<TenantWorkers.Loaded> behindLoad;
        /** The caller's body broke off (it left, or its framing was broken): the worker is not at fault. */
        boolean callerFailed;

        Call(TenantContext tenant, String function, int version, Invocation caller, TenantWorkers workers) {
            this.tenant = tenant;
            this.function = function;
            this.version = version;
            this.caller = caller;
            this.workers = workers;
            this.requestId = WorkerProtocol.requestId(caller); // every answer names it; the function's log lines carry it
            this.context = vertx.getOrCreateContext();
        }

        int concurrency() {
            return tenant.limits() == null ? 10 : Math.max(1, tenant.limits().maxConcurrency());
        }

        /** A place under the plan's concurrency freed up: try again, on this request's event loop. */
        @Override
        public void accept(Boolean turn) {
            context.runOnContext(v -> {
                if (turn) {
                    enter(true);
                }
            });
        }

        void enter(boolean waitedBefore) {
            TenantWorkers.Entry entry = workers.enter(function, version, concurrency(), settings.workerConcurrency(),
                    concurrency() * settings.queuePerSlot(), this, waitedBefore);
            switch (entry) {
                case TenantWorkers.Entry.Use use -> {
                    slot = use.slot();
                    ready();
                }
                case TenantWorkers.Entry.Start start -> startWorker();
                case TenantWorkers.Entry.Wait wait -> {
                    if (!waitedBefore) {
                        vertx.setTimer(waitLimitMs(), t -> {
                            if (workers.abandon(this)) {
                                refuse();
                            }
                        });
                    }
                }
                case TenantWorkers.Entry.Shed s -> refuse();
            }
        }

        /** Over the plan's concurrency, and the queue full or the wait too long: 429. */
        void refuse() {
            shed.incrementAndGet();
            Replies.send(caller, requestId, 429, "concurrency-limit", "Too many concurrent requests",
                    "the function's plan allows " + concurrency() + " requests at once; try again shortly");
            finish();
        }

        long waitLimitMs() {
            return tenant.limits() == null ? 10_000 : Math.max(100, tenant.limits().timeoutMs());
        }

        void startWorker() {
            boolean egress = tenant.limits() != null && tenant.limits().egressAllowed();
            Future.fromCompletionStage(pool.take(tenant.id(), egress), context).onComplete(taken -> {
                if (taken.failed()) {
                    workers.startFailed();
                    LOG.atWarn().addKeyValue("tenant", tenant.slug()).log("no worker could be started: {}", taken.cause().getMessage());
                    Replies.send(caller, requestId, 503, "no-worker", "Function unavailable",
                            "no worker could be started for the function; try again shortly");
                    finish();
                    return;
                }
                Worker worker = taken.result();
                slot = workers.started(worker, connections(worker, false));
                slot.memoryMb = pool.sandbox().settings().poolLimits().memoryMb();
                byWorker.put(worker.id(), slot);
                TenantWorkers.Slot mine = slot;
                worker.onDeath(reason -> {
                    workers.remove(mine);
                    byWorker.remove(worker.id());
                });
                ready();
            });
        }

        void ready() {
            TenantWorkers.Loaded loaded = slot.loaded.get(function);
            if (loaded != null && loaded.version() == version) {
                send(loaded, false, null);
                return;
            }
            load(false);
        }

        /**
         * Loads the version into the slot's worker once, however many requests ask at the same
         * time: the first sends itself right behind its load, the others follow once it is in.
         */
        void load(boolean retried) {
            behindLoad = null;
            String key = function + "@" + version;
            TenantWorkers.Slot s = slot;
            Promise<TenantWorkers.Loaded> mine = Promise.promise();
            Future<TenantWorkers.Loaded> theirs = s.loading.putIfAbsent(key, mine.future());
            if (theirs != null) {
                theirs.onComplete(l -> {
                    if (l.failed()) {
                        loadFailed(l.cause());
                        finish();
                    } else {
                        send(l.result(), retried, null);
                    }
                });
                return;
            }
            mine.future().onComplete(l -> s.loading.remove(key, mine.future()));
            loadThenSend(s, mine, retried);
        }

        /**
         * Sends the version's code to the worker and this request right behind it on the same
         * connection (HTTP/1.1 pipelining; the worker holds a request for a function that is being
         * loaded until the load is over), so that a cold start costs one round trip, not two.
         */
        void loadThenSend(TenantWorkers.Slot s, Promise<TenantWorkers.Loaded> loaded, boolean retried) {
            specialisations.incrementAndGet();
            // A prepared (prefetched) version goes out without leaving the event loop.
            CodeSource.Prepared cached = code.cached(tenant.id(), function, version);
            Future<CodeSource.Prepared> ready = cached != null ? Future.succeededFuture(cached)
                    : vertx.executeBlocking(() -> code.prepare(tenant.id(), function, version), false);
            ready.compose(prepared -> limit(s, prepared.loaded().memoryMb()).map(prepared)).onComplete(p -> {
                if (p.failed()) {
                    loaded.fail(p.cause());
                    loadFailed(p.cause());
                    finish();
                    return;
                }
                CodeSource.Prepared prepared = p.result();
                TenantWorkers.Loaded target = prepared.loaded();
                s.connections.acquire().compose(c -> {
                    connection = c;
                    return c.request(WorkerProtocol.post("/specialise"));
                }).onComplete(opened -> {
                    if (opened.failed()) {
                        loaded.fail(opened.cause());
                        workerFailed(opened.cause());
                        return;
                    }
                    opened.result().send(CodeSource.message(tenant.id(), tenant.slug(), prepared))
                            .compose(res -> res.body().map(body -> new Answer(res.statusCode(), body)))
                            .onComplete(answer -> {
                                if (answer.succeeded() && answer.result().status() == 200) {
                                    s.loaded.put(function, target);
                                    loaded.complete(target);
                                } else {
                                    loaded.fail(answer.failed() ? answer.cause() : new FunctionException(
                                            "load: " + WorkerProtocol.loadError(answer.result().status(), answer.result().body())));
                                }
                            });
                    behindLoad = loaded.future();
                    send(target, retried, connection);
                });
            });
        }

        /** What the caller hears when the version could not be loaded. */
        void loadFailed(Throwable cause) {
            String message = cause.getMessage();
            if (message != null && message.startsWith("load: ")) {
                Replies.send(caller, requestId, 502, "function-load-failed", "The function failed to load", message.substring(6));
            } else {
                Replies.send(caller, requestId, 503, "no-worker", "Function unavailable", "the function's worker is not available; try again");
            }
        }

        /**
         * Holds the worker to the memory of the largest function it has loaded. Raising happens
         * before the new version loads; lowering (from the pool's limit, the usual case) happens
         * {@link #LOWER_LIMIT_AFTER_MS} later, the pool's limit holding meanwhile: written at once,
         * on a blocking thread, the cgroup write competed for the CPU with the cold start itself
         * (about 1 ms of its p50 on two cores). A worker that is over the new limit by then is
         * stopped as out of memory.
         */
        Future<Void> limit(TenantWorkers.Slot s, int functionMb) {
            int memory = s.loadedMemoryMb == 0 ? functionMb : Math.max(s.loadedMemoryMb, functionMb);
            if (memory == s.memoryMb) {
                return Future.succeededFuture();
            }
            boolean raise = memory > s.memoryMb;
            s.memoryMb = memory;
            s.loadedMemoryMb = memory;
            if (!raise) {
                vertx.setTimer(LOWER_LIMIT_AFTER_MS, t -> applyLimit(s).onFailure(e -> {
                    if (s.worker.alive()) {
                        s.worker.markOutOfMemory();
                        replace(s.worker, "over its memory limit of " + s.memoryMb + " MiB: " + e.getMessage());
                    }
                }));
                return Future.succeededFuture();
            }
            return applyLimit(s);
        }

        /** Writes the slot's memory limit as it is when the write runs (a raise and a lowering may cross). */
        Future<Void> applyLimit(TenantWorkers.Slot s) {
            return vertx.executeBlocking(() -> {
                synchronized (s) {
                    s.worker.limit(new Limits(s.memoryMb, settings.cpuPercent(), settings.pids()));
                }
                return null;
            }, false);
        }

        /** Sends the request to the worker, on {@code pipelinedOn} when it follows its own load there. */
        void send(TenantWorkers.Loaded loaded, boolean retried, HttpClientConnection pipelinedOn) {
            if (caller.gone()) {
                finish();
                return;
            }
            long length = caller.bodyLength();
            long deadline = System.currentTimeMillis() + loaded.timeoutMs();
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.valueOf(caller.method()))
                    .setURI("/invoke/" + function + "@" + loaded.version()).setHeaders(headers(deadline));
            if (length >= 0) {
                options.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
            }
            timer = vertx.setTimer(loaded.timeoutMs(), t -> timedOut(loaded));
            Future<HttpClientConnection> on = pipelinedOn != null ? Future.succeededFuture(pipelinedOn) : slot.connections.acquire();
            on.compose(c -> {
                connection = c;
                return c.request(options);
            }).onComplete(connected -> {
                if (connected.failed()) {
                    workerFailed(connected.cause());
                    return;
                }
                exchange = connected.result();
                if (length < 0) {
                    exchange.setChunked(true);
                }
                if (length != 0) {
                    HttpClientRequest sending = exchange;
                    requestSent = caller.body().pipeTo(sending).onFailure(e -> {
                        callerFailed = true;
                        sending.reset(); // the function must not take a cut body for a whole one
                    });
                } else {
                    requestSent = exchange.end();
                }
                exchange.response().onComplete(answered -> {
                    if (answered.failed()) {
                        workerFailed(answered.cause());
                        return;
                    }
                    relay(answered.result(), loaded, retried);
                });
            });
        }

        MultiMap headers(long deadline) {
            MultiMap out = MultiMap.caseInsensitiveMultiMap();
            caller.headers((name, value) -> {
                if (!WorkerProtocol.NOT_FORWARDED.contains(name) && !name.regionMatches(true, 0, "x-tenantry-", 0, 11)
                        && !name.equalsIgnoreCase("content-length")) {
                    out.add(name, value);
                }
            });
            String host = caller.header("host");
            out.set("x-tenantry-url", caller.scheme() + "://" + (host == null ? "localhost" : host) + caller.uri());
            out.set("x-tenantry-request-id", requestId);
            out.set("x-tenantry-deadline", Long.toString(deadline));
            out.set("x-tenantry-source-ip", caller.source());
            out.set("X-Forwarded-For", caller.source());
            out.set("X-Forwarded-Proto", caller.scheme());
            if (host != null) {
                out.set("X-Forwarded-Host", host);
            }
            return out;
        }

        void relay(HttpClientResponse res, TenantWorkers.Loaded loaded, boolean retried) {
            res.exceptionHandler(e -> { }); // a cut exchange is handled where it is cut, not logged as an error
            String error = res.getHeader("x-tenantry-error");
            if (error != null) {
                res.body().onComplete(body -> {
                    endExchange(body.succeeded());
                    if (!"not-loaded".equals(error)) {
                        Replies.send(caller, requestId, 502, "function-error", "The function failed",
                                "the function threw: " + WorkerProtocol.message(body.succeeded() ? body.result() : Buffer.buffer()));
                        finish();
                        return;
                    }
                    // Sent behind a load that failed; or the worker lost the function (a restarted bootstrap): load again once.
                    (behindLoad == null ? Future.<TenantWorkers.Loaded>succeededFuture() : behindLoad).onComplete(l -> {
                        if (l.failed()) {
                            loadFailed(l.cause());
                            finish();
                        } else if (retried) {
                            Replies.send(caller, requestId, 502, "function-load-failed", "The function failed to load",
                                    "the function's worker could not keep it loaded");
                            finish();
                        } else {
                            slot.loaded.remove(function);
                            cancelTimer();
                            load(true);
                        }
                    });
                });
                return;
            }
            if (caller.gone()) {
                exchange.reset();
                finish();
                return;
            }
            int status = res.statusCode();
            MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("X-Request-Id", requestId);
            for (Map.Entry<String, String> h : res.headers()) {
                if (!WorkerProtocol.NOT_RETURNED.contains(h.getKey())) {
                    headers.add(h.getKey(), h.getValue());
                }
            }
            if (smallBody(res.getHeader(HttpHeaders.CONTENT_LENGTH))) {
                res.body().onComplete(body -> {
                    if (body.failed()) {
                        workerFailed(body.cause());
                        return;
                    }
                    caller.answer(status, headers, body.result());
                    endExchange(true);
                    finish();
                });
                return;
            }
            WriteStream<Buffer> out = caller.stream(status, headers);
            res.pipe().endOnFailure(false).to(out).onComplete(piped -> {
                if (piped.failed()) {
                    caller.abort();
                    if (exchange != null) {
                        exchange.reset();
                    }
                    finish();
                    return;
                }
                endExchange(true);
                finish();
            });
        }

        /** A Content-Length of at most {@link #SMALL_BODY} bytes: such an answer is read whole, then written at once. */
        static boolean smallBody(String length) {
            if (length == null || length.isEmpty() || length.length() > 5) {
                return false;
            }
            int n = 0;
            for (int i = 0; i < length.length(); i++) {
                char c = length.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
                n = n * 10 + (c - '0');
            }
            return n <= SMALL_BODY;
        }

        /**
         * The exchange with the worker is over: its connection serves the next one when the
         * exchange ended cleanly (the request sent whole, the answer read whole), else it is closed.
         */
        void endExchange(boolean clean) {
            HttpClientConnection c = connection;
            if (c == null) {
                return;
            }
            connection = null;
            if (clean && requestSent != null && requestSent.succeeded()) {
                slot.connections.release(c);
            } else {
                c.close();
            }
        }

        void timedOut(TenantWorkers.Loaded loaded) {
            timer = -1;
            if (finished.get()) {
                return;
            }
            timeouts.incrementAndGet();
            Worker worker = slot.worker;
            replace(worker, "function " + function + " exceeded its " + loaded.timeoutMs() + " ms timeout");
            Replies.send(caller, requestId, 504, "function-timeout", "The function timed out",
                    "the function did not answer within its timeout of " + loaded.timeoutMs() + " ms");
            finish();
        }

        void workerFailed(Throwable cause) {
            if (finished.get()) {
                return;
            }
            if (callerFailed) {
                caller.abort();
                finish();
                return;
            }
            Worker worker = slot.worker;
            vertx.executeBlocking(() -> worker.oomKilled(), false).onComplete(oom -> {
                boolean outOfMemory = oom.succeeded() && oom.result();
                replace(worker, outOfMemory ? "out of memory" : "worker connection failed: " + cause);
                if (outOfMemory) {
                    Replies.send(caller, requestId, 502, "function-memory", "The function ran out of memory",
                            "the function exceeded its memory limit of " + Math.max(slot.memoryMb, 1) + " MiB and was stopped");
                } else {
                    Replies.send(caller, requestId, 502, "function-crashed", "The function's worker stopped",
                            "the function's worker stopped while handling the request (it will be replaced)");
                }
                finish();
            });
        }

        void cancelTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }

        void finish() {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            cancelTimer();
            endExchange(false);
            if (slot != null) {
                workers.leave(slot);
            }
        }
    }

    /** A whole answer of the worker's own protocol. */
    private record Answer(int status, Buffer body) {}

    /** Kills a worker off the event loop and forgets it; the tenant's next request gets a fresh one. */
    private void replace(Worker worker, String reason) {
        TenantWorkers.Slot slot = byWorker.remove(worker.id());
        worker.tenant().map(tenants::get).ifPresent(t -> {
            if (slot != null) {
                t.remove(slot);
            }
        });
        LOG.atInfo().addKeyValue("worker", worker.id()).addKeyValue("tenant", worker.tenant().orElse("")).log("replacing worker: {}", reason);
        vertx.executeBlocking(() -> {
            worker.kill(reason);
            return null;
        }, false);
    }

    private void reap() {
        long idle = settings.idleTimeout().toNanos();
        for (TenantWorkers t : tenants.values()) {
            for (TenantWorkers.Slot s : t.idle(idle)) {
                byWorker.remove(s.worker.id());
                vertx.executeBlocking(() -> {
                    s.worker.kill("idle for " + settings.idleTimeout().toSeconds() + " s");
                    return null;
                }, false);
            }
            if (t.empty()) {
                tenants.remove(t.tenantId, t);
            }
        }
    }

    /** The pool this invoker takes workers from. */
    public Pool pool() {
        return pool;
    }

    /** Every assigned worker now, for the density benchmark and operators. */
    public List<Worker> workers() {
        return byWorker.values().stream().map(s -> s.worker).toList();
    }

    @Override
    public void close() {
        vertx.cancelTimer(reaper);
        prefetcher.close();
        for (TenantWorkers.Slot s : byWorker.values()) {
            s.worker.kill("node stopping");
        }
        byWorker.clear();
        tenants.clear();
        connections.values().forEach(WorkerConnections::close);
        agent.close();
    }
}
