-- Records as a platformd at schema version 3 wrote them, for the upgrade
-- test (TestMigrationsFromEveryVersion): those of fixture_0002.sql, and a
-- Guard secret (the login forms' key, which replicas of the upgraded
-- platform keep using). Never edit it for a later version: add
-- fixture_NNNN.sql.
INSERT INTO boxes (id, key, code, active_name, pending, rec) VALUES
	('b0000000000000001', 'KEY-ACTIVE', 'CODE-ACTIVE', 'lab', false,
	 '{"id":"b0000000000000001","key":"KEY-ACTIVE","code":"CODE-ACTIVE","state":"active","name":"lab","account":"acme","versions":{},"capacity":{},"applied_settings_version":1,"poll_interval_seconds":60,"settings":{"version":1,"name":"lab"},"first_seen":"2026-11-27T06:00:00Z","last_seen":"2026-11-27T06:00:00Z","last_poll":"2026-11-27T06:00:00Z"}'),
	('b0000000000000002', 'KEY-PENDING', 'CODE-PENDING', NULL, true,
	 '{"id":"b0000000000000002","key":"KEY-PENDING","code":"CODE-PENDING","state":"pending","versions":{},"capacity":{},"applied_settings_version":0,"poll_interval_seconds":60,"settings":{},"first_seen":"2026-11-27T06:00:00Z","last_seen":"2026-11-27T06:00:00Z","last_poll":"0001-01-01T00:00:00Z"}');
INSERT INTO users (name, rec) VALUES
	('alice', '{"name":"alice","role":"manager","account":"acme","password_hash":"x","created":"2026-11-27T06:00:00Z"}');
INSERT INTO jobs (id, box_id, created, rec) VALUES
	('job-2', 'b0000000000000001', 1795759200000000001,
	 '{"id":"job-2","box_id":"b0000000000000001","targets":["10.0.0.0/24"],"ports":"22","state":"pending","created_by":"alice","created":"2026-11-27T06:00:00.000000001Z","updated":"2026-11-27T06:00:00Z"}'),
	('job-1', 'b0000000000000001', 1795759200000000000,
	 '{"id":"job-1","box_id":"b0000000000000001","targets":["10.0.0.0/24"],"ports":"22","state":"done","hosts":2,"host_bytes":100,"created_by":"alice","created":"2026-11-27T06:00:00Z","updated":"2026-11-27T06:00:00Z"}');
INSERT INTO job_hosts (job_id, seq, has_findings, rec) VALUES
	('job-1', 0, false, '{"addr":"10.0.0.1","up":true}'),
	('job-1', 1, true, '{"addr":"10.0.0.2","up":true,"findings":[{"id":"A","severity":"high"}]}');
INSERT INTO job_tracking (job_id, rec) VALUES ('job-1', '{"job":"job-1"}');
INSERT INTO uploads (box_id, upload_id, rec) VALUES
	('b0000000000000001', 'u1', '{"box_id":"b0000000000000001","upload_id":"u1","job_id":"job-1","state":"done","time":"2026-11-27T06:00:00Z"}');
INSERT INTO sessions (id, expires, user_name, rec) VALUES
	('s1', 4102444800000000000, 'alice', '{"id":"s1","user":"alice","csrf":"c","created":"2026-11-27T06:00:00Z","expires":"2100-01-01T00:00:00Z"}');
INSERT INTO rollouts (account, channel, rec) VALUES
	('acme', 'signatures', '{"account":"acme","channel":"signatures","version":"2026.12.01","target":"t","updated_by":"alice","started":"2026-11-27T06:00:00Z","updated":"2026-11-27T06:00:00Z"}');
INSERT INTO asset_groups (account, name, rec) VALUES
	('acme', 'office', '{"account":"acme","name":"office","created_by":"alice","created":"2026-11-27T06:00:00Z"}'),
	('acme', 'lab', '{"account":"acme","name":"lab","created_by":"alice","created":"2026-11-27T06:00:00Z"}'),
	('acme2', 'hr', '{"account":"acme2","name":"hr","created":"2026-11-27T06:00:00Z"}');
INSERT INTO audit (account, rec) VALUES
	('acme', '{"seq":0,"account":"acme","time":"2026-11-27T06:00:00Z","user":"alice","action":"login","addr":"192.0.2.1"}'),
	('acme2', '{"seq":0,"account":"acme2","time":"2026-11-27T06:00:01Z","user":"carol","action":"login","addr":"192.0.2.3"}'),
	('acme', '{"seq":0,"account":"acme","time":"2026-11-27T06:00:02Z","user":"alice","action":"group.create","object":"lab","addr":"192.0.2.1"}');
INSERT INTO guard_secrets (name, value) VALUES ('fixture', '\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
