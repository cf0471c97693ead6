"""PostgreSQL row-level security DDL, used by migrations (one policy per tenant table)."""

from __future__ import annotations

CURRENT_ORG = "NULLIF(current_setting('app.current_org', true), '')::uuid"
BYPASS = "current_setting('app.rls_bypass', true) = 'on'"


def tenant_policy_sql(table: str, column: str = "organization_id") -> list[str]:
    """Enable and force RLS on `table`, visible only to the transaction's organization."""
    condition = f"({column} = {CURRENT_ORG} OR {BYPASS})"
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"',
        f'CREATE POLICY tenant_isolation ON "{table}" USING {condition} WITH CHECK {condition}',
    ]


def app_role_sql(role: str) -> list[str]:
    """Create the non-owner application role and grant it data access (not DDL)."""
    return [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        END $$""",
        f"""DO $$ BEGIN
            EXECUTE format('GRANT "{role}" TO %I', current_user);
        EXCEPTION WHEN OTHERS THEN NULL;
        END $$""",
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE '
        f'ON TABLES TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{role}"',
        # The grant above covers every table, so any migration that runs it again must keep
        # the audit trail append-only for the application.
        f"""DO $$ BEGIN
            IF to_regclass('public.audit_events') IS NOT NULL THEN
                EXECUTE 'REVOKE UPDATE, DELETE ON audit_events FROM "{role}"';
            END IF;
        END $$""",
    ]
