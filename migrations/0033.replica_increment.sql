-- 0033 incremental runs read on a standby (issue 21): the bounds a target settled for each balance
-- check, recorded on the primary with the target (recon.replica_increment_target), so that
-- recon.record_replica_run() advances the state from what the primary decided, not from what a
-- result says.
ALTER TABLE _recon.replica_target ADD COLUMN increment jsonb;
COMMENT ON COLUMN _recon.replica_target.increment IS
'Per balance check, what recon.replica_increment_target() settled before taking the position: '
'the watermark it starts from (run_id, order_bound, snapshot_xmin, wallet_rows) and the new '
'bound and snapshot_xmin, or why_full; NULL for a target of a full read.';
