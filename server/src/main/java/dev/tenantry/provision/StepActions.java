package dev.tenantry.provision;

import dev.tenantry.catalog.Actor;
import dev.tenantry.catalog.Bindings;
import dev.tenantry.catalog.Catalog;
import dev.tenantry.catalog.Status;
import dev.tenantry.catalog.Tenant;
import dev.tenantry.catalog.Tenants;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What each step name does, and how it is undone. Step names are {@code <resource>.<verb>}:
 * {@code postgres.apply}, {@code redis.destroy}, {@code tenant.activate}, … Every action is
 * idempotent, so a step that ran half-way before a crash simply runs again.
 */
final class StepActions {
    private final Catalog catalog;
    private final Map<String, ResourceDriver> drivers;
    private final Secrets secrets;

    StepActions(Catalog catalog, List<ResourceDriver> drivers, Secrets secrets) {
        this.catalog = catalog;
        this.drivers = new LinkedHashMap<>();
        drivers.forEach(d -> this.drivers.put(d.kind(), d));
        this.secrets = secrets;
    }

    /** The driver kinds in creation order (postgres first). */
    List<String> kinds() {
        return List.copyOf(drivers.keySet());
    }

    Secrets secrets() {
        return secrets;
    }

    Optional<ResourceDriver> driver(String kind) {
        return Optional.ofNullable(drivers.get(kind));
    }

    void apply(Operation op, String step) {
        String[] parts = step.split("\\.", 2);
        Actor actor = actor(op);
        if (parts[0].equals("tenant")) {
            tenantStep(op, parts[1], actor);
            return;
        }
        ResourceDriver driver = driver(parts[0]).orElseThrow(() ->
                new ProvisionException("no " + parts[0] + " driver is configured on this node"));
        TenantHandle tenant = handle(op);
        Optional<Bindings.ResourceBinding> bound = bound(op, driver.kind());
        switch (parts[1]) {
            case "apply" -> record(tenant, driver.apply(tenant, secrets), bound, actor);
            case "destroy" -> {
                driver.destroy(tenant);
                catalog.bindings().remove(tenant.id(), driver.kind(), actor);
                bound.flatMap(Bindings.ResourceBinding::secretRef).ifPresent(secrets::forget);
            }
            case "suspend" -> bound.ifPresent(b -> {
                driver.suspend(tenant);
                catalog.bindings().setState(tenant.id(), driver.kind(), "suspended");
            });
            case "resume" -> bound.ifPresent(b -> {
                driver.resume(tenant);
                catalog.bindings().setState(tenant.id(), driver.kind(), "active");
            });
            case "rotate" -> bound.ifPresent(b -> record(tenant, driver.rotate(tenant, secrets), bound, actor));
            default -> throw new IllegalStateException("unknown step " + step);
        }
    }

    /** Undoes a completed step, or does nothing when the step has no undo. */
    void compensate(Operation op, String step) {
        String[] parts = step.split("\\.", 2);
        if (parts[0].equals("tenant")) {
            return;
        }
        switch (parts[1]) {
            case "apply" -> apply(op, parts[0] + ".destroy");
            case "suspend" -> apply(op, parts[0] + ".resume");
            case "resume" -> apply(op, parts[0] + ".suspend");
            default -> { } // destroy and rotate cannot be undone
        }
    }

    /** After compensation: what the tenant's status becomes when its operation has failed. */
    void failed(Operation op, String reason) {
        Optional<Status> from = switch (op.kind()) {
            case CREATE_TENANT -> Optional.of(Status.PROVISIONING);
            case DELETE_TENANT -> Optional.of(Status.DELETING);
            default -> Optional.empty();
        };
        from.ifPresent(status -> {
            try {
                catalog.tenants().move(op.tenantId().toString(), EnumSet.of(status), Status.FAILED,
                        Optional.of(reason.length() > 190 ? reason.substring(0, 190) + "..." : reason), "fail", actor(op));
            } catch (dev.tenantry.catalog.CatalogException.IllegalTransition moved) {
                // someone else moved it (e.g. a delete overtook a create): their operation decides
            }
        });
    }

    /** Before a retry: the tenant goes back to the status the operation expects. */
    void reopened(Operation op) {
        switch (op.kind()) {
            case CREATE_TENANT -> catalog.tenants().move(op.tenantId().toString(), EnumSet.of(Status.FAILED, Status.PROVISIONING),
                    Status.PROVISIONING, Optional.empty(), "retry", actor(op));
            case DELETE_TENANT -> catalog.tenants().move(op.tenantId().toString(), EnumSet.of(Status.FAILED, Status.DELETING),
                    Status.DELETING, Optional.empty(), "retry", actor(op));
            default -> { }
        }
    }

    private void tenantStep(Operation op, String verb, Actor actor) {
        String id = op.tenantId().toString();
        Tenants tenants = catalog.tenants();
        switch (verb) {
            case "activate" -> tenants.move(id, EnumSet.of(Status.PROVISIONING, Status.ACTIVE), Status.ACTIVE, Optional.empty(), "activate", actor);
            case "suspend" -> tenants.move(id, EnumSet.of(Status.ACTIVE, Status.SUSPENDED), Status.SUSPENDED,
                    Optional.ofNullable((String) op.params().get("reason")), "suspend", actor);
            case "resume" -> tenants.move(id, EnumSet.of(Status.SUSPENDED, Status.ACTIVE), Status.ACTIVE, Optional.empty(), "resume", actor);
            case "delete" -> tenants.finishDelete(id, actor);
            case "update" -> tenants.update(id, patch(op.params()), expected(op.params()), actor);
            default -> throw new IllegalStateException("unknown step tenant." + verb);
        }
    }

    @SuppressWarnings("unchecked")
    private static Tenants.Patch patch(Map<String, Object> params) {
        return new Tenants.Patch(Optional.ofNullable((String) params.get("displayName")),
                Optional.ofNullable((String) params.get("plan")),
                Optional.ofNullable((Map<String, String>) params.get("labels")));
    }

    private static OptionalInt expected(Map<String, Object> params) {
        return params.get("expectedVersion") instanceof Number n ? OptionalInt.of(n.intValue()) : OptionalInt.empty();
    }

    private void record(TenantHandle tenant, Binding binding, Optional<Bindings.ResourceBinding> previous, Actor actor) {
        catalog.bindings().put(tenant.id(), new Bindings.ResourceBinding(tenant.id(), binding.kind(), tenant.tier(),
                binding.server(), binding.name(), "active", binding.secretRef(), java.time.Instant.now()), actor);
        previous.flatMap(Bindings.ResourceBinding::secretRef)
                .filter(old -> !binding.secretRef().equals(Optional.of(old)))
                .ifPresent(secrets::forget);
    }

    private Optional<Bindings.ResourceBinding> bound(Operation op, String kind) {
        return catalog.bindings().list(op.tenantId()).stream().filter(b -> b.kind().equals(kind)).findFirst();
    }

    TenantHandle handle(Operation op) {
        Tenant t = catalog.tenants().get(op.tenantId().toString());
        return new TenantHandle(t.id(), t.slug(), t.tier(), catalog.plans().get(t.plan()));
    }

    private static Actor actor(Operation op) {
        return new Actor(op.actor(), op.requestId());
    }
}
