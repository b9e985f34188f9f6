package dev.tenantry.sdk.context;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every tenant's context in memory, looked up by id, slug, hostname or API-key prefix in O(1)
 * with no I/O. One writer applies changes in feed order ({@link #apply}) or swaps in a whole
 * snapshot ({@link #replace}); any number of threads read concurrently.
 */
public final class ContextIndex {
    private static final ObjectMapper JSON = new ObjectMapper();
    private volatile State state = new State(0);
    private final List<ContextListener> listeners = new CopyOnWriteArrayList<>();

    /** An API key found by its prefix, with the tenant it belongs to. */
    public record KeyEntry(TenantContext tenant, TenantContext.ApiKey key) {
    }

    /** What {@link #apply} did with a change. */
    public enum Applied { APPLIED, ALREADY_SEEN, GAP, RESYNC }

    private static final class State {
        final long startSeq;
        volatile long seq;
        final Map<String, PlanLimits> plans = new ConcurrentHashMap<>();
        final Map<String, TenantContext> byId = new ConcurrentHashMap<>();
        final Map<String, TenantContext> bySlug = new ConcurrentHashMap<>();
        final HostTable byHost = new HostTable();
        final Map<String, KeyEntry> byKeyPrefix = new ConcurrentHashMap<>();

        State(long seq) {
            this.startSeq = seq;
            this.seq = seq;
        }
    }

    /** The number of the last change this index holds. */
    public long seq() {
        return state.seq;
    }

    public Optional<TenantContext> byId(String id) {
        return Optional.ofNullable(state.byId.get(id));
    }

    public Optional<TenantContext> bySlug(String slug) {
        return Optional.ofNullable(state.bySlug.get(slug));
    }

    /** By hostname, case-insensitively, with or without a {@code :port} and a trailing dot. */
    public Optional<TenantContext> byHost(String host) {
        return Optional.ofNullable(host(host));
    }

    /**
     * {@link #byHost} without the Optional, for hot paths: null when no tenant has the host. Makes no
     * new string unless the host has a non-ASCII character before its port.
     */
    public TenantContext host(String host) {
        return host == null ? null : state.byHost.get(host);
    }

    /** The live API key with this prefix (the part between the first and second underscore). */
    public Optional<KeyEntry> byKeyPrefix(String prefix) {
        return Optional.ofNullable(state.byKeyPrefix.get(prefix));
    }

    public Optional<PlanLimits> plan(String name) {
        return Optional.ofNullable(state.plans.get(name));
    }

    public List<TenantContext> tenants() {
        return List.copyOf(state.byId.values());
    }

    public List<PlanLimits> plans() {
        return List.copyOf(state.plans.values());
    }

    public int size() {
        return state.byId.size();
    }

    public void addListener(ContextListener listener) {
        listeners.add(listener);
    }

    public void removeListener(ContextListener listener) {
        listeners.remove(listener);
    }

    /** Lower-cased, without port or trailing dot; one pass, at most one new string. */
    public static String normalizeHost(String host) {
        return HostTable.normalize(host);
    }

    /** Every plan and tenant as of {@link #seq}, consistent (no change is applied meanwhile). */
    public synchronized ContextSnapshot snapshot() {
        State s = state;
        return new ContextSnapshot(s.seq, List.copyOf(s.plans.values()), List.copyOf(s.byId.values()));
    }

    /** Swaps in a whole snapshot; listeners hear of every tenant that differs from before. */
    public synchronized void replace(ContextSnapshot snapshot) {
        State next = new State(snapshot.seq());
        for (PlanLimits plan : snapshot.plans()) {
            next.plans.put(plan.name(), plan);
        }
        for (TenantContext tenant : snapshot.tenants()) {
            put(next, tenant.withLimits(next.plans.get(tenant.plan())));
        }
        State before = state;
        state = next;
        Set<String> ids = new HashSet<>(before.byId.keySet());
        ids.addAll(next.byId.keySet());
        for (String id : ids) {
            TenantContext old = before.byId.get(id);
            TenantContext now = next.byId.get(id);
            if (old == null || !old.equals(now)) {
                fire(old, now);
            }
        }
    }

    /**
     * Applies the next change. A change already held is skipped; one that is not the next number
     * is refused ({@link Applied#GAP}) and a {@code resync} entry is not applied
     * ({@link Applied#RESYNC}): in both cases the caller reloads a snapshot.
     */
    public synchronized Applied apply(ContextChange change) {
        State s = state;
        if (change.seq() <= s.seq) {
            return Applied.ALREADY_SEEN;
        }
        if (change.seq() != s.seq + 1) {
            return Applied.GAP;
        }
        switch (change.entity()) {
            case ContextChange.TENANT -> applyTenant(s, change);
            case ContextChange.PLAN -> applyPlan(s, change);
            case ContextChange.RESYNC -> {
                return Applied.RESYNC;
            }
            default -> { } // an entity this version does not know: skip it, keep the numbering
        }
        s.seq = change.seq();
        return Applied.APPLIED;
    }

    private void applyTenant(State s, ContextChange change) {
        TenantContext before = s.byId.get(change.key());
        TenantContext after = null;
        if (change.body() != null && !change.body().isNull()) {
            TenantContext parsed = JSON.convertValue(change.body(), TenantContext.class);
            after = parsed.withLimits(s.plans.get(parsed.plan()));
            put(s, after);
        }
        if (before != null) {
            remove(s, before); // after the new entries are in: a reader never finds the tenant missing
        }
        fire(before, after);
    }

    private void applyPlan(State s, ContextChange change) {
        if (change.body() == null || change.body().isNull()) {
            s.plans.remove(change.key());
            return;
        }
        PlanLimits plan = JSON.convertValue(change.body(), PlanLimits.class);
        s.plans.put(plan.name(), plan);
        List<TenantContext> affected = new ArrayList<>();
        for (TenantContext tenant : s.byId.values()) {
            if (plan.name().equals(tenant.plan())) {
                affected.add(tenant);
            }
        }
        Map<TenantContext, TenantContext> changed = new HashMap<>();
        for (TenantContext tenant : affected) {
            TenantContext now = tenant.withLimits(plan);
            put(s, now);
            remove(s, tenant);
            changed.put(tenant, now);
        }
        changed.forEach(this::fire);
    }

    private static void put(State s, TenantContext tenant) {
        s.byId.put(tenant.id(), tenant);
        s.bySlug.put(tenant.slug(), tenant);
        for (String host : tenant.hostnames()) {
            s.byHost.put(normalizeHost(host), tenant);
        }
        for (TenantContext.ApiKey key : tenant.apiKeys()) {
            s.byKeyPrefix.put(key.prefix(), new KeyEntry(tenant, key));
        }
    }

    /**
     * Removes the entries that still point at this very instance: a newer instance's entries stay,
     * even when it is equal in content (records compare by value, so this compares identity).
     */
    private static void remove(State s, TenantContext tenant) {
        removeIfSame(s.byId, tenant.id(), tenant);
        removeIfSame(s.bySlug, tenant.slug(), tenant);
        for (String host : tenant.hostnames()) {
            s.byHost.removeIfSame(normalizeHost(host), tenant);
        }
        for (TenantContext.ApiKey key : tenant.apiKeys()) {
            s.byKeyPrefix.computeIfPresent(key.prefix(), (k, entry) -> entry.tenant() == tenant ? null : entry);
        }
    }

    private static void removeIfSame(Map<String, TenantContext> map, String key, TenantContext tenant) {
        map.computeIfPresent(key, (k, current) -> current == tenant ? null : current);
    }

    private void fire(TenantContext before, TenantContext after) {
        for (ContextListener listener : listeners) {
            try {
                listener.changed(before, after);
            } catch (RuntimeException e) {
                System.getLogger(ContextIndex.class.getName()).log(System.Logger.Level.WARNING,
                        "a context listener failed: " + e);
            }
        }
    }
}
