-- 0005 guards and alerts: write-path guards on the user's tables, the alerts they and
-- reconcile raise, and the audited escape from the append-only guard.

CREATE TABLE _recon.guard (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CONSTRAINT guard_kind CHECK (kind IN (
        'drift', 'derived', 'append_only', 'double_entry', 'lifecycle'
    )),
    target text NOT NULL,
    mode text NOT NULL CONSTRAINT guard_mode CHECK (mode IN ('warn', 'block')),
    tolerance numeric NOT NULL DEFAULT 0 CONSTRAINT guard_tolerance
    CHECK (tolerance >= 0 AND tolerance < 'Infinity'),
    options jsonb NOT NULL,
    compiled jsonb NOT NULL,
    triggers jsonb NOT NULL,
    enabled_at timestamptz NOT NULL DEFAULT now(),
    enabled_by name NOT NULL DEFAULT session_user,
    CONSTRAINT guard_once UNIQUE (kind, target)
);
COMMENT ON TABLE _recon.guard IS
'Write-path guards enabled on the user''s tables (recon.enable_guard), and exactly the '
'triggers each created (recon.disable_guard drops those and nothing else).';
COMMENT ON COLUMN _recon.guard.id IS 'Guard number (its triggers carry it as their argument).';
COMMENT ON COLUMN _recon.guard.kind IS
'drift, derived, append_only, double_entry or lifecycle (docs/GUARDS.md).';
COMMENT ON COLUMN _recon.guard.target IS
'The ledger source (drift, append_only, double_entry) or check (derived, lifecycle) guarded.';
COMMENT ON COLUMN _recon.guard.mode IS 'warn (warning, alert, NOTIFY) or block (fail at commit).';
COMMENT ON COLUMN _recon.guard.tolerance IS 'Differences up to this are rounding.';
COMMENT ON COLUMN _recon.guard.options IS 'The options it was enabled with.';
COMMENT ON COLUMN _recon.guard.compiled IS 'The SQL its triggers run, compiled once.';
COMMENT ON COLUMN _recon.guard.triggers IS
'The triggers it created: [{"table": ..., "trigger": ...}].';
COMMENT ON COLUMN _recon.guard.enabled_at IS 'When it was enabled.';
COMMENT ON COLUMN _recon.guard.enabled_by IS 'Who enabled it (session_user).';

CREATE UNLOGGED TABLE _recon.guard_pending (
    txid xid8 NOT NULL,
    guard_id integer NOT NULL,
    item text NOT NULL,
    col text NOT NULL,
    stored numeric NOT NULL DEFAULT 0,
    ledger numeric NOT NULL DEFAULT 0,
    fix_id bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (txid, guard_id, fix_id, item, col)
);
COMMENT ON TABLE _recon.guard_pending IS
'What a transaction changed under a guard, until its commit checks it: per wallet and balance '
'column the stored change and the ledger effects (drift), or the journal, hold or wallet to '
'check. Written inside the user''s transaction (so an abort leaves nothing) and emptied by the '
'commit-time check; unlogged.';
COMMENT ON COLUMN _recon.guard_pending.txid IS 'The writing transaction.';
COMMENT ON COLUMN _recon.guard_pending.guard_id IS 'The guard.';
COMMENT ON COLUMN _recon.guard_pending.item IS 'Wallet key, journal id or hold, as text.';
COMMENT ON COLUMN _recon.guard_pending.col IS 'Balance column (drift), else ''*''.';
COMMENT ON COLUMN _recon.guard_pending.stored IS 'Change of the stored balance (drift).';
COMMENT ON COLUMN _recon.guard_pending.ledger IS 'Sum of the ledger effects written (drift).';
COMMENT ON COLUMN _recon.guard_pending.fix_id IS
'The audited recon.fix() whose statement wrote it (checked by the fix itself, not the guard); '
'0 for everything else, even later in the same transaction.';

CREATE TABLE _recon.alert (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    raised_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text NOT NULL,
    severity text NOT NULL CONSTRAINT alert_severity
    CHECK (severity IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
    guard_id integer REFERENCES _recon.guard (id) ON DELETE SET NULL,
    run_id bigint REFERENCES _recon.run (id),
    source text,
    item text,
    message text NOT NULL,
    details jsonb NOT NULL,
    raised_by name NOT NULL DEFAULT session_user,
    acknowledged_at timestamptz,
    acknowledged_by name,
    acknowledgement text
);
CREATE INDEX alert_open ON _recon.alert (raised_at) WHERE acknowledged_at IS NULL;
COMMENT ON INDEX _recon.alert_open IS 'Unacknowledged alerts.';
COMMENT ON TABLE _recon.alert IS
'Alerts: a guard in warn mode that saw a bad write, a reconcile run with HIGH or CRITICAL '
'findings. Each is also sent with pg_notify on channel wallet_recon_alert. Acknowledged with '
'recon.acknowledge_alert().';
COMMENT ON COLUMN _recon.alert.id IS 'Alert number.';
COMMENT ON COLUMN _recon.alert.raised_at IS 'When.';
COMMENT ON COLUMN _recon.alert.kind IS
'The guard kind (drift, derived, double_entry, lifecycle, append_only) or run.';
COMMENT ON COLUMN _recon.alert.severity IS 'LOW, MEDIUM, HIGH or CRITICAL.';
COMMENT ON COLUMN _recon.alert.guard_id IS 'The guard that raised it, if any.';
COMMENT ON COLUMN _recon.alert.run_id IS 'The run that raised it, if any.';
COMMENT ON COLUMN _recon.alert.source IS 'The guarded ledger source or check.';
COMMENT ON COLUMN _recon.alert.item IS 'Wallet key, journal or hold concerned.';
COMMENT ON COLUMN _recon.alert.message IS 'What happened, in one line.';
COMMENT ON COLUMN _recon.alert.details IS 'The numbers behind it (also the NOTIFY payload).';
COMMENT ON COLUMN _recon.alert.raised_by IS 'session_user of the writing transaction.';
COMMENT ON COLUMN _recon.alert.acknowledged_at IS 'When it was acknowledged; NULL while open.';
COMMENT ON COLUMN _recon.alert.acknowledged_by IS 'Who acknowledged it (session_user).';
COMMENT ON COLUMN _recon.alert.acknowledgement IS 'The note given when acknowledging.';

CREATE TABLE _recon.ledger_escape (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ledger_source text NOT NULL,
    ticket text NOT NULL,
    reason text NOT NULL,
    allowed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    allowed_by name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE _recon.ledger_escape IS
'The audited escape from an append-only guard: recon.allow_ledger_change() lets the calling '
'transaction update or delete rows of one guarded ledger, and records who, when and why.';
COMMENT ON COLUMN _recon.ledger_escape.id IS 'Escape number.';
COMMENT ON COLUMN _recon.ledger_escape.txid IS 'The transaction it was granted to.';
COMMENT ON COLUMN _recon.ledger_escape.ledger_source IS 'The ledger.';
COMMENT ON COLUMN _recon.ledger_escape.ticket IS 'Ticket.';
COMMENT ON COLUMN _recon.ledger_escape.reason IS 'Reason.';
COMMENT ON COLUMN _recon.ledger_escape.allowed_at IS 'When.';
COMMENT ON COLUMN _recon.ledger_escape.allowed_by IS 'Who (session_user).';

-- Compiled balance checks no longer call _recon.serial_plan() (a view depending on a toolkit
-- function kept uninstall and rollback from dropping the function): the views registered with
-- 0.x are rewritten with the built-in marker the compiler now emits. Same columns, same plan.
DO $rewrite$
DECLARE
    v_check record;
    v_sql text;
BEGIN
    FOR v_check IN SELECT c.name, c.view_name, c.compiled_sql FROM _recon.check_def AS c
                   WHERE strpos(c.compiled_sql, '_recon.serial_plan()') > 0 LOOP
        v_sql := replace(v_check.compiled_sql, '_recon.serial_plan()',
                         '(SELECT pg_catalog.current_schemas(FALSE)) IS NOT NULL');
        EXECUTE format('CREATE OR REPLACE VIEW recon.%I AS %s', v_check.view_name, v_sql);
        UPDATE _recon.check_def AS c SET compiled_sql = v_sql WHERE c.name = v_check.name;
    END LOOP;
END;
$rewrite$;
