package dev.tenantry.runtime;

/**
 * A worker's lifecycle: {@code Starting → Idle} (generic, in the pool) {@code → Assigned(tenant)}
 * (specialised; for life) {@code → Draining → Dead(reason)}. A worker serves several requests
 * of its tenant at once; how many it holds is the invoker's count, not a state.
 */
public sealed interface WorkerState {
    record Starting() implements WorkerState {}

    record Idle() implements WorkerState {}

    record Assigned(String tenantId) implements WorkerState {}

    record Draining(String reason) implements WorkerState {}

    record Dead(String reason) implements WorkerState {}
}
