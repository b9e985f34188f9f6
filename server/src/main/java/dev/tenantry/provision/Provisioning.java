package dev.tenantry.provision;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.Bindings;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.CatalogException;
import dev.tenantry.catalog.Status;
import dev.tenantry.catalog.Tenant;
import dev.tenantry.catalog.Tenants;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * The operation engine: {@link Operations} for the API, db-scheduler underneath. {@link #start}
 * begins executing queued operations on this node (the scheduler role); a node without that role
 * still queues them for others.
 */
public final class Provisioning implements Operations, AutoCloseable {
    private final Catalog catalog;
    private final OperationStore store;
    private final StepActions actions;
    private final Optional<Scheduler> scheduler;
    private final Object finished = new Object();

    private Provisioning(Catalog catalog, OperationStore store, StepActions actions, Optional<Scheduler> scheduler) {
        this.catalog = catalog;
        this.store = store;
        this.actions = actions;
        this.scheduler = scheduler;
    }

    /** The engine's parts: where operations live and what runs them. */
    public record Parts(Jdbi jdbi, DataSource dataSource, Catalog catalog, List<ResourceDriver> drivers, Secrets secrets, Clock clock,
                        List<com.github.kagkarlsson.scheduler.task.Task<?>> moreTasks) {}

    /** Starts the engine; with {@code execute} false this node only queues (no scheduler role). */
    public static Provisioning start(Parts parts, ProvisionSettings settings, boolean execute) {
        OperationStore store = new OperationStore(parts.jdbi(), parts.clock());
        StepActions actions = new StepActions(parts.catalog(), parts.drivers(), parts.secrets());
        Provisioning[] self = new Provisioning[1];
        Optional<Scheduler> scheduler = Optional.empty();
        if (execute) {
            OperationRunner runner = new OperationRunner(store, actions, settings, parts.clock(), () -> self[0].signalFinished());
            CustomTask<Void> task = Tasks.custom(OperationStore.TASK, Void.class)
                    .onFailure((complete, ops) -> ops.reschedule(complete, Instant.now().plusSeconds(1)))
                    .execute((instance, context) -> runner.run(UUID.fromString(instance.getId())));
            // Recurring tasks (e.g. the collection of unused modules) are scheduled at start; the rest run when queued.
            List<RecurringTask<?>> recurring = parts.moreTasks().stream()
                    .filter(t -> t instanceof RecurringTask<?>).<RecurringTask<?>>map(t -> (RecurringTask<?>) t).toList();
            List<com.github.kagkarlsson.scheduler.task.Task<?>> tasks = new ArrayList<>(parts.moreTasks());
            tasks.removeAll(recurring);
            tasks.add(task);
            Scheduler s = Scheduler.create(parts.dataSource(), tasks)
                    .startTasks(recurring)
                    .threads(settings.threads())
                    .pollingInterval(Duration.ofMillis(250))
                    .heartbeatInterval(Duration.ofSeconds(1))
                    .missedHeartbeatsLimit(4)
                    .schedulerName(new SchedulerName.Fixed(settings.nodeName()))
                    .tableName("scheduled_tasks")
                    .shutdownMaxWait(Duration.ofSeconds(5))
                    .build();
            s.start();
            scheduler = Optional.of(s);
        }
        self[0] = new Provisioning(parts.catalog(), store, actions, scheduler);
        return self[0];
    }

    private void signalFinished() {
        synchronized (finished) {
            finished.notifyAll();
        }
    }

    private void wake() {
        scheduler.ifPresent(Scheduler::triggerCheckForDueExecutions);
    }

    private Started queue(Tenant tenant, Operation.Kind kind, List<String> steps, Map<String, Object> params, Actor actor) {
        Operation op = store.jdbi().inTransaction(h -> store.queue(h, tenant.id(), kind, steps, params, actor));
        wake();
        return new Started(tenant, op);
    }

    private List<String> resourceSteps(String verb, boolean reverse) {
        List<String> kinds = new ArrayList<>(actions.kinds());
        if (reverse) {
            java.util.Collections.reverse(kinds);
        }
        return kinds.stream().map(k -> k + "." + verb).toList();
    }

    private List<String> steps(List<String> resources, String last) {
        List<String> all = new ArrayList<>(resources);
        all.add(last);
        return all;
    }

    @Override
    public Started createTenant(Tenants.NewTenant request, Actor actor) {
        // The tenant row and its queued operation commit together (JDBI joins the outer transaction).
        Started started = store.jdbi().inTransaction(h -> {
            Tenant tenant = catalog.tenants().create(request, actor);
            Operation op = store.queue(h, tenant.id(), Operation.Kind.CREATE_TENANT,
                    steps(resourceSteps("apply", false), "tenant.activate"), Map.of(), actor);
            return new Started(tenant, op);
        });
        wake();
        return started;
    }

    @Override
    public Started updateTenant(String ref, Tenants.Patch patch, OptionalInt expectedVersion, Actor actor) {
        Tenant tenant = catalog.tenants().checkUpdate(ref, patch, expectedVersion);
        Map<String, Object> params = new LinkedHashMap<>();
        patch.displayName().ifPresent(v -> params.put("displayName", v));
        patch.plan().ifPresent(v -> params.put("plan", v));
        patch.labels().ifPresent(v -> params.put("labels", v));
        expectedVersion.ifPresent(v -> params.put("expectedVersion", v));
        return queue(tenant, Operation.Kind.UPDATE_TENANT, List.of("tenant.update"), params, actor);
    }

    @Override
    public Started suspendTenant(String ref, Optional<String> reason, Actor actor) {
        Tenant tenant = requireStatus(ref, Status.ACTIVE, "suspend");
        busy(tenant, Operation.Kind.SUSPEND_TENANT);
        Map<String, Object> params = new LinkedHashMap<>();
        reason.ifPresent(r -> params.put("reason", r));
        return queue(tenant, Operation.Kind.SUSPEND_TENANT, steps(resourceSteps("suspend", false), "tenant.suspend"), params, actor);
    }

    @Override
    public Started resumeTenant(String ref, Actor actor) {
        Tenant tenant = requireStatus(ref, Status.SUSPENDED, "resume");
        busy(tenant, Operation.Kind.RESUME_TENANT);
        return queue(tenant, Operation.Kind.RESUME_TENANT, steps(resourceSteps("resume", false), "tenant.resume"), Map.of(), actor);
    }

    @Override
    public Started deleteTenant(String ref, Actor actor) {
        Started started = store.jdbi().inTransaction(h -> {
            Tenant tenant = catalog.tenants().move(ref, EnumSet.of(Status.PROVISIONING, Status.ACTIVE, Status.SUSPENDED, Status.FAILED),
                    Status.DELETING, Optional.empty(), "delete", actor);
            Operation op = store.queue(h, tenant.id(), Operation.Kind.DELETE_TENANT,
                    steps(resourceSteps("destroy", true), "tenant.delete"), Map.of(), actor);
            return new Started(tenant, op);
        });
        wake();
        return started;
    }

    @Override
    public Started rotateCredentials(String ref, Actor actor) {
        Tenant tenant = requireStatus(ref, Status.ACTIVE, "rotate the credentials of");
        busy(tenant, Operation.Kind.ROTATE_CREDENTIALS);
        return queue(tenant, Operation.Kind.ROTATE_CREDENTIALS, resourceSteps("rotate", false), Map.of(), actor);
    }

    private Tenant requireStatus(String ref, Status status, String action) {
        Tenant tenant = catalog.tenants().get(ref);
        if (tenant.status() != status) {
            throw new CatalogException.IllegalTransition(tenant.id(), tenant.status(), action);
        }
        return tenant;
    }

    private void busy(Tenant tenant, Operation.Kind kind) {
        store.unfinishedOfKind(tenant.id(), kind).ifPresent(op -> {
            throw new CatalogException.Conflict("tenant " + tenant.id() + " already has a " + kind.wire()
                    + " operation in progress: " + op.id());
        });
    }

    @Override
    public Operation get(String id) {
        return store.get(id);
    }

    @Override
    public List<Operation> forTenant(String tenantRef) {
        return store.forTenant(catalog.tenants().get(tenantRef).id());
    }

    @Override
    public Operation retry(String id, Actor actor) {
        Operation op = store.get(id);
        if (op.state() != Operation.State.FAILED) {
            throw new CatalogException.Conflict("operation " + op.id() + " is " + op.state().wire() + "; only a failed operation can be retried");
        }
        store.oldestUnfinished(op.tenantId()).ifPresent(running -> {
            throw new CatalogException.Conflict("tenant " + op.tenantId() + " has operation " + running
                    + " in progress; retry " + op.id() + " when it has finished (two operations of a tenant never run at once)");
        });
        actions.reopened(op);
        store.jdbi().useTransaction(h -> store.reopen(h, op.id()));
        wake();
        return store.get(id);
    }

    @Override
    public Operation await(String id, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Operation op = store.get(id);
        while (!op.state().finished() && Instant.now().isBefore(deadline)) {
            synchronized (finished) {
                try {
                    finished.wait(Math.max(1, Math.min(200, Duration.between(Instant.now(), deadline).toMillis())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return op;
                }
            }
            op = store.get(id);
        }
        return op;
    }

    @Override
    public Map<String, Object> credentials(String tenantRef) {
        Tenant tenant = catalog.tenants().get(tenantRef);
        Map<String, Object> out = new LinkedHashMap<>();
        for (Bindings.ResourceBinding b : catalog.bindings().list(tenant.id())) {
            actions.driver(b.kind()).ifPresent(driver -> out.put(b.kind(), driver.credentials(
                    new TenantHandle(tenant.id(), tenant.slug(), tenant.tier(), catalog.plans().get(tenant.plan())),
                    new Binding(b.kind(), b.server(), b.name(), b.secretRef()), actions.secrets())));
        }
        return out;
    }

    /** Every tenant resource the drivers see on their servers, by driver kind (for orphan checks). */
    public Map<String, java.util.Set<String>> inventory() {
        Map<String, java.util.Set<String>> out = new LinkedHashMap<>();
        for (String kind : actions.kinds()) {
            out.put(kind, actions.driver(kind).orElseThrow().inventory());
        }
        return out;
    }

    @Override
    public void close() {
        scheduler.ifPresent(Scheduler::stop);
    }
}
