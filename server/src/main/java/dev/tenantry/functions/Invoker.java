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
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
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
    private final Vertx vertx;
    private final Pool pool;
    private final CodeSource code;
    private final InvokerSettings settings;
    private final Map<String, TenantWorkers> tenants = new ConcurrentHashMap<>();
    private final Map<String, TenantWorkers.Slot> byWorker = new ConcurrentHashMap<>();
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
     * Serves {@code req} with {@code function} of {@code tenant}; {@code done} gets the status the
     * caller saw. {@code client} is the calling event loop's HTTP client; {@code source} is the
     * caller's IP address as the gateway saw it (the request may have come through a local hop).
     */
    public void invoke(HttpClient client, TenantContext tenant, String function, HttpServerRequest req, String source,
                       IntConsumer done) {
        Integer version = tenant.functions().get(function);
        if (version == null) {
            done.accept(Replies.send(req, 404, "function-not-found", "Function not found",
                    "there is no active function named '" + function + "'"));
            return;
        }
        invocations.incrementAndGet();
        TenantWorkers workers = tenants.computeIfAbsent(tenant.id(), TenantWorkers::new);
        Call call = new Call(client, tenant, function, version, req, source, workers, done);
        call.enter(false);
    }

    /**
     * One request's way through: admission, a worker, the version loaded, the exchange. While it
     * waits for a place under the plan's concurrency, it is its own turn callback.
     */
    private final class Call implements Consumer<Boolean> {
        final HttpClient client;
        final TenantContext tenant;
        final String function;
        final int version;
        final HttpServerRequest req;
        final String source;
        final TenantWorkers workers;
        final IntConsumer done;
        final AtomicBoolean finished = new AtomicBoolean();
        final String requestId;
        final Context context;
        TenantWorkers.Slot slot;
        long timer = -1;
        HttpClientRequest exchange;

        Call(HttpClient client, TenantContext tenant, String function, int version, HttpServerRequest req, String source,
             TenantWorkers workers, IntConsumer done) {
            this.client = client;
            this.tenant = tenant;
            this.function = function;
            this.version = version;
            this.req = req;
            this.source = source == null ? "" : source;
            this.workers = workers;
            this.done = done;
            this.requestId = WorkerProtocol.requestId(req);
            this.context = vertx.getOrCreateContext();
            req.response().putHeader("X-Request-Id", requestId); // the id the function's log lines carry
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
            finish(Replies.send(req, 429, "concurrency-limit", "Too many concurrent requests",
                    "the function's plan allows " + concurrency() + " requests at once; try again shortly"));
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
                    finishWithoutSlot(Replies.send(req, 503, "no-worker", "Function unavailable",
                            "no worker could be started for the function; try again shortly"));
                    return;
                }
                Worker worker = taken.result();
                slot = workers.started(worker);
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
                send(loaded, false);
                return;
            }
            load().onComplete(l -> {
                if (l.failed()) {
                    String message = l.cause().getMessage();
                    finish(message != null && message.startsWith("load: ")
                            ? Replies.send(req, 502, "function-load-failed", "The function failed to load", message.substring(6))
                            : Replies.send(req, 503, "no-worker", "Function unavailable", "the function's worker is not available; try again"));
                    return;
                }
                send(l.result(), false);
            });
        }

        /** Loads the version into this slot's worker once, however many requests ask at the same time. */
        Future<TenantWorkers.Loaded> load() {
            String key = function + "@" + version;
            TenantWorkers.Slot s = slot;
            return s.loading.computeIfAbsent(key, k -> specialise(s).andThen(r -> s.loading.remove(k)));
        }

        Future<TenantWorkers.Loaded> specialise(TenantWorkers.Slot s) {
            specialisations.incrementAndGet();
            // A prepared (prefetched) version goes out without leaving the event loop.
            CodeSource.Prepared cached = code.cached(tenant.id(), function, version);
            Future<CodeSource.Prepared> ready = cached != null ? Future.succeededFuture(cached)
                    : vertx.executeBlocking(() -> code.prepare(tenant.id(), function, version), false);
            return ready.compose(prepared -> limit(s, prepared.loaded().memoryMb()).map(prepared)).compose(prepared -> client.request(new RequestOptions().setServer(WorkerProtocol.address(s.worker)).setHost("worker")
                            .setMethod(HttpMethod.POST).setURI("/specialise").putHeader(HttpHeaders.CONTENT_TYPE, "application/json"))
                    .compose(r -> r.send(CodeSource.message(tenant.id(), tenant.slug(), prepared)))
                    .compose(res -> res.body().compose(body -> {
                        if (res.statusCode() == 200) {
                            String contract = WorkerProtocol.contract(body);
                            TenantWorkers.Loaded loaded = new TenantWorkers.Loaded(function, version,
                                    prepared.loaded().timeoutMs(), prepared.loaded().memoryMb(), contract);
                            s.loaded.put(function, loaded);
                            return Future.succeededFuture(loaded);
                        }
                        return Future.failedFuture(new FunctionException("load: " + WorkerProtocol.loadError(res.statusCode(), body)));
                    })));
        }

        /**
         * Holds the worker to the memory of the largest function it has loaded. Raising happens
         * before the new version loads; lowering (from the pool's limit, the usual case) is applied
         * in the background, the pool's limit holding meanwhile.
         */
        Future<Void> limit(TenantWorkers.Slot s, int functionMb) {
            int memory = s.loadedMemoryMb == 0 ? functionMb : Math.max(s.loadedMemoryMb, functionMb);
            if (memory == s.memoryMb) {
                return Future.succeededFuture();
            }
            boolean raise = memory > s.memoryMb;
            s.memoryMb = memory;
            s.loadedMemoryMb = memory;
            Future<Void> applied = vertx.executeBlocking(() -> {
                s.worker.limit(new Limits(memory, settings.cpuPercent(), settings.pids()));
                return null;
            }, false);
            return raise ? applied : Future.succeededFuture();
        }

        void send(TenantWorkers.Loaded loaded, boolean retried) {
            if (req.response().closed()) {
                finish(499);
                return;
            }
            String contentLength = req.getHeader(HttpHeaders.CONTENT_LENGTH);
            boolean chunked = req.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
            boolean hasBody = chunked || (contentLength != null && !contentLength.equals("0"));
            long deadline = System.currentTimeMillis() + loaded.timeoutMs();
            RequestOptions options = new RequestOptions().setServer(WorkerProtocol.address(slot.worker)).setMethod(req.method())
                    .setURI("/invoke/" + function).setHeaders(headers(deadline));
            if (contentLength != null && !chunked) {
                options.putHeader(HttpHeaders.CONTENT_LENGTH, contentLength);
            }
            timer = vertx.setTimer(loaded.timeoutMs(), t -> timedOut(loaded));
            client.request(options).onComplete(connected -> {
                if (connected.failed()) {
                    workerFailed(connected.cause());
                    return;
                }
                exchange = connected.result();
                if (chunked) {
                    exchange.setChunked(true);
                }
                (hasBody ? exchange.send(req) : exchange.send()).onComplete(answered -> {
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
            for (Map.Entry<String, String> h : req.headers()) {
                if (!WorkerProtocol.NOT_FORWARDED.contains(h.getKey()) && !h.getKey().regionMatches(true, 0, "x-tenantry-", 0, 11)) {
                    out.add(h.getKey(), h.getValue());
                }
            }
            String host = req.getHeader(HttpHeaders.HOST);
            out.set("x-tenantry-url", (req.scheme() == null ? "http" : req.scheme()) + "://" + (host == null ? "localhost" : host) + req.uri());
            out.set("x-tenantry-request-id", requestId);
            out.set("x-tenantry-deadline", Long.toString(deadline));
            out.set("x-tenantry-source-ip", source);
            out.set("X-Forwarded-For", source);
            out.set("X-Forwarded-Proto", req.scheme() == null ? "http" : req.scheme());
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
                    if ("not-loaded".equals(error) && !retried) { // the worker lost it (restarted bootstrap): load again once
                        slot.loaded.remove(function);
                        cancelTimer();
                        load().onComplete(l -> {
                            if (l.succeeded()) {
                                send(l.result(), true);
                            } else {
                                finish(Replies.send(req, 502, "function-load-failed", "The function failed to load", l.cause().getMessage()));
                            }
                        });
                        return;
                    }
                    finish(Replies.send(req, 502, "function-error", "The function failed",
                            "the function threw: " + WorkerProtocol.message(body.succeeded() ? body.result() : Buffer.buffer())));
                });
                return;
            }
            HttpServerResponse out = req.response();
            if (out.closed()) {
                exchange.reset();
                finish(499);
                return;
            }
            out.setStatusCode(res.statusCode());
            for (Map.Entry<String, String> h : res.headers()) {
                if (!WorkerProtocol.NOT_RETURNED.contains(h.getKey())) {
                    out.headers().add(h.getKey(), h.getValue());
                }
            }
            int status = res.statusCode();
            String length = res.getHeader(HttpHeaders.CONTENT_LENGTH);
            if (length == null && req.method() != HttpMethod.HEAD && status != 204 && status != 304) {
                out.setChunked(true);
            }
            res.exceptionHandler(e -> { });
            if (length != null && length.length() <= 5 && Integer.parseInt(length) <= SMALL_BODY) {
                res.body().onComplete(body -> {
                    if (body.failed()) {
                        workerFailed(body.cause());
                        return;
                    }
                    out.end(body.result());
                    finish(status);
                });
                return;
            }
            res.pipe().endOnFailure(false).to(out).onComplete(piped -> {
                if (piped.failed()) {
                    out.reset();
                    if (exchange != null) {
                        exchange.reset();
                    }
                    finish(502);
                    return;
                }
                finish(status);
            });
        }

        void timedOut(TenantWorkers.Loaded loaded) {
            timer = -1;
            if (finished.get()) {
                return;
            }
            timeouts.incrementAndGet();
            Worker worker = slot.worker;
            replace(worker, "function " + function + " exceeded its " + loaded.timeoutMs() + " ms timeout");
            finish(Replies.send(req, 504, "function-timeout", "The function timed out",
                    "the function did not answer within its timeout of " + loaded.timeoutMs() + " ms"));
        }

        void workerFailed(Throwable cause) {
            if (finished.get()) {
                return;
            }
            Worker worker = slot.worker;
            vertx.executeBlocking(() -> worker.oomKilled(), false).onComplete(oom -> {
                boolean outOfMemory = oom.succeeded() && oom.result();
                replace(worker, outOfMemory ? "out of memory" : "worker connection failed: " + cause);
                finish(outOfMemory
                        ? Replies.send(req, 502, "function-memory", "The function ran out of memory",
                                "the function exceeded its memory limit of " + Math.max(slot.memoryMb, 1) + " MiB and was stopped")
                        : Replies.send(req, 502, "function-crashed", "The function's worker stopped",
                                "the function's worker stopped while handling the request (it will be replaced)"));
            });
        }

        void cancelTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }

        void finish(int status) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            cancelTimer();
            if (slot != null) {
                workers.leave(slot);
            }
            done.accept(status);
        }

        void finishWithoutSlot(int status) {
            if (finished.compareAndSet(false, true)) {
                done.accept(status);
            }
        }
    }

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

    /** Every assigned worker now, for the density benchmark and operators. */
    public java.util.List<Worker> workers() {
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
    }
}
