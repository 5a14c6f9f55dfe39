package store

import (
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Kinds of records, as Export names them: the embedded store's buckets of
// records (the others are indexes, rebuilt from these).
const (
	KindBoxes    = "boxes"
	KindUsers    = "users"
	KindJobs     = "jobs"
	KindJobHosts = "job_hosts" // key: job id + "/" + index (10 digits); value: the host
	KindTracking = "job_tracking"
	KindUploads  = "uploads"
	KindSessions = "sessions"
	KindRollouts = "rollouts"
	KindGroups   = "asset_groups" // key: account + "\n" + name
	KindAudit    = "audit"        // key: account + "\n" + seq (20 digits); the value holds the seq too
)

// Kinds lists every kind of record Export gives, in the order it gives
// them: a record refers only to kinds before it (a job's hosts to their
// job).
func Kinds() []string {
	return []string{KindBoxes, KindUsers, KindJobs, KindJobHosts, KindTracking, KindUploads, KindSessions, KindRollouts, KindGroups, KindAudit}
}

// IndexBuckets are the buckets Export leaves out: indexes of the records
// of Kinds. Every bucket is one or the other (a test checks).
func IndexBuckets() []string {
	return []string{string(bBoxKey), string(bBoxCode), string(bBoxName), string(bPending), string(bBoxJobs), string(bSessionExp)}
}

// Buckets lists every bucket of the bbolt file.
func Buckets() []string {
	var out []string
	for _, b := range allBucket {
		out = append(out, string(b))
	}
	return out
}

// Export calls fn with every record of the database, kind by kind in the
// order of Kinds, in one read transaction (a consistent copy of a store
// in use). key and value are the record's key and JSON; they are valid
// only during the call.
func (s *Bolt) Export(fn func(kind string, key, value []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		for _, k := range Kinds() {
			err := tx.Bucket([]byte(k)).ForEach(func(key, value []byte) error { return fn(k, key, value) })
			if err != nil {
				return fmt.Errorf("export %s: %w", k, err)
			}
		}
		return nil
	})
}

// Backup writes a consistent copy of the whole database file to w (a
// bbolt file as Open takes it) while the store is in use, and returns its
// size.
func (s *Bolt) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up %s: %w", s.db.Path(), err)
	}
	return n, nil
}
