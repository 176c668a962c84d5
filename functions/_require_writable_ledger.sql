-- _recon.require_writable_ledger(): refuse a write path on a ledger shape it cannot read.
CREATE OR REPLACE FUNCTION _recon.require_writable_ledger(
    p_ledger _recon.ledger_source, p_what text, p_code text
)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_why text := _recon.ledger_writable(p_ledger);
BEGIN
    IF v_why IS NOT NULL THEN
        PERFORM _recon.fail(
            p_code, format('%s cannot be set on ledger source %s: %s', p_what, p_ledger.name,
                           v_why),
            format('Ledger source %s reads %s with shape %s%s%s.', p_ledger.name,
                   p_ledger.relid::regclass, p_ledger.shape,
                   CASE WHEN p_ledger.parents IS NOT NULL
                        THEN ', parents ' || p_ledger.parents::text ELSE '' END,
                   CASE WHEN p_ledger.filters IS NOT NULL
                        THEN ', filters ' || p_ledger.filters::text ELSE '' END),
            'Checks read every shape; the write paths read one-sided and transfer rows with '
            || 'filters on the ledger''s own columns. For this one, repair by hand or '
            || 'acknowledge the findings (docs/CHECKS.md "Ledger shapes" says which paths read '
            || 'which shapes).'
        );
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.require_writable_ledger(_recon.ledger_source, text, text) IS
'Fails with the given code (RC406 for guards, RC305 for writers) when the write paths do not '
'read the ledger source''s shape (_recon.ledger_writable), naming what it is and what to do '
'instead.';

REVOKE EXECUTE ON FUNCTION _recon.require_writable_ledger(_recon.ledger_source, text, text)
FROM PUBLIC;
