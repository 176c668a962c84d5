-- _recon.fix_post_sql(): what posting into a ledger needs, worked out once per ledger.
CREATE OR REPLACE FUNCTION _recon.fix_post_sql(
    p_ledger _recon.ledger_source, p_writer _recon.writer
)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_chain text;
    v_balance_check text;
BEGIN
    -- The running balance follows one column: the chain check's, else the first moved.
    IF p_ledger.balance_after_column IS NOT NULL THEN
        v_chain := COALESCE(
            (SELECT c.options ->> 'column' FROM _recon.check_def AS c
             WHERE c.kind = 'chain' AND c.ledger_source = p_ledger.name
             ORDER BY c.name LIMIT 1),
            (SELECT b FROM unnest((_recon.wallet(p_ledger.wallet_source)).balance_columns)
                 AS b
             WHERE p_ledger.effects ? b LIMIT 1));
    END IF;
    SELECT c.name INTO v_balance_check FROM _recon.check_def AS c
    WHERE c.kind = 'balance' AND c.ledger_source = p_ledger.name
    ORDER BY c.name LIMIT 1;
    RETURN jsonb_build_object(
        'chain', v_chain,
        'balance_check', v_balance_check,
        -- the last running balances of a wallet, per column (a per-column "balance_after")
        'after', CASE WHEN p_ledger.after_columns IS NOT NULL THEN format(
            'SELECT jsonb_build_object(%s) FROM %s AS l WHERE l.wallet = $1::%s ORDER BY %s '
            || 'LIMIT 1',
            (SELECT string_agg(format('%L, l.%I', a.key, 'after_' || array_position(
                                   (_recon.wallet(p_ledger.wallet_source)).balance_columns,
                                   a.key::name)), ', ')
             FROM jsonb_each(p_ledger.after_columns) AS a),
            _recon.legs_sql(p_ledger),
            _recon.column_type_sql((_recon.wallet(p_ledger.wallet_source)).relid,
                                   (_recon.wallet(p_ledger.wallet_source)).key_column),
            _recon.entry_order_sql(_recon.legs(p_ledger), 'l', 'DESC')) END,
        'insert', CASE WHEN p_writer.kind = 'insert'
                       THEN _recon.writer_insert_sql(p_writer) END,
        'reference', 'SELECT ' || _recon.template_sql(p_writer.reference, 'reference'),
        'description', 'SELECT ' || _recon.template_sql(p_writer.description, 'description'),
        'journal', CASE WHEN p_writer.journal IS NOT NULL THEN 'SELECT '
            || _recon.template_sql(p_writer.journal, 'journal') END);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_post_sql(_recon.ledger_source, _recon.writer) IS
'For _recon.fix_post, once per ledger: {"chain": the column its running balance follows (the '
'chain check''s, else the first the ledger moves; NULL without balance_after_column), '
'"balance_check": its first balance check, "after": the query of a wallet''s last per-column '
'running balances, "insert": the writer''s INSERT, "reference", "description", "journal": the '
'queries of its templates}.';

REVOKE EXECUTE ON FUNCTION _recon.fix_post_sql(_recon.ledger_source, _recon.writer) FROM PUBLIC;
