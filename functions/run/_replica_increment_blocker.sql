-- _recon.replica_increment_blocker(): why a standby reads an increment's check in full.
CREATE OR REPLACE FUNCTION _recon.replica_increment_blocker(
    p_check _recon.check_def, p_inc jsonb
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_null_key boolean;
BEGIN
    IF p_inc IS NULL THEN
        RETURN 'read on a standby: its target settled no increment for the check (take it with '
               || 'recon.replica_increment_target)';
    ELSIF p_inc ? 'why_full' THEN
        RETURN p_inc ->> 'why_full';
    ELSIF jsonb_typeof(p_inc -> 'order_bound') IS DISTINCT FROM 'number'
          OR jsonb_typeof(p_inc -> 'new_bound') IS DISTINCT FROM 'number'
          OR COALESCE(p_inc ->> 'snapshot_xmin', '') !~ '^[0-9]{1,20}$' THEN
        PERFORM _recon.fail('RC224', 'not a target taken by recon.replica_increment_target()',
                            format('Its increment for %s is %s.', p_check.name, p_inc),
                            'Pass what recon.replica_increment_target() returned on the primary.');
    END IF;
    -- as _recon.balance_increment: an entry of no wallet since the watermark is a finding the
    -- per-wallet state cannot hold
    EXECUTE format('SELECT EXISTS (SELECT FROM (%s) AS x)', _recon.balance_agg_sql(
        p_check.options, format('l.ord > %s AND l.wallet IS NULL',
                                (p_inc ->> 'order_bound')::numeric)))
    INTO v_null_key;
    IF v_null_key THEN
        RETURN 'an entry without a wallet key (NULL) was added since the watermark';
    END IF;
    RETURN NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.replica_increment_blocker(_recon.check_def, jsonb) IS
'On a standby: why balance check p_check must be read in full for the increment p_inc that '
'recon.replica_increment_target settled (none settled, its why_full, or an entry without a '
'wallet key since the watermark, as _recon.balance_increment), else NULL. RC224 for an '
'increment that is no such target''s.';

REVOKE EXECUTE ON FUNCTION _recon.replica_increment_blocker(_recon.check_def, jsonb) FROM PUBLIC;
