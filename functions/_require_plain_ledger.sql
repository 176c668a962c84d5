-- _recon.require_plain_ledger(): refuse a write path on a ledger shape it cannot read yet.
CREATE OR REPLACE FUNCTION _recon.require_plain_ledger(
    p_ledger _recon.ledger_source, p_what text, p_code text
)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_why text := _recon.ledger_plain(p_ledger);
BEGIN
    IF v_why IS NOT NULL THEN
        PERFORM _recon.fail(
            p_code, format('%s cannot be set on ledger source %s yet: %s', p_what, p_ledger.name,
                           v_why),
            format('Ledger source %s reads %s with shape %s%s.', p_ledger.name,
                   p_ledger.relid::regclass, p_ledger.shape,
                   CASE WHEN p_ledger.filters IS NOT NULL
                        THEN ', filters ' || p_ledger.filters::text ELSE '' END),
            'Checks read every shape; for this one, repair by hand or acknowledge the findings '
            || '(docs/CHECKS.md "Ledger shapes" says which write paths read which shapes).'
        );
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.require_plain_ledger(_recon.ledger_source, text, text) IS
'Fails with the given code (RC406 for guards, RC305 for writers) when the ledger source is not '
'of the plain shape (_recon.ledger_plain), naming what it is and what to do instead.';

REVOKE EXECUTE ON FUNCTION _recon.require_plain_ledger(_recon.ledger_source, text, text)
FROM PUBLIC;
