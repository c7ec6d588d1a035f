package embedded

import (
	"context"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

const (
	// queueSize is how many requests may wait for the writer.
	queueSize = 1024
	// maxBatch bounds how many requests share one transaction.
	maxBatch = 512
)

// changeFunc computes a user's next profile from the current one; nil means no change.
type changeFunc func(cur *store.Profile) (*store.Profile, error)

// op is one user's change inside a request.
type op struct {
	userID string
	change changeFunc
}

// Request states: a caller may abandon a pending request; the writer may take it. Whoever
// moves it out of pending first wins.
const (
	pending int32 = iota
	taken
	abandoned
)

// request is a caller's unit of work: its ops are written all together or not at all.
type request struct {
	ctx   context.Context
	ops   []op
	state atomic.Int32
	reply chan result // buffered, written once by the writer for a taken request
}

// result answers a request: the profile after each op, or why nothing was written.
type result struct {
	profiles []*store.Profile
	err      error
}

// submit hands ops to the writer and waits for their result.
func (s *Store) submit(ctx context.Context, ops []op) ([]*store.Profile, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := &request{ctx: ctx, ops: ops, reply: make(chan result, 1)}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closing:
		return nil, errClosed
	}
	select {
	case r := <-req.reply:
		return r.profiles, r.err
	case <-ctx.Done():
		if req.state.CompareAndSwap(pending, abandoned) {
			return nil, ctx.Err()
		}
	case <-s.done:
		if req.state.CompareAndSwap(pending, abandoned) {
			return nil, errClosed
		}
	}
	// The writer took the request: its result, committed or not, is on the way.
	r := <-req.reply
	return r.profiles, r.err
}

// writer is the only goroutine that writes the file. It takes every request waiting, runs
// them in one transaction in arrival order and commits once for all of them.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*request, 0, maxBatch)
	for {
		select {
		case <-s.closing:
			s.failPending()
			return
		default:
		}
		select {
		case <-s.closing:
			s.failPending()
			return
		case req := <-s.reqs:
			batch = s.drain(append(batch[:0], req))
			batch = s.linger(batch)
			s.lastBatch = len(batch)
			s.runBatch(batch)
			clear(batch)
		}
	}
}

// drain appends the requests already waiting, without waiting for more.
func (s *Store) drain(batch []*request) []*request {
	for len(batch) < maxBatch {
		select {
		case req := <-s.reqs:
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// linger waits a little (lingerFor at most) for more writes when the batch is small but the
// previous one showed concurrent writers, so that more writes share one commit and its two
// syncs: fewer commits cost less CPU per write under load. A lone writer never waits.
func (s *Store) linger(batch []*request) []*request {
	if len(batch) >= lingerBatch || s.lastBatch <= 1 {
		return batch
	}
	t := time.NewTimer(lingerFor)
	defer t.Stop()
	for len(batch) < maxBatch {
		select {
		case req := <-s.reqs:
			batch = append(batch, req)
		case <-t.C:
			return batch
		}
	}
	return batch
}

const (
	// lingerBatch is the batch size from which the writer commits without lingering.
	lingerBatch = 32
	// lingerFor bounds how long a write may wait for others to share its commit.
	lingerFor = 300 * time.Microsecond
)

// failPending answers the requests still queued at Close.
func (s *Store) failPending() {
	for {
		select {
		case req := <-s.reqs:
			if req.state.CompareAndSwap(pending, taken) {
				req.reply <- result{err: errClosed}
			}
		default:
			return
		}
	}
}

// runBatch runs the requests in one transaction, commits it and answers every request taken.
func (s *Store) runBatch(reqs []*request) {
	b := &batch{s: s, staged: make(map[string]stagedRecord)}
	defer b.rollback()
	results := make([]result, len(reqs))
	took := make([]bool, len(reqs))
	for i, req := range reqs {
		if !req.state.CompareAndSwap(pending, taken) {
			continue // the caller gave up before we got to it
		}
		took[i] = true
		if err := req.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		results[i] = b.apply(req.ops)
	}
	if err := b.commit(); err != nil {
		s.log.Error("embedded store: commit failed", "err", err, "requests", len(reqs))
		for i := range results {
			if results[i].err == nil {
				results[i] = result{err: unavailable("writing the embedded store failed", err)}
			}
		}
	}
	for i, req := range reqs {
		if took[i] {
			req.reply <- results[i]
		}
	}
}

// callChange runs a caller's change, turning a panic into an error for that caller alone.
func callChange(change changeFunc, cur *store.Profile) (next *store.Profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("embedded store: update function panicked: %v", r)
		}
	}()
	return change(cur)
}

// stagedRecord is a profile written in the current batch, decoded and encoded.
type stagedRecord struct {
	profile *store.Profile
	data    []byte
}

// apply runs one request's ops against the batch's view. On any error nothing of the request
// is staged.
func (b *batch) apply(ops []op) result {
	local := make(map[string]stagedRecord, len(ops))
	profiles := make([]*store.Profile, len(ops))
	for i, o := range ops {
		cur, err := b.current(local, o.userID)
		if err != nil {
			return result{err: err}
		}
		next, err := callChange(o.change, cur)
		if err != nil {
			return result{err: err}
		}
		if next == nil {
			profiles[i] = cur
			continue
		}
		canon, data, err := canonical(next)
		if err != nil {
			return result{err: err}
		}
		local[o.userID] = stagedRecord{profile: canon, data: data}
		profiles[i] = canon
	}
	maps.Copy(b.staged, local)
	return result{profiles: profiles}
}
