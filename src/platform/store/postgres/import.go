package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"picket.dev/picket/src/platform/store"
)

// Exporter is what Import copies from: the embedded store
// (store.Bolt.Export).
type Exporter interface {
	Export(fn func(kind string, key, value []byte) error) error
}

// Counts are records per kind (store.Kinds).
type Counts map[string]int

// String lists the counts in the order of store.Kinds.
func (c Counts) String() string {
	var parts []string
	for _, k := range store.Kinds() {
		parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
	}
	return strings.Join(parts, ", ")
}

// importChunk is how many records one COPY carries.
const importChunk = 2000

// Import copies every record src exports into the store, which must hold
// none (it refuses otherwise, naming what it holds), in one transaction:
// records are copied as they are, byte for byte (a job's hosts keep their
// order and encoding), and the columns they are found by are taken from
// them. It then counts each table and fails unless it holds exactly what
// was exported. It returns the counts.
func (s *Store) Import(src Exporter) (Counts, error) {
	got := Counts{}
	err := s.Update(func(stx store.Tx) error {
		t := stx.(*tx)
		clear(got)
		held, err := t.counts()
		if err != nil {
			return err
		}
		for _, k := range store.Kinds() {
			if held[k] > 0 {
				return fmt.Errorf("the PostgreSQL database is not empty (%s); copy into an empty one", held)
			}
		}
		var kind string
		var batch [][]any
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			tb, _ := tableOf(kind)
			_, err := t.tx.CopyFrom(t.ctx, pgx.Identifier{tb.table}, tb.cols, pgx.CopyFromRows(batch))
			if err != nil {
				return fmt.Errorf("copy %s: %w", kind, t.note(err))
			}
			batch = batch[:0]
			return nil
		}
		err = src.Export(func(k string, key, value []byte) error {
			tb, ok := tableOf(k)
			if !ok {
				return fmt.Errorf("records of kind %q: no PostgreSQL table takes them (this platformd's migration lacks them)", k)
			}
			if k != kind || len(batch) >= importChunk {
				if err := flush(); err != nil {
					return err
				}
				kind = k
			}
			row, err := tb.row(string(key), value)
			if err != nil {
				return fmt.Errorf("%s %q: %w", k, key, err)
			}
			// value is only valid during the call: the row keeps a copy.
			batch = append(batch, append(row, string(value)))
			got[k]++
			return nil
		})
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		// The entries copied took their numbers from the embedded store:
		// the next one appended comes after them.
		if _, err := t.exec("SELECT setval(pg_get_serial_sequence('audit', 'seq'), coalesce(max(seq), 0) + 1, false) FROM audit"); err != nil {
			return fmt.Errorf("audit sequence: %w", err)
		}
		after, err := t.counts()
		if err != nil {
			return err
		}
		for _, k := range store.Kinds() {
			if after[k] != got[k] {
				return fmt.Errorf("copied %d %s, the PostgreSQL database holds %d", got[k], k, after[k])
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import into PostgreSQL (%s): %w", s.desc, err)
	}
	return got, nil
}

// counts counts the records of every kind.
func (t *tx) counts() (Counts, error) {
	c := Counts{}
	for _, k := range store.Kinds() {
		tb, ok := tableOf(k)
		if !ok {
			return nil, fmt.Errorf("records of kind %q: no PostgreSQL table takes them", k)
		}
		n, err := t.count(k, "SELECT count(*) FROM "+pgx.Identifier{tb.table}.Sanitize())
		if err != nil {
			return nil, err
		}
		c[k] = n
	}
	return c, nil
}

// table is where Import puts records of one kind: its columns (rec
// last) and the values of the others, taken from the record and its key.
type table struct {
	table string
	cols  []string
	row   func(key string, rec []byte) ([]any, error)
}

func decode[T any](rec []byte) (T, error) {
	var v T
	err := json.Unmarshal(rec, &v)
	return v, err
}

// tableOf is the table of records of kind k.
func tableOf(k string) (table, bool) {
	t, ok := map[string]table{
		store.KindBoxes: {"boxes", []string{"id", "key", "code", "active_name", "pending", "rec"}, func(_ string, rec []byte) ([]any, error) {
			b, err := decode[store.Box](rec)
			var name *string
			if b.State == store.BoxActive && b.Name != "" {
				name = &b.Name
			}
			return []any{b.ID, b.Key, b.Code, name, b.State == store.BoxPending}, err
		}},
		store.KindUsers: {"users", []string{"name", "rec"}, func(key string, _ []byte) ([]any, error) { return []any{key}, nil }},
		store.KindJobs: {"jobs", []string{"id", "box_id", "created", "rec"}, func(_ string, rec []byte) ([]any, error) {
			j, err := decode[store.Job](rec)
			return []any{j.ID, j.BoxID, j.Created.UnixNano()}, err
		}},
		store.KindJobHosts: {"job_hosts", []string{"job_id", "seq", "has_findings", "rec"}, func(key string, rec []byte) ([]any, error) {
			i := strings.LastIndexByte(key, '/')
			seq, err := strconv.ParseInt(key[i+1:], 10, 32)
			if i < 0 || err != nil {
				return nil, errors.New("not a job host's key (JOB/INDEX)")
			}
			return []any{key[:i], int32(seq), hasFindings(rec)}, nil
		}},
		store.KindTracking: {"job_tracking", []string{"job_id", "rec"}, func(key string, _ []byte) ([]any, error) { return []any{key}, nil }},
		store.KindUploads: {"uploads", []string{"box_id", "upload_id", "rec"}, func(_ string, rec []byte) ([]any, error) {
			u, err := decode[store.Upload](rec)
			return []any{u.BoxID, u.UploadID}, err
		}},
		store.KindSessions: {"sessions", []string{"id", "expires", "user_name", "rec"}, func(key string, rec []byte) ([]any, error) {
			s, err := decode[store.Session](rec)
			return []any{key, max(0, s.Expires.UnixNano()), s.User}, err
		}},
		store.KindRollouts: {"rollouts", []string{"account", "channel", "rec"}, func(_ string, rec []byte) ([]any, error) {
			r, err := decode[store.Rollout](rec)
			return []any{r.Account, r.Channel}, err
		}},
		store.KindGroups: {"asset_groups", []string{"account", "name", "rec"}, func(_ string, rec []byte) ([]any, error) {
			g, err := decode[store.AssetGroup](rec)
			return []any{g.Account, g.Name}, err
		}},
		// Entries keep their Seq (the embedded store's sequence); Import
		// moves the table's sequence past the highest.
		store.KindAudit: {"audit", []string{"seq", "account", "rec"}, func(_ string, rec []byte) ([]any, error) {
			e, err := decode[store.AuditEntry](rec)
			if err == nil && (e.Seq == 0 || e.Seq > math.MaxInt64) {
				err = fmt.Errorf("audit entry with seq %d", e.Seq)
			}
			return []any{int64(e.Seq), e.Account}, err
		}},
	}[k]
	return t, ok
}
