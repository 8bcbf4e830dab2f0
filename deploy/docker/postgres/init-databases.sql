-- Runs once, when the postgres container starts on an empty data volume
-- (/docker-entrypoint-initdb.d). One database per Postgres-owning subgraph (docs/architecture.md:
-- no service reads another's store): products keeps its stock ledger here, its catalog in
-- MongoDB. Schemas come from each service's migrations.
CREATE DATABASE users;
CREATE DATABASE products;
CREATE DATABASE orders;
CREATE DATABASE delivery;
