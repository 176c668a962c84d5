-- _recon.rule_effect(): what an entry of a rule label and an amount moves, per balance column.
CREATE OR REPLACE FUNCTION _recon.rule_effect(
    p_ledger _recon.ledger_source, p_label text, p_amount numeric
)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT COALESCE(jsonb_object_agg(e.key, (l.value::numeric) * p_amount ORDER BY e.key), '{}')
    FROM jsonb_each(p_ledger.effects) AS e
    CROSS JOIN LATERAL jsonb_each_text(e.value) AS l
    WHERE l.key = p_label AND l.value::numeric <> 0;
$body$;

COMMENT ON FUNCTION _recon.rule_effect(_recon.ledger_source, text, numeric) IS
'{balance column: delta} an entry of kind p_label (a direction, operation type or rule label) and '
'amount p_amount moves (its registered effects times the amount; {} for no kind, an unmapped '
'entry). _recon.writer_rule_entry.';

REVOKE EXECUTE ON FUNCTION _recon.rule_effect(_recon.ledger_source, text, numeric) FROM PUBLIC;
