-- _recon.tg_guard_append_only(): the append-only guard on a ledger table.
CREATE OR REPLACE FUNCTION _recon.tg_guard_append_only()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_guard _recon.guard;
    v_shown bigint;
BEGIN
    -- the owner of a partitioned ledger may execute it (its row trigger is cloned to new
    -- partitions as that role): only the guard's tables and their partitions and children
    IF tg_relid IS DISTINCT FROM to_regclass(tg_argv[1]) THEN
        PERFORM _recon.guard_row_table(tg_argv[0]::integer, tg_relid);
    END IF;
    -- a ledger that is a simple view: only the rows it shows are entries (argument 2)
    IF tg_level = 'ROW' AND tg_nargs > 1 AND (SELECT c.relkind FROM pg_class AS c
                                              WHERE c.oid = to_regclass(tg_argv[1])) = 'v' THEN
        EXECUTE _recon.view_rows_sql(to_regclass(tg_argv[1]), '(SELECT ($1).*)') USING OLD;
        GET DIAGNOSTICS v_shown = ROW_COUNT;
        IF v_shown = 0 THEN
            RETURN CASE WHEN tg_op = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
    END IF;
    SELECT g.* INTO v_guard FROM _recon.guard AS g WHERE g.id = tg_argv[0]::integer;
    IF FOUND AND NOT _recon.in_audited_fix() AND NOT EXISTS (
        SELECT FROM _recon.ledger_escape AS e
        WHERE e.ledger_source = v_guard.target AND e.txid = pg_current_xact_id()
    ) THEN
        PERFORM _recon.guard_violation(
            v_guard, CASE WHEN tg_level = 'ROW' THEN (to_jsonb(OLD) ->> (
                SELECT COALESCE(l.entry_id_column, l.order_column) FROM _recon.ledger_source AS l
                WHERE l.name = v_guard.target)) END,
            format('%s of a ledger entry (%s)', tg_op, tg_table_name),
            jsonb_build_object('operation', tg_op, 'table', tg_table_schema || '.' || tg_table_name));
    END IF;
    IF tg_op = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$body$;

COMMENT ON FUNCTION _recon.tg_guard_append_only() IS
'Trigger function of the append-only guard (arguments: guard id, and the ledger: when it is '
'a simple view, only rows it shows count): UPDATE, DELETE and TRUNCATE '
'of ledger entries are blocked (RC405) or warned about, unless the transaction holds an '
'audited escape (recon.allow_ledger_change) or is an audited recon.fix(). Repairs go through '
'adjustments. Fired on a table outside the guard''s tables and their partitions and children: '
'RC410 (_recon.guard_row_table).';

REVOKE EXECUTE ON FUNCTION _recon.tg_guard_append_only() FROM PUBLIC;
