-- _recon.fix_lifecycle_status_sql(): the query of a hold's transaction's status.
CREATE OR REPLACE FUNCTION _recon.fix_lifecycle_status_sql(
    p_check _recon.check_def, p_legs _recon.ledger_source, p_legs_sql text, p_journal_type text,
    p_recheck boolean
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- The transaction's status: its row in the status table (kept FOR SHARE when
    -- re-checked under the wallets' locks, so that it cannot change before the repair
    -- commits), else the status of the journal's latest entry.
    IF p_check.options ? 'status_table' THEN
        RETURN format('SELECT st.%I::text FROM %s AS st WHERE st.%I = ($1[1])::%s %s',
                      p_check.options ->> 'status_column',
                      _recon.resolve_table(p_check.options ->> 'status_table')::regclass,
                      p_check.options ->> 'status_key', p_journal_type,
                      CASE WHEN p_recheck THEN 'FOR SHARE' ELSE '' END);
    ELSIF p_legs.status_column IS NOT NULL THEN
        RETURN format('SELECT l.%I::text FROM %s AS l WHERE l.%I = ($1[1])::%s ORDER BY %s '
                      || 'LIMIT 1', p_legs.status_column, p_legs_sql,
                      p_legs.journal_column, p_journal_type,
                      _recon.entry_order_sql(p_legs, 'l', 'DESC'));
    ELSE
        RETURN NULL;
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_lifecycle_status_sql(
    _recon.check_def, _recon.ledger_source, text, text, boolean
) IS
'For _recon.fix_lifecycle: the query ($1[1]: the transaction, as text, cast to '
'p_journal_type) of a transaction''s status for lifecycle check p_check: its row in the '
'status table (FOR SHARE with p_recheck), else the status of the journal''s latest entry in '
'ledger legs p_legs (p_legs_sql); NULL when the ledger keeps no status.';

REVOKE EXECUTE ON FUNCTION _recon.fix_lifecycle_status_sql(
    _recon.check_def, _recon.ledger_source, text, text, boolean
) FROM PUBLIC;
