package embedded

import (
	bolt "go.etcd.io/bbolt"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// batch is the writer's view while it runs one group of requests: the committed state (cache
// or file) overlaid with the profiles staged so far, so that two updates of one user in a
// batch see each other.
type batch struct {
	s      *Store
	tx     *bolt.Tx // read-write, opened on first need
	staged map[string]stagedRecord
}

// current returns the user's profile as the next op must see it.
func (b *batch) current(local map[string]stagedRecord, userID string) (*store.Profile, error) {
	if r, ok := local[userID]; ok {
		return r.profile, nil
	}
	if r, ok := b.staged[userID]; ok {
		return r.profile, nil
	}
	// Cached profiles equal the committed state: only this goroutine commits, and it
	// refreshes the cache after each commit.
	if p, ok := b.s.cache.Get(userID); ok {
		return p, nil
	}
	tx, err := b.txn()
	if err != nil {
		return nil, err
	}
	p, err := loadProfile(tx, userID)
	if err != nil {
		return nil, readError(err)
	}
	return p, nil
}

func (b *batch) txn() (*bolt.Tx, error) {
	if b.tx == nil {
		tx, err := b.s.db.Begin(true)
		if err != nil {
			return nil, readError(err)
		}
		b.tx = tx
	}
	return b.tx, nil
}

// commit writes the staged records in one transaction, one fsync, then refreshes the cache.
// With nothing staged it writes nothing.
func (b *batch) commit() error {
	if len(b.staged) == 0 {
		return nil
	}
	tx, err := b.txn()
	if err != nil {
		return err
	}
	bucket := tx.Bucket(usersBucket)
	for id, r := range b.staged {
		if err := bucket.Put([]byte(id), r.data); err != nil {
			return err
		}
	}
	b.tx = nil
	if err := tx.Commit(); err != nil {
		return err
	}
	b.s.commits.Add(1)
	b.s.writes.Add(uint64(len(b.staged)))
	b.s.fillMu.Lock()
	for id, r := range b.staged {
		b.s.cache.Add(id, r.profile)
	}
	b.s.fillMu.Unlock()
	return nil
}

// rollback discards an open transaction that was not committed.
func (b *batch) rollback() {
	if b.tx != nil {
		_ = b.tx.Rollback()
		b.tx = nil
	}
}
