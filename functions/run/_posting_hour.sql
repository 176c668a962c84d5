-- _recon.posting_hour(): the UTC hour of a finding's posted_at, whatever the session's zone.
CREATE OR REPLACE FUNCTION _recon.posting_hour(p_posted_at text)
RETURNS timestamp
LANGUAGE sql
STABLE
STRICT
-- A posted_at with an offset (a timestamptz column) is that instant; one without (a timestamp
-- column) is read as the wall time it says. Either way the hour does not depend on the
-- session's TimeZone (Asia/Kolkata is 5:30 off the hour).
SET TimeZone = 'UTC'
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT date_trunc('hour', p_posted_at::timestamptz AT TIME ZONE 'UTC');
$body$;

COMMENT ON FUNCTION _recon.posting_hour(text) IS
'The hour (UTC, as a timestamp) of a finding''s details.posted_at, for reconcile''s one-hour '
'pattern rule: the same under every session TimeZone. Text with an offset is that instant; '
'text without one is read as UTC wall time.';

REVOKE EXECUTE ON FUNCTION _recon.posting_hour(text) FROM PUBLIC;
