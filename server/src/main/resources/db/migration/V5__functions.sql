-- Tenant functions (serverless webhooks): each deploy is a new immutable version; a version is
-- active once every npm module it names is built. Modules are built once for the whole system.

create table functions (
    tenant_id      uuid    not null references tenants (id) on delete cascade,
    name           text    not null check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    latest_version integer not null,
    active_version integer,               -- null until a version is ready
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    primary key (tenant_id, name)
);

create table function_versions (
    tenant_id    uuid    not null,
    name         text    not null,
    version      integer not null check (version > 0),
    state        text    not null check (state in ('pending', 'ready', 'failed')),
    error        text,
    entry        text    not null,
    files        jsonb   not null,          -- {"path": "<base64>"}: the code as deployed
    code_sha256  text    not null,
    code_bytes   integer not null,
    dependencies jsonb   not null default '{}'::jsonb,  -- as asked: {"name": "range"}
    modules      jsonb   not null default '{}'::jsonb,  -- as resolved: {"name": "exact version"}
    env          jsonb   not null default '{}'::jsonb,
    secret_names text[]  not null default '{}',
    secrets_nonce bytea,
    secrets      bytea,                     -- AES-GCM sealed JSON object; never returned
    timeout_ms   integer not null check (timeout_ms > 0),
    memory_mb    integer not null check (memory_mb > 0),
    created_at   timestamptz not null default now(),
    created_by   text    not null,
    primary key (tenant_id, name, version),
    foreign key (tenant_id, name) references functions (tenant_id, name) on delete cascade
);

-- Names of deleted functions and their last version: a function made again under the same name
-- continues the numbering, so (tenant, name, version) never names two different codes.
create table function_retired_names (
    tenant_id    uuid    not null references tenants (id) on delete cascade,
    name         text    not null,
    last_version integer not null,
    primary key (tenant_id, name)
);

create table modules (
    name         text not null,
    version      text not null,
    state        text not null check (state in ('queued', 'building', 'available', 'failed')),
    sha256       text,
    bytes        bigint,
    error        text,
    attempts     integer not null default 0,
    requested_at timestamptz not null default now(),
    built_at     timestamptz,
    primary key (name, version)
);

create table function_logs (
    id         bigserial primary key,
    tenant_id  uuid    not null,
    name       text    not null,
    version    integer,
    request_id text    not null,
    stream     text    not null check (stream in ('stdout', 'stderr')),
    line       text    not null,
    at         timestamptz not null default now()
);
create index function_logs_by_function on function_logs (tenant_id, name, id);

-- The data plane learns each function's active version from the tenant's context.
create or replace function context_tenant_body(t uuid) returns jsonb language sql stable as $$
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
        'routesVersion', coalesce((select r.version from tenant_routes r where r.tenant_id = tn.id), 0),
        'functions', coalesce((select jsonb_object_agg(f.name, f.active_version)
                               from functions f where f.tenant_id = tn.id and f.active_version is not null),
                              '{}'::jsonb))
    from tenants tn where tn.id = t and tn.status <> 'deleted'
$$;

create constraint trigger context_functions after insert or update or delete on functions
    deferrable initially deferred for each row execute function context_on_tenant_part();

select context_resync();
