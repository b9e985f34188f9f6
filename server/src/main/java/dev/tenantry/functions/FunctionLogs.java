package dev.tenantry.functions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tenantry.runtime.Worker;
import dev.tenantry.runtime.WorkerOutput;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What functions write to stdout and stderr, kept per function (the newest {@code keep} lines)
 * with the request id of the invocation that wrote it. Workers' lines are buffered and written
 * in batches off the event loop; when the buffer is full, lines are dropped and counted.
 */
public final class FunctionLogs implements WorkerOutput, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionLogs.class);
    private static final int MAX_BUFFERED = 20_000;
    private final Jdbi jdbi;
    private final Clock clock;
    private final int keep;
    private final ConcurrentLinkedQueue<Line> buffer = new ConcurrentLinkedQueue<>();
    private final AtomicInteger buffered = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final Set<String> touched = new HashSet<>();
    private volatile Function<Worker, Map.Entry<String, Map<String, TenantWorkers.Loaded>>> owners = w -> null;
    private final Thread writer;
    private volatile boolean closed;

    /** One line as the API shows it. */
    public record Line(long id, UUID tenantId, String function, Optional<Integer> version, String requestId, String stream,
                       String text, Instant at) {}

    public FunctionLogs(Jdbi jdbi, Clock clock, int keep) {
        this.jdbi = jdbi;
        this.clock = clock;
        this.keep = keep;
        this.writer = Thread.ofVirtual().name("function-logs").start(this::run);
    }

    /** Tells the logs how to find which tenant and function version a worker runs. */
    public void attribute(Invoker invoker) {
        this.owners = invoker::owner;
    }

    @Override
    public void line(Worker worker, JsonNode message) {
        String type = message.path("type").asText();
        var owner = owners.apply(worker);
        if (owner == null || owner.getKey().isEmpty()) {
            if (!type.equals("log")) {
                LOG.atInfo().addKeyValue("worker", worker.id()).log("worker said: {}", message);
            }
            return;
        }
        if (type.equals("log") && !message.path("fn").isNull()) {
            String fn = message.path("fn").asText();
            // The worker names the version (a call sent right behind its load may print before the load's answer is read here).
            Optional<Integer> version = message.path("v").canConvertToInt() ? Optional.of(message.path("v").asInt())
                    : Optional.ofNullable(owner.getValue().get(fn)).map(TenantWorkers.Loaded::version);
            add(new Line(0, UUID.fromString(owner.getKey()), fn, version,
                    message.path("rid").asText("-"), message.path("stream").asText("stdout"), message.path("line").asText(""),
                    clock.instant()));
        } else if (type.equals("raw") || type.equals("worker")) { // Node's own words (a fatal error): every function of the worker gets it
            String text = message.has("line") ? message.path("line").asText() : message.path("message").asText();
            for (TenantWorkers.Loaded l : owner.getValue().values()) {
                add(new Line(0, UUID.fromString(owner.getKey()), l.name(), Optional.of(l.version()), "worker", "stderr", text, clock.instant()));
            }
        }
    }

    private void add(Line line) {
        if (buffered.incrementAndGet() > MAX_BUFFERED) {
            buffered.decrementAndGet();
            dropped.incrementAndGet();
            return;
        }
        buffer.add(line);
    }

    public long dropped() {
        return dropped.get();
    }

    /** Lines of one function after {@code afterId}, oldest first, optionally of one request. */
    public List<Line> read(UUID tenantId, String function, long afterId, Optional<String> requestId, int limit) {
        return jdbi.withHandle(h -> h.createQuery("""
                        select * from function_logs where tenant_id = :t and name = :n and id > :after
                        and (cast(:rid as text) is null or request_id = :rid) order by id limit :limit""")
                .bind("t", tenantId).bind("n", function).bind("after", afterId).bind("rid", requestId.orElse(null))
                .bind("limit", limit)
                .map((rs, c) -> {
                    int v = rs.getInt("version");
                    return new Line(rs.getLong("id"), tenantId, function, rs.wasNull() ? Optional.empty() : Optional.of(v),
                            rs.getString("request_id"), rs.getString("stream"), rs.getString("line"),
                            rs.getTimestamp("at").toInstant());
                }).list());
    }

    /** Writes what is buffered now (tests and shutdown). */
    public void flush() {
        List<Line> batch = new ArrayList<>();
        Line l;
        while (batch.size() < 5_000 && (l = buffer.poll()) != null) {
            batch.add(l);
        }
        buffered.addAndGet(-batch.size());
        if (batch.isEmpty()) {
            return;
        }
        jdbi.useHandle(h -> {
            var insert = h.prepareBatch("""
                    insert into function_logs (tenant_id, name, version, request_id, stream, line, at)
                    values (:t, :n, :v, :rid, :stream, :line, :at)""");
            for (Line line : batch) {
                insert.bind("t", line.tenantId()).bind("n", line.function()).bind("v", line.version().orElse(null))
                        .bind("rid", line.requestId()).bind("stream", line.stream()).bind("line", line.text())
                        .bind("at", Timestamp.from(line.at())).add();
                touched.add(line.tenantId() + "/" + line.function());
            }
            insert.execute();
        });
    }

    /** Keeps the newest {@code keep} lines of every function written to since the last pass. */
    private void prune() {
        List<String> names = new ArrayList<>(touched);
        touched.clear();
        for (String key : names) {
            int slash = key.indexOf('/');
            jdbi.useHandle(h -> h.createUpdate("""
                    delete from function_logs where tenant_id = :t and name = :n and id <= (
                        select id from function_logs where tenant_id = :t and name = :n order by id desc offset :keep limit 1)""")
                    .bind("t", UUID.fromString(key.substring(0, slash))).bind("n", key.substring(slash + 1)).bind("keep", keep).execute());
        }
    }

    private void run() {
        long lastPrune = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(200);
                flush();
                if (System.nanoTime() - lastPrune > Duration.ofSeconds(10).toNanos()) {
                    prune();
                    lastPrune = System.nanoTime();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) { // a supervising loop never dies
                LOG.warn("could not write function logs, retrying: {}", e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        writer.interrupt();
        try {
            writer.join(2_000);
            flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("function logs not written at shutdown: {}", e.toString());
        }
    }
}
