-- Undo 0004.
DROP TABLE _recon.fix_stage;
DROP SEQUENCE _recon.fix_stage_seq;
DROP TABLE _recon.repair_entry;
DROP TABLE _recon.repair;
DROP TABLE _recon.fix;
DROP TABLE _recon.fix_policy;
DROP TABLE _recon.writer;
