package dev.tenantry.provision;

import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.ExecutionOperations;
import dev.tenantry.catalog.CatalogException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one operation when db-scheduler hands it over: the remaining steps in order, each
 * persisted before and after. A failed try is rescheduled with back-off (the thread is not held);
 * the last failed try compensates the completed steps in reverse and fails the operation. A node
 * that dies mid-step leaves the execution to db-scheduler's dead-execution detection, and the
 * idempotent step simply runs again elsewhere.
 */
final class OperationRunner {
    private static final Logger LOG = LoggerFactory.getLogger(OperationRunner.class);
    private static final Duration WAIT_FOR_TURN = Duration.ofMillis(150);
    private static final int COMPENSATION_TRIES = 3;
    private final OperationStore store;
    private final StepActions actions;
    private final ProvisionSettings settings;
    private final Clock clock;
    private final Runnable finishedListener;

    OperationRunner(OperationStore store, StepActions actions, ProvisionSettings settings, Clock clock, Runnable finishedListener) {
        this.store = store;
        this.actions = actions;
        this.settings = settings;
        this.clock = clock;
        this.finishedListener = finishedListener;
    }

    CompletionHandler<Void> run(UUID id) {
        Optional<Operation> found = store.find(id);
        if (found.isEmpty() || found.get().state().finished()) {
            return remove();
        }
        Operation op = found.get();
        if (!store.oldestUnfinished(op.tenantId()).orElse(id).equals(id)) {
            return rescheduleIn(WAIT_FOR_TURN); // another operation of this tenant goes first
        }
        if (op.state() == Operation.State.COMPENSATING) {
            return compensate(op, op.error().orElse("failed"));
        }
        if (op.state() == Operation.State.QUEUED) {
            store.setState(id, Operation.State.RUNNING, Optional.empty());
        }
        for (Operation.Step step : op.steps()) {
            if (step.state().equals("done") || step.state().equals("skipped")) {
                continue;
            }
            int attempt = store.beginStep(id, step.position());
            try {
                actions.apply(op, step.name());
                store.endStep(id, step.position(), "done", Optional.empty());
            } catch (RuntimeException e) {
                String reason = step.name() + " failed (attempt " + attempt + " of " + settings.maxAttempts() + "): " + describe(e);
                LOG.atWarn().addKeyValue("operation", id).addKeyValue("tenant", op.tenantId()).addKeyValue("step", step.name())
                        .log(reason);
                if (attempt < settings.maxAttempts() && retryable(e)) {
                    store.endStep(id, step.position(), "retrying", Optional.of(describe(e)));
                    return rescheduleIn(settings.backoff(attempt));
                }
                store.endStep(id, step.position(), "failed", Optional.of(describe(e)));
                store.setState(id, Operation.State.COMPENSATING, Optional.of(reason));
                return compensate(store.find(id).orElseThrow(), reason);
            }
        }
        store.setState(id, Operation.State.SUCCEEDED, Optional.empty());
        LOG.atInfo().addKeyValue("operation", id).addKeyValue("tenant", op.tenantId()).addKeyValue("kind", op.kind().wire())
                .log("operation succeeded");
        finishedListener.run();
        return remove();
    }

    private CompletionHandler<Void> compensate(Operation op, String reason) {
        // The failed step may have done half its work (a role without its schema): undo it too.
        List<Operation.Step> done = op.steps().stream()
                .filter(s -> s.state().equals("done") || s.state().equals("failed")).toList();
        List<String> leftovers = new ArrayList<>();
        for (int i = done.size() - 1; i >= 0; i--) {
            Operation.Step step = done.get(i);
            Optional<String> error = compensateStep(op, step);
            if (error.isPresent()) {
                leftovers.add(step.name() + " (" + error.get() + ")"); // keep undoing the others
            } else if (step.state().equals("done")) {
                store.endStep(op.id(), step.position(), "compensated", Optional.empty());
            }
        }
        String outcome = leftovers.isEmpty() ? reason : reason + "; undoing " + String.join(", ", leftovers)
                + " failed too, so its resources may remain: retry the operation, or delete the tenant";
        actions.failed(op, outcome); // the tenant first: whoever sees the operation failed sees the tenant failed
        store.setState(op.id(), Operation.State.FAILED, Optional.of(outcome));
        LOG.atWarn().addKeyValue("operation", op.id()).addKeyValue("tenant", op.tenantId()).log("operation failed: " + outcome);
        finishedListener.run();
        return remove();
    }

    private Optional<String> compensateStep(Operation op, Operation.Step step) {
        String last = "";
        for (int attempt = 1; attempt <= COMPENSATION_TRIES; attempt++) {
            try {
                actions.compensate(op, step.name());
                return Optional.empty();
            } catch (RuntimeException e) {
                last = describe(e);
                sleep(settings.backoff(attempt));
            }
        }
        return Optional.of(last);
    }

    private static boolean retryable(RuntimeException e) {
        return !(e instanceof CatalogException); // the catalog said no: trying again says no again
    }

    static String describe(Throwable e) {
        Throwable t = e;
        StringBuilder s = new StringBuilder(String.valueOf(e.getMessage()));
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            if (t.getMessage() != null && !s.toString().contains(t.getMessage())) {
                s.append(": ").append(t.getMessage());
            }
        }
        return s.length() > 500 ? s.substring(0, 500) + "..." : s.toString();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CompletionHandler<Void> rescheduleIn(Duration delay) {
        return (ExecutionComplete complete, ExecutionOperations<Void> ops) -> ops.reschedule(complete, clock.instant().plus(delay));
    }

    private static CompletionHandler<Void> remove() {
        return new CompletionHandler.OnCompleteRemove<>();
    }
}
