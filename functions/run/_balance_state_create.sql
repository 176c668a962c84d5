-- _recon.balance_state_create(): a new, empty per-wallet state table for a full run to fill.
CREATE OR REPLACE FUNCTION _recon.balance_state_create(
    p_check text, p_run bigint, p_ledger _recon.ledger_source
)
RETURNS regclass
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_key record := _recon.balance_state_key(p_ledger);
    v_name name := format('bs_%s_%s', md5(p_check), p_run);
BEGIN
    -- No index yet: the full run writes the rows, then _recon.balance_state_swap builds the
    -- primary key on them in one sort and makes the table live (unlogged: recomputable, and a
    -- crash empties it with its mark).
    EXECUTE format('CREATE UNLOGGED TABLE _recon.%I (k %s%s NOT NULL, n bigint NOT NULL, '
                   || 'n_amount bigint NOT NULL, n_bad bigint NOT NULL, sums numeric[] NOT NULL, '
                   || 'has_wallet boolean NOT NULL DEFAULT FALSE)',
                   v_name, v_key.p_type,
                   CASE WHEN v_key.p_collation <> 0
                        THEN ' COLLATE ' || v_key.p_collation::regcollation::text ELSE '' END);
    EXECUTE format('COMMENT ON TABLE _recon.%I IS %L', v_name, format(
        'The per-wallet state of balance check %s, built by run %s: per wallet key k, entries, '
        || 'non-NULL amounts, unmapped entries and sums per balance column up to the '
        || 'watermark''s bound; has_wallet when k was a wallet (docs/INCREMENTAL.md).',
        p_check, p_run));
    RETURN format('_recon.%I', v_name)::regclass;
END;
$body$;

COMMENT ON FUNCTION _recon.balance_state_create(text, bigint, _recon.ledger_source) IS
'Creates run p_run''s new per-wallet state table of balance check p_check (unlogged, no index), '
'keyed on _recon.balance_state_key(p_ledger); _recon.balance_state_swap makes it live.';

REVOKE EXECUTE ON FUNCTION _recon.balance_state_create(text, bigint, _recon.ledger_source)
FROM PUBLIC;
