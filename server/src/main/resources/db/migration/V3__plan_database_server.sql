-- A silo plan may name the PostgreSQL server its tenants' databases go to (a name from the
-- node's database-servers setting); null means the tier's default server.
alter table plans add column database_server text;
