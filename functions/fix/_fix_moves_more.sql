-- _recon.fix_moves_more(): a map of stored-balance moves, plus an offset side's deltas.
CREATE OR REPLACE FUNCTION _recon.fix_moves_more(
    p_moves jsonb, p_source text, p_wallet text, p_deltas jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_moves jsonb := p_moves;
    v_col text;
    v_val text;
BEGIN
    FOR v_col, v_val IN SELECT d.key, d.value FROM jsonb_each_text(p_deltas) AS d
    LOOP
        v_moves := jsonb_set(v_moves,
            ARRAY[p_source],
            COALESCE(v_moves -> p_source, '{}'));
        v_moves := jsonb_set(v_moves,
            ARRAY[p_source, p_wallet],
            COALESCE(v_moves -> p_source
                     -> p_wallet, '{}'));
        v_moves := jsonb_set(v_moves,
            ARRAY[p_source, p_wallet, v_col],
            to_jsonb(COALESCE((v_moves -> p_source
                               -> p_wallet ->> v_col)::numeric, 0)
                     + v_val::numeric));
    END LOOP;
    RETURN v_moves;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_moves_more(jsonb, text, text, jsonb) IS
'{source: {wallet: {column: delta}}} (the moves _recon.fix_move adds) plus p_deltas ({column: '
'delta}, what an offset side of a posting moves) on wallet p_wallet of source p_source.';

REVOKE EXECUTE ON FUNCTION _recon.fix_moves_more(jsonb, text, text, jsonb) FROM PUBLIC;
