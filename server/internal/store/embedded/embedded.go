package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	bolt "go.etcd.io/bbolt"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// FileName is the name of the store's file inside Options.Dir.
const FileName = "profiles.db"

// DefaultCacheSize is the number of decoded profiles kept in memory when Options.CacheSize is
// not positive.
const DefaultCacheSize = 10000

// usersBucket holds one record per user, keyed by user id.
var usersBucket = []byte("users")

// lockTimeout is how long Open waits for the file lock held by another process. Tests shorten it.
var lockTimeout = time.Second

// Options configure Open.
type Options struct {
	// Dir is the folder holding the store's file. It is created (mode 0700) when missing.
	Dir string
	// CacheSize is the number of decoded profiles kept in memory; DefaultCacheSize when not
	// positive.
	CacheSize int
	// Logger receives write failures; slog.Default() when nil.
	Logger *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Store is the embedded profile store. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	log    *slog.Logger
	cache  *lru.Cache[string, *store.Profile]
	fillMu sync.RWMutex // readers filling the cache hold it shared; the writer's cache update holds it

	reqs chan *request
	// lastBatch is the size of the writer's previous batch; only the writer uses it.
	lastBatch int
	closing   chan struct{}
	done      chan struct{}
	closed    atomic.Bool
	once      sync.Once
	closeEr   error

	writes  atomic.Uint64
	commits atomic.Uint64
}

// Stats counts the store's writes since Open.
type Stats struct {
	// Writes is the number of profile records written.
	Writes uint64
	// Commits is the number of committed (fsynced) transactions holding those writes.
	Commits uint64
}

// Open opens, or creates, the store in opts.Dir. It fails after about a second when another
// process has the file open.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("embedded store: no data directory given")
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded store: create data directory %s: %w", opts.Dir, err)
	}
	path := filepath.Join(opts.Dir, FileName)
	// The freelist is not written on each commit (bbolt rebuilds it when opening), which saves a
	// page write per commit; a hashmap freelist keeps allocation cheap as the file grows.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("embedded store: %s is in use by another process (no lock after %s)", path, lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(usersBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("embedded store: initialise %s: %w", path, err)
	}
	return newStore(db, opts), nil
}

func newStore(db *bolt.DB, opts Options) *Store {
	size := opts.CacheSize
	if size <= 0 {
		size = DefaultCacheSize
	}
	cache, _ := lru.New[string, *store.Profile](size) // fails only for a size <= 0
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Store{
		db:      db,
		log:     log,
		cache:   cache,
		reqs:    make(chan *request, queueSize),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go s.writer()
	return s
}

// Get returns the user's profile; an unknown user reads as an empty profile with UserID set.
// The profile is shared and must not be modified.
func (s *Store) Get(ctx context.Context, userID string) (*store.Profile, error) {
	if err := store.InvalidUserID(userID); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, errClosed
	}
	if p, ok := s.cache.Get(userID); ok {
		return p, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Holding fillMu shared while reading and caching means the writer's post-commit cache
	// update, which holds it exclusively, always lands after any older value a reader adds.
	s.fillMu.RLock()
	defer s.fillMu.RUnlock()
	var p *store.Profile
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = loadProfile(tx, userID)
		return err
	})
	if err != nil {
		return nil, readError(err)
	}
	s.cache.Add(userID, p)
	return p, nil
}

// loadProfile reads a user's profile in tx, or an empty one for an unknown user.
func loadProfile(tx *bolt.Tx, userID string) (*store.Profile, error) {
	data := tx.Bucket(usersBucket).Get([]byte(userID))
	if data == nil {
		return &store.Profile{UserID: userID}, nil
	}
	return decodeProfile(userID, data) // decoding copies out of the mmap, so p outlives tx
}

func readError(err error) error {
	if store.KindOf(err) != 0 {
		return err
	}
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return errClosed
	}
	return unavailable("reading the embedded store failed", err)
}

// Update calls fn with the user's current profile and writes the patch it returns, merged with
// Auth0's PATCH semantics (store.Apply). Updates are serialised by one writer goroutine, so fn
// always sees every earlier update; an empty patch writes nothing. The call returns once the
// write is durable. If ctx ends before the writer takes the update, nothing is written and
// ctx.Err() is returned.
func (s *Store) Update(ctx context.Context, userID string, fn store.UpdateFunc) (*store.Profile, error) {
	if err := store.InvalidUserID(userID); err != nil {
		return nil, err
	}
	res, err := s.submit(ctx, []op{{userID: userID, change: patchChange(fn)}})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// patchChange turns an UpdateFunc into a change of the profile: nil when the patch changes
// nothing.
func patchChange(fn store.UpdateFunc) changeFunc {
	return func(cur *store.Profile) (*store.Profile, error) {
		patch, err := fn(cur)
		if err != nil {
			return nil, err
		}
		if patch = store.Changes(cur, patch); patch.Empty() {
			return nil, nil
		}
		if err := store.CheckKeys(patch); err != nil {
			return nil, err
		}
		return store.Apply(cur, patch), nil
	}
}

// Stats returns the store's write counters.
func (s *Store) Stats() Stats {
	return Stats{Writes: s.writes.Load(), Commits: s.commits.Load()}
}

var _ store.Metered = (*Store)(nil)

// Backend names the store in metrics.
func (s *Store) Backend() string { return "embedded" }

// Metrics reports the store's write counters.
func (s *Store) Metrics() store.Metrics {
	x := s.Stats()
	return store.Metrics{Writes: x.Writes, Commits: x.Commits}
}

// Close stops the writer, failing updates it has not taken yet, waits for the updates it has
// taken, and closes the file. Later calls return the first call's result.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		close(s.closing)
		<-s.done
		s.closeEr = s.db.Close()
	})
	return s.closeEr
}
