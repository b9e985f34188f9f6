-- The catalog: the source of truth for tenant state. Only dev.tenantry.catalog writes here.

create table plans (
    name            text primary key,
    tier            text not null check (tier in ('pool', 'silo')),
    rate_per_second integer not null check (rate_per_second > 0),
    burst           integer not null check (burst > 0),
    daily_quota     bigint  not null check (daily_quota > 0),
    max_concurrency integer not null check (max_concurrency > 0),
    memory_mb       integer not null check (memory_mb > 0),
    timeout_ms      integer not null check (timeout_ms > 0),
    egress_allowed  boolean not null,
    version         integer not null default 1,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now()
);

insert into plans (name, tier, rate_per_second, burst, daily_quota, max_concurrency, memory_mb, timeout_ms, egress_allowed) values
    ('free',       'pool',   10,   20,     10000,   2, 128,  3000, false),
    ('standard',   'pool',  100,  200,   1000000,  10, 256, 10000, false),
    ('premium',    'pool',  500, 1000,  10000000,  50, 512, 30000, true),
    ('enterprise', 'silo', 2000, 4000, 100000000, 200, 1024, 60000, true);

create table tenants (
    id            uuid primary key,
    slug          text not null,
    display_name  text not null,
    plan          text not null references plans (name),
    tier          text not null check (tier in ('pool', 'silo')),
    region        text not null,
    status        text not null check (status in ('provisioning', 'active', 'suspended', 'deleting', 'deleted', 'failed')),
    status_reason text,
    labels        jsonb not null default '{}'::jsonb,
    version       integer not null default 1,
    created_at    timestamptz not null,
    updated_at    timestamptz not null
);
-- A slug names one live tenant; a deleted tenant's record stays (audit) and frees its slug.
create unique index tenants_live_slug on tenants (slug) where status <> 'deleted';
create index tenants_slug_pattern on tenants (slug text_pattern_ops);
create index tenants_labels on tenants using gin (labels jsonb_path_ops);
create index tenants_status_id on tenants (status, id);

create table domains (
    hostname   text primary key,
    tenant_id  uuid not null references tenants (id),
    kind       text not null check (kind in ('default', 'custom')),
    created_at timestamptz not null
);
create index domains_tenant on domains (tenant_id);

create table api_keys (
    id         uuid primary key,
    tenant_id  uuid not null references tenants (id),
    name       text not null,
    prefix     text not null unique,
    hash       bytea not null,
    scopes     text[] not null,
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null
);
create index api_keys_tenant on api_keys (tenant_id);

-- The tenant <-> resource mapping; the provisioning engine fills it.
create table resource_bindings (
    id         uuid primary key,
    tenant_id  uuid not null references tenants (id),
    kind       text not null,
    tier       text not null check (tier in ('pool', 'silo')),
    server     text not null,
    name       text not null,
    state      text not null,
    secret_ref text,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    unique (tenant_id, kind, name)
);

create table admin_tokens (
    id           uuid primary key,
    name         text not null,
    prefix       text not null unique,
    hash         bytea not null,
    scopes       text[] not null,
    created_by   text not null,
    created_at   timestamptz not null,
    revoked_at   timestamptz
);

create table audit_log (
    id          bigserial primary key,
    at          timestamptz not null,
    actor       text not null,
    action      text not null,
    target_type text not null,
    target_id   text not null,
    tenant_id   uuid,
    request_id  text not null,
    changes     jsonb not null default '{}'::jsonb
);
create index audit_log_tenant on audit_log (tenant_id, id);
create index audit_log_at on audit_log (at);

-- Stored answers for create requests carrying an Idempotency-Key.
create table idempotency_keys (
    actor        text not null,
    key          text not null,
    request_hash text not null,
    status       integer not null,
    location     text,
    body         text not null,
    created_at   timestamptz not null,
    primary key (actor, key)
);
