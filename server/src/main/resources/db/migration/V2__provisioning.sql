-- Provisioning: durable operations, their steps, sealed secrets, and db-scheduler's queue.

create table operations (
    id          uuid primary key,
    tenant_id   uuid not null references tenants (id),
    kind        text not null,
    state       text not null check (state in ('queued', 'running', 'compensating', 'succeeded', 'failed')),
    params      jsonb not null default '{}'::jsonb,
    error       text,
    actor       text not null,
    request_id  text not null,
    created_at  timestamptz not null,
    updated_at  timestamptz not null,
    finished_at timestamptz
);
create index operations_tenant on operations (tenant_id, id);
create index operations_unfinished on operations (tenant_id, id) where state in ('queued', 'running', 'compensating');

create table operation_steps (
    operation_id uuid not null references operations (id),
    position     integer not null,
    name         text not null,
    state        text not null check (state in ('pending', 'running', 'retrying', 'done', 'failed', 'compensated', 'skipped')),
    attempts     integer not null default 0,
    last_error   text,
    started_at   timestamptz,
    ended_at     timestamptz,
    primary key (operation_id, position)
);

-- Passwords of tenant resources, AES-256-GCM under the master key; bindings hold only the id.
create table secrets (
    id         uuid primary key,
    nonce      bytea not null,
    ciphertext bytea not null,
    created_at timestamptz not null
);

-- db-scheduler's table (its PostgreSQL schema).
create table scheduled_tasks (
    task_name            text not null,
    task_instance        text not null,
    task_data            bytea,
    execution_time       timestamptz not null,
    picked               boolean not null,
    picked_by            text,
    last_success         timestamptz,
    last_failure         timestamptz,
    consecutive_failures integer,
    last_heartbeat       timestamptz,
    version              bigint not null,
    priority             smallint,
    primary key (task_name, task_instance)
);
create index scheduled_tasks_execution_time on scheduled_tasks (execution_time);
create index scheduled_tasks_last_heartbeat on scheduled_tasks (last_heartbeat);
create index scheduled_tasks_priority_execution_time on scheduled_tasks (priority desc, execution_time asc);
