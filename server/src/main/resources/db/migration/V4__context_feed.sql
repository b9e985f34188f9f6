-- The read side of the catalog: a change feed of tenant contexts, numbered in commit order.
--
-- Every transaction that changes what a tenant's context holds (tenants, domains, API keys,
-- resource bindings, routes) or a plan appends one change per touched entity, at commit time,
-- from deferred constraint triggers: nothing in Java can forget to publish.
--
-- Why the numbers are gap-free and in commit order as readers see them: a change takes its
-- number by updating the single row of context_sequence, which holds that row's lock until the
-- transaction ends. A second writer waits for the lock, so it can only take number N+1 after
-- the holder of N has committed (or rolled back, releasing N again). A reader that sees N+1
-- therefore already sees N. The body is read after the lock is taken, so it reflects every
-- change numbered before it. The lock is held only from the deferred triggers to the commit.

create table context_sequence (
    id   boolean primary key default true check (id),
    last bigint not null
);
insert into context_sequence (id, last) values (true, 0);

create table context_changes (
    seq          bigint primary key,
    entity       text not null check (entity in ('tenant', 'plan', 'resync')),
    key          text not null,
    body         jsonb,  -- the entity's state after the change; null when it is gone
    committed_at timestamptz not null default clock_timestamp()
);
create index context_changes_committed_at on context_changes (committed_at);

-- The current state of every entity, written in the same transaction as its change: a
-- snapshot is this table and context_sequence.last read in one REPEATABLE READ transaction.
create table context_state (
    entity text not null,
    key    text not null,
    seq    bigint not null,
    body   jsonb not null,
    xid    xid8 not null default pg_current_xact_id(), -- the transaction that last published it
    primary key (entity, key)
);

-- Per-tenant routes: path prefix -> upstreams, replaced as a whole by PUT /v1/tenants/{id}/routes.
create table tenant_routes (
    tenant_id  uuid primary key references tenants (id),
    routes     jsonb not null,
    version    integer not null default 1,
    updated_at timestamptz not null
);

create function context_time(t timestamptz) returns text language sql immutable as $$
    select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

create function context_plan_body(p text) returns jsonb language sql stable as $$
    select jsonb_build_object(
        'name', name, 'tier', tier, 'ratePerSecond', rate_per_second, 'burst', burst,
        'dailyQuota', daily_quota, 'maxConcurrency', max_concurrency, 'memoryMb', memory_mb,
        'timeoutMs', timeout_ms, 'egressAllowed', egress_allowed, 'version', version)
    from plans where name = p
$$;

-- A tenant's context: everything the data plane needs, locations but never passwords.
create function context_tenant_body(t uuid) returns jsonb language sql stable as $$
    select jsonb_build_object(
        'id', tn.id, 'slug', tn.slug, 'name', tn.display_name, 'status', tn.status,
        'statusReason', tn.status_reason, 'plan', tn.plan, 'tier', tn.tier, 'region', tn.region,
        'labels', tn.labels, 'version', tn.version,
        'hostnames', coalesce((select jsonb_agg(d.hostname order by d.kind = 'default' desc, d.hostname)
                               from domains d where d.tenant_id = tn.id), '[]'::jsonb),
        'apiKeys', coalesce((select jsonb_agg(jsonb_build_object(
                                 'id', k.id, 'prefix', k.prefix, 'hash', encode(k.hash, 'hex'),
                                 'scopes', to_jsonb(k.scopes), 'expiresAt', context_time(k.expires_at))
                                 order by k.prefix)
                             from api_keys k where k.tenant_id = tn.id and k.revoked_at is null), '[]'::jsonb),
        'bindings', coalesce((select jsonb_agg(jsonb_build_object(
                                  'kind', b.kind, 'tier', b.tier, 'server', b.server, 'name', b.name,
                                  'state', b.state) order by b.kind, b.name)
                              from resource_bindings b where b.tenant_id = tn.id), '[]'::jsonb),
        'routes', coalesce((select r.routes from tenant_routes r where r.tenant_id = tn.id), '[]'::jsonb),
        'routesVersion', coalesce((select r.version from tenant_routes r where r.tenant_id = tn.id), 0))
    from tenants tn where tn.id = t and tn.status <> 'deleted'
$$;

-- Appends one change (once per entity per transaction) and keeps context_state current.
-- The deferred triggers fire at commit, after every statement of the transaction: the first
-- firing for an entity publishes its final state, later firings for it find their own
-- transaction's mark on context_state and return (an entity removed twice publishes twice;
-- readers apply the removal idempotently).
create function context_publish(p_entity text, p_key text) returns void language plpgsql as $$
declare
    s bigint;
    b jsonb;
begin
    if exists (select 1 from context_state
               where entity = p_entity and key = p_key and xid = pg_current_xact_id()) then
        return;
    end if;
    update context_sequence set last = last + 1 returning last into s;
    b := case p_entity when 'tenant' then context_tenant_body(p_key::uuid) else context_plan_body(p_key) end;
    insert into context_changes (seq, entity, key, body) values (s, p_entity, p_key, b);
    if b is null then
        delete from context_state where entity = p_entity and key = p_key;
    else
        insert into context_state (entity, key, seq, body, xid) values (p_entity, p_key, s, b, pg_current_xact_id())
        on conflict (entity, key) do update set seq = excluded.seq, body = excluded.body, xid = excluded.xid;
    end if;
    perform pg_notify('tenantry_context', ''); -- no payload: one wake-up per transaction however many changes
end
$$;

create function context_on_tenant() returns trigger language plpgsql as $$
begin
    perform context_publish('tenant', (case when tg_op = 'DELETE' then old.id else new.id end)::text);
    return null;
end
$$;

create function context_on_tenant_part() returns trigger language plpgsql as $$
begin
    perform context_publish('tenant', (case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end)::text);
    return null;
end
$$;

create function context_on_plan() returns trigger language plpgsql as $$
begin
    perform context_publish('plan', case when tg_op = 'DELETE' then old.name else new.name end);
    return null;
end
$$;

create constraint trigger context_tenants after insert or update or delete on tenants
    deferrable initially deferred for each row execute function context_on_tenant();
create constraint trigger context_domains after insert or update or delete on domains
    deferrable initially deferred for each row execute function context_on_tenant_part();
create constraint trigger context_api_keys after insert or update or delete on api_keys
    deferrable initially deferred for each row execute function context_on_tenant_part();
create constraint trigger context_bindings after insert or update or delete on resource_bindings
    deferrable initially deferred for each row execute function context_on_tenant_part();
create constraint trigger context_routes after insert or update or delete on tenant_routes
    deferrable initially deferred for each row execute function context_on_tenant_part();
create constraint trigger context_plans after insert or update or delete on plans
    deferrable initially deferred for each row execute function context_on_plan();

-- The repair tool: rebuilds every entity's state from the catalog and appends one 'resync'
-- change; readers that see it reload the snapshot. Returns the resync's number.
create function context_resync() returns bigint language plpgsql as $$
declare
    s bigint;
begin
    update context_sequence set last = last + 1 returning last into s;
    delete from context_state;
    insert into context_state (entity, key, seq, body)
        select 'plan', name, s, context_plan_body(name) from plans;
    insert into context_state (entity, key, seq, body)
        select 'tenant', id::text, s, context_tenant_body(id) from tenants where status <> 'deleted';
    insert into context_changes (seq, entity, key, body) values (s, 'resync', '', null);
    perform pg_notify('tenantry_context', ''); -- no payload: one wake-up per transaction however many changes
    return s;
end
$$;

select context_resync();
