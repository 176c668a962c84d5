-- _recon.ledger_legs(): a ledger source's shape and the wallet column of each of its legs.
CREATE OR REPLACE FUNCTION _recon.ledger_legs(
    p_relid oid, p_wallet _recon.wallet_source, p_wallet_column text, p_options jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_shapes text[];
    v_shape _recon.ledger_shape;
    v_leg jsonb;
    v_legs jsonb := '{}'::jsonb;
    v_options text[];
    v_key text;
BEGIN
    -- The shape whose leg options are given (docs/CHECKS.md "Ledger shapes"); none given: one
    -- row moves one wallet, the wallet column argument.
    SELECT array_agg(s.shape ORDER BY s.shape) INTO v_shapes FROM _recon.ledger_shape AS s
    WHERE EXISTS (SELECT FROM jsonb_array_elements(s.legs) AS g WHERE p_options ? (g ->> 'option'));
    IF cardinality(v_shapes) > 1 THEN
        PERFORM _recon.fail('RC106', format('options of several shapes: %s',
                                            array_to_string(v_shapes, ', ')),
                            'A ledger source has one shape.',
                            'SELECT * FROM _recon.ledger_shape lists each shape''s leg options.');
    END IF;
    SELECT s.* INTO v_shape FROM _recon.ledger_shape AS s
    WHERE s.shape = COALESCE(v_shapes[1], 'entries');
    IF v_shape.shape = 'entries' THEN
        IF p_wallet_column IS NULL THEN
            PERFORM _recon.fail('RC106', 'a ledger source needs a wallet column',
                                'The wallet column was NULL and no leg options (such as '
                                || '"debit_wallet"/"credit_wallet") were given.',
                                'Name the column holding the wallet key, or the columns of '
                                || 'each leg.');
        END IF;
        PERFORM _recon.resolve_column(p_relid, p_wallet_column, 'the wallet key');
        PERFORM _recon.same_key_type(p_relid, p_wallet_column, p_wallet.relid,
                                     p_wallet.key_column);
        RETURN jsonb_build_object('shape', 'entries');
    END IF;
    v_options := ARRAY(SELECT g ->> 'option' FROM jsonb_array_elements(v_shape.legs) AS g);
    IF p_wallet_column IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC106', format('give either a wallet column or %s', array_to_string(v_options, ', ')),
            format('Got wallet column %L and %s.', p_wallet_column,
                   (SELECT jsonb_object_agg(o, p_options -> o) FROM unnest(v_options) AS o
                    WHERE p_options ? o)),
            format('A row moves one wallet (the wallet column), or it is a %s row (pass NULL '
                   || 'as the wallet column).', v_shape.shape)
        );
    END IF;
    FOR v_leg IN SELECT g FROM jsonb_array_elements(v_shape.legs) AS g LOOP
        v_key := v_leg ->> 'option';
        IF NOT p_options ? v_key OR jsonb_typeof(p_options -> v_key) <> 'string' THEN
            PERFORM _recon.fail('RC106', format('a %s ledger needs %L, the column of its %s leg',
                                                v_shape.shape, v_key, v_leg ->> 'side'),
                                format('Leg options of %s: %s.', v_shape.shape,
                                       array_to_string(v_options, ', ')),
                                'Name the wallet column of every leg.');
        END IF;
        PERFORM _recon.resolve_column(p_relid, p_options ->> v_key, 'the ' || v_key);
        PERFORM _recon.same_key_type(p_relid, (p_options ->> v_key)::name, p_wallet.relid,
                                     p_wallet.key_column);
        v_legs := v_legs || jsonb_build_object(v_leg ->> 'side', p_options ->> v_key);
    END LOOP;
    IF (SELECT count(DISTINCT c.value) FROM jsonb_each_text(v_legs) AS c)
       <> (SELECT count(*) FROM jsonb_each_text(v_legs)) THEN
        PERFORM _recon.fail('RC106', 'two legs name the same wallet column', format('Got %s.',
                                                                                 v_legs),
                            'Name the column the amount leaves and the one it reaches.');
    END IF;
    FOREACH v_key IN ARRAY ARRAY['direction', 'balance_after', 'version'] LOOP
        IF p_options ? v_key THEN
            PERFORM _recon.fail(
                'RC106', format('a %s ledger takes no %L', v_shape.shape, v_key),
                'Each of its rows moves several wallets, by the leg''s side: it has no '
                || 'direction, and one running balance or version cannot follow two wallets.',
                'Drop the option; for effects that depend on a column use "operation" with '
                || 'rules naming "side".'
            );
        END IF;
    END LOOP;
    RETURN jsonb_build_object('shape', v_shape.shape, 'legs', v_legs, 'multipliers', (
        SELECT jsonb_object_agg(g ->> 'side', g -> 'multiplier')
        FROM jsonb_array_elements(v_shape.legs) AS g));
END;
$body$;

COMMENT ON FUNCTION _recon.ledger_legs(oid, _recon.wallet_source, text, jsonb) IS
'The shape of a ledger source being registered (_recon.ledger_shape: the one whose leg options '
'are given, else entries) and the wallet column of each leg, catalog-checked and of the wallet '
'key''s type: {"shape", "legs": {side: column}, "multipliers": {side: default effect}}. RC102, '
'RC106, RC108.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_legs(oid, _recon.wallet_source, text, jsonb)
FROM PUBLIC;
