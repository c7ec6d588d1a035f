package replicas

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/acme/progressive-profiling/server/internal/sleep"
	"github.com/acme/progressive-profiling/server/internal/store"
)

var (
	//go:embed budget.lua
	budgetLua string
	//go:embed release.lua
	releaseLua string
	//go:embed share.lua
	shareLua string
	//go:embed unlock.lua
	unlockLua string
	//go:embed lock.lua
	lockLua string

	budgetScript  = redis.NewScript(budgetLua)
	releaseScript = redis.NewScript(releaseLua)
	shareScript   = redis.NewScript(shareLua)
	unlockScript  = redis.NewScript(unlockLua)
	lockScript    = redis.NewScript(lockLua)
)

// Defaults of RedisConfig.
const (
	DefaultPrefix = "profile:"
	DefaultLease  = 15 * time.Second
	// MinLease is the shortest lease that leaves work under it a second after leaseMargin.
	MinLease = leaseMargin + time.Second
)

const (
	// leaseMargin is the part of a lease kept free at its end: work under the lease must be
	// done this long before the lease runs out, so that a request cut off at its deadline has
	// time to be over before another replica may take the lock.
	leaseMargin = 2 * time.Second
	// lockPoll bounds the wait between two tries of a lock another replica holds, for the case
	// where its release message is lost (a replica that died holding it).
	lockPoll = 100 * time.Millisecond
	// downFor is how long Redis is left alone after a failure: reads skip it and writes fail at
	// once, instead of each waiting for a timeout.
	downFor = 2 * time.Second
	// heartbeat is how often the invalidation subscription is checked when no message comes;
	// a subscription not heard from for staleAfter is no longer trusted.
	heartbeat  = time.Second
	staleAfter = 3 * heartbeat
	// budgetTTL is how long the budget's state outlives its last use.
	budgetTTL = time.Hour
)

// RedisConfig configures a Redis coordinator.
type RedisConfig struct {
	// Client is the Redis client; the caller owns it and closes it after Close. Its timeouts
	// bound every call: keep them short (Redis answers in well under a millisecond), so that a
	// slow Redis fails writes fast instead of holding callers.
	Client *redis.Client
	// Prefix starts every key and the channel; replicas of one deployment share it.
	Prefix string
	// Lease is how long a write lock lasts unless released; it must outlive the store's work
	// under the lock (see Lease.Until).
	Lease time.Duration
	// CopyTTL bounds the age of a shared copy, as the store's cache TTL bounds its own.
	CopyTTL time.Duration
	// Reads and Writes are the configured Management API budgets, shared by all replicas.
	Reads, Writes Rate
	// Logger receives warnings about Redis failures; nil discards them.
	Logger *slog.Logger
}

// Redis is the Coordinator of replicas sharing one Redis.
type Redis struct {
	cfg   RedisConfig
	rdb   *redis.Client
	id    string // this replica, to tell its own invalidations apart
	now   func() time.Time
	local *localBudget
	locks *keyLock      // one writer per user in this process before Redis is asked
	poll  time.Duration // lockPoll, longer in tests that tell a wake-up from a poll

	// down is when Redis may be tried again after a failure, in unix nanoseconds.
	down atomic.Int64
	// roundTrips counts the calls made to Redis (the subscription's traffic aside).
	roundTrips atomic.Int64

	// pending holds the observations not sent yet, in the order they arrived (at most
	// maxPending, the newest), sent with the next Reserve or by sendObservations when flush is
	// signalled. Every one counts: an older answer may show the bucket emptier than a newer one.
	obsMu   sync.Mutex
	pending []pendingObservation
	flush   chan struct{}
	flushed chan struct{} // closed when sendObservations returns

	// waiters are the lock waiters of this process, woken when their user's lock is released.
	waitMu  sync.Mutex
	waiters map[string]chan struct{}

	// Subscription state: heard is when the subscription last proved alive (unix nanoseconds),
	// 0 while it is not subscribed.
	heard   atomic.Int64
	watcher atomic.Pointer[watcher]
	sub     *redis.PubSub
	stop    context.CancelFunc
	done    chan struct{}

	// bg lives until Close; the retries of failed releases run under it, counted by retries
	// (none starts once closed is set).
	bg      context.Context
	retryMu sync.Mutex
	closed  bool
	retries sync.WaitGroup
}

type watcher struct {
	onChange func(userID string)
	onReset  func()
}

type pendingObservation struct {
	grant Grant
	obs   Observation
}

var _ Coordinator = (*Redis)(nil)

// NewRedis starts a coordinator on cfg.Client and subscribes to the invalidation channel at
// once (see Watch). It fails when Redis does not answer.
func NewRedis(ctx context.Context, cfg RedisConfig) (*Redis, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Client.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	r := &Redis{
		cfg: cfg, rdb: cfg.Client, id: hex.EncodeToString(b), now: time.Now,
		local:   newLocalBudget(cfg.Reads, cfg.Writes),
		locks:   newKeyLock(),
		poll:    lockPoll,
		flush:   make(chan struct{}, 1),
		flushed: make(chan struct{}),
		waiters: map[string]chan struct{}{},
		done:    make(chan struct{}),
	}
	// Loaded once here, the scripts then run by hash in one round trip each.
	for _, sc := range []*redis.Script{budgetScript, releaseScript, shareScript, unlockScript, lockScript} {
		if err := sc.Load(ctx, r.rdb).Err(); err != nil {
			return nil, fmt.Errorf("redis: loading scripts: %w", err)
		}
	}
	r.sub = r.rdb.Subscribe(ctx, r.channel())
	if _, err := r.sub.ReceiveTimeout(ctx, cfg.Client.Options().ReadTimeout); err != nil {
		_ = r.sub.Close()
		return nil, fmt.Errorf("redis: subscribing to %s: %w", r.channel(), err)
	}
	r.heard.Store(time.Now().UnixNano())
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r.stop, r.bg = stop, sctx
	go r.listen(sctx)
	go r.sendObservations(sctx)
	return r, nil
}

func (r *Redis) channel() string            { return r.cfg.Prefix + "changed" }
func (r *Redis) key(parts ...string) string { return r.cfg.Prefix + strings.Join(parts, ":") }

// Watch calls onChange with each user another replica changed, and onReset whenever
// invalidations may have been missed (a cache must then be emptied), from now on.
func (r *Redis) Watch(onChange func(userID string), onReset func()) {
	r.watcher.Store(&watcher{onChange: onChange, onReset: onReset})
}

// Close stops listening for invalidations.
func (r *Redis) Close() error {
	r.retryMu.Lock()
	r.closed = true
	r.retryMu.Unlock()
	r.stop()
	r.retries.Wait()
	err := r.sub.Close()
	<-r.done
	<-r.flushed
	return err
}

// available reports whether Redis may be tried now.
func (r *Redis) available() bool { return time.Now().UnixNano() >= r.down.Load() }

// failed records a Redis failure: Redis is left alone for a while.
func (r *Redis) failed(ctx context.Context, op string, err error) {
	if r.available() {
		r.cfg.Logger.WarnContext(ctx, "redis unavailable; reads go to Auth0 and writes are refused for a while", "op", op, "error", err, "for", downFor)
	}
	r.down.Store(time.Now().Add(downFor).UnixNano())
}

// unavailable is the error of a write refused because Redis cannot be reached.
func (r *Redis) unavailable(cause error) error {
	retry := max(time.Until(time.Unix(0, r.down.Load())), 100*time.Millisecond)
	return &UnavailableError{RetryAfter: retry, Err: cause}
}

// UnavailableError is the failure of a lock when Redis cannot be reached. It wraps
// ErrUnavailable.
type UnavailableError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%v: %v", ErrUnavailable, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Lock takes userID's lock in this process, then in Redis: SET NX with the lease as expiry and a
// random token, so that only this holder releases it and a holder that dies loses it when the
// lease ends. While another replica holds it, Lock waits for its release message (or polls)
// until ctx ends. The lease's Until leaves a margin before Redis lets the lock go.
func (r *Redis) Lock(ctx context.Context, userID string) (*Lease, error) {
	unlock, err := r.locks.lock(ctx, userID)
	if err != nil {
		return nil, err
	}
	token, err := r.acquire(ctx, userID)
	if err != nil {
		unlock()
		return nil, err
	}
	return &Lease{
		Until:  token.at.Add(r.cfg.Lease - leaseMargin),
		Shared: r.decodeCopy(userID, token.copy),
		release: func(p *store.Profile, wrote bool, keep time.Duration) {
			r.release(userID, token.value, token.at.Add(r.cfg.Lease), p, wrote, keep)
			unlock()
		},
	}, nil
}

type lockToken struct {
	value string
	at    time.Time // when the SET that took the lock was sent: the lease runs from later
	copy  string    // the user's shared copy as the lock was taken, "" when none
}

func (r *Redis) acquire(ctx context.Context, userID string) (lockToken, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := lockToken{value: hex.EncodeToString(b)}
	key := r.key("lock", userID)
	for {
		if !r.available() {
			return lockToken{}, r.unavailable(errors.New("redis failed recently"))
		}
		woken := r.wait(userID)
		tok.at = time.Now()
		r.roundTrips.Add(1)
		res, err := lockScript.Run(ctx, r.rdb, []string{key, r.key("copy", userID), r.key("locks-since")}, tok.value, r.cfg.Lease.Milliseconds()).Slice()
		ok, quiet := false, time.Duration(0)
		if err == nil && len(res) == 2 {
			outcome, _ := res[0].(int64)
			switch outcome {
			case 1:
				ok = true
				tok.copy, _ = res[1].(string)
			case 2:
				ms, _ := strconv.ParseInt(fmt.Sprint(res[1]), 10, 64)
				quiet = time.Duration(ms) * time.Millisecond
			}
		}
		if quiet > 0 && r.upForALease(ctx) {
			// No lock taken before Redis last started can still be in use: the marker was
			// missing because this Redis never granted a lock (a new deployment), not because
			// it lost them. End the quiet period at once.
			r.roundTrips.Add(1)
			if err := r.rdb.Set(ctx, r.key("locks-since"), "0", 0).Err(); err == nil {
				r.unwait(userID)
				continue
			}
		}
		if quiet > 0 {
			// Redis lost its data (restarted): locks taken before may still be in use.
			r.unwait(userID)
			if deadline, has := ctx.Deadline(); has && time.Now().Add(quiet).After(deadline) {
				return lockToken{}, &UnavailableError{RetryAfter: quiet, Err: errors.New("redis lost its locks recently; waiting for their leases to end")}
			}
			if err := sleep.For(ctx, quiet); err != nil {
				return lockToken{}, err
			}
			continue
		}
		if err != nil {
			r.unwait(userID)
			if ctx.Err() != nil {
				return lockToken{}, ctx.Err()
			}
			r.failed(ctx, "lock", err)
			return lockToken{}, r.unavailable(err)
		}
		if ok {
			r.unwait(userID)
			return tok, nil
		}
		t := time.NewTimer(r.poll)
		select {
		case <-woken:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			r.unwait(userID)
			return lockToken{}, ctx.Err()
		}
		t.Stop()
	}
}

// upForALease reports whether Redis has been running for longer than a lease, from the
// uptime INFO reports; false when it cannot tell.
func (r *Redis) upForALease(ctx context.Context) bool {
	r.roundTrips.Add(1)
	info, err := r.rdb.Info(ctx, "server").Result()
	if err != nil {
		return false
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "uptime_in_seconds:"); ok {
			secs, err := strconv.ParseInt(v, 10, 64)
			return err == nil && time.Duration(secs)*time.Second > r.cfg.Lease
		}
	}
	return false
}

// wait registers this process's waiter for userID's lock (the process lock makes it the only
// one) and returns the channel closed when a release of that user is heard.
func (r *Redis) wait(userID string) <-chan struct{} {
	r.waitMu.Lock()
	defer r.waitMu.Unlock()
	ch := make(chan struct{})
	r.waiters[userID] = ch
	return ch
}

func (r *Redis) unwait(userID string) {
	r.waitMu.Lock()
	defer r.waitMu.Unlock()
	delete(r.waiters, userID)
}

func (r *Redis) wake(userID string) {
	r.waitMu.Lock()
	defer r.waitMu.Unlock()
	if ch, ok := r.waiters[userID]; ok {
		close(ch)
		delete(r.waiters, userID)
	}
}

// release ends the lock, which Redis lets go at leaseEnd otherwise; with keep > 0 the lock
// stays taken for keep from now instead. After a write it also replaces the shared copy (or drops
// it when the profile is unknown), counts a new version and publishes the change, in the same
// script. A release whose call fails is made again in the background (see retryRelease).
func (r *Redis) release(userID, token string, leaseEnd time.Time, p *store.Profile, wrote bool, keep time.Duration) {
	lock := r.key("lock", userID)
	op, until := "unlock", leaseEnd
	send := func(ctx context.Context) (int, error) {
		return unlockScript.Run(ctx, r.rdb, []string{lock}, token, r.channel(), "unlocked "+r.id+" "+userID).Int()
	}
	if wrote {
		copyJSON := ""
		if p != nil {
			if b, err := encodeCopy(p, time.Now()); err == nil {
				copyJSON = string(b)
			}
		}
		keys := []string{lock, r.key("copy", userID), r.key("version", userID)}
		// Until the other replicas' caches have expired, the change is worth telling.
		op, until = "release", time.Now().Add(r.cfg.CopyTTL)
		send = func(ctx context.Context) (int, error) {
			return releaseScript.Run(ctx, r.rdb, keys, token, copyJSON, r.cfg.CopyTTL.Milliseconds(),
				r.versionTTL().Milliseconds(), r.channel(), "changed "+r.id+" "+userID, keep.Milliseconds()).Int()
		}
	}
	owned, err := r.sendRelease(context.Background(), send)
	switch {
	case err != nil:
		r.failed(context.Background(), op, err)
		r.retryMu.Lock()
		defer r.retryMu.Unlock()
		if !r.closed {
			r.retries.Add(1)
			go r.retryRelease(op, send, until)
		}
	case wrote && owned == 0:
		r.cfg.Logger.Warn("a write lock's lease ran out before its release; another writer may have overlapped", "lease", r.cfg.Lease)
	}
}

// sendRelease makes one call of a release, within the client's timeouts.
func (r *Redis) sendRelease(ctx context.Context, send func(context.Context) (int, error)) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, r.rdb.Options().WriteTimeout+r.rdb.Options().ReadTimeout)
	defer cancel()
	r.roundTrips.Add(1)
	return send(ctx)
}

// retryRelease makes a failed release again, waiting longer each time, until it succeeds, until
// passes, or Close. Otherwise the lock would hold every replica's writers of the user until its
// lease ends, and the other replicas would serve their copies from before the write until they
// expire. A call that failed may have been made all the same: the scripts may run twice.
func (r *Redis) retryRelease(op string, send func(context.Context) (int, error), until time.Time) {
	defer r.retries.Done()
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if time.Now().Add(wait).After(until) {
			r.cfg.Logger.Warn("redis: giving up a release; the lock ends with its lease, and other replicas' copies with their TTL", "op", op)
			return
		}
		if sleep.For(r.bg, wait) != nil {
			return
		}
		if _, err := r.sendRelease(r.bg, send); err == nil {
			return
		}
	}
}

// versionTTL keeps a user's version well past any read in flight that loaded it.
func (r *Redis) versionTTL() time.Duration { return max(10*r.cfg.CopyTTL, time.Minute) }

// Reserve takes from the budget in Redis, sending with it the newest observation of each bucket
// this replica has not sent yet. When Redis fails it takes from this replica's own budget.
func (r *Redis) Reserve(ctx context.Context, reads, writes int, maxWait time.Duration) (Grants, error) {
	if !r.available() {
		return r.local.reserve(reads, writes, maxWait)
	}
	obs := r.takePending()
	g, err := r.runBudget(ctx, reads, writes, maxWait, obs)
	if err != nil && !errors.As(err, new(*ExhaustedError)) {
		r.requeue(obs)
		if ctx.Err() != nil {
			return Grants{}, ctx.Err()
		}
		r.failed(ctx, "reserve", err)
		return r.local.reserve(reads, writes, maxWait)
	}
	return g, err
}

// runBudget runs budget.lua: it applies obs, then reserves.
func (r *Redis) runBudget(ctx context.Context, reads, writes int, maxWait time.Duration, obs []pendingObservation) (Grants, error) {
	args := []any{reads, writes, maxWait.Microseconds(),
		r.cfg.Reads.interval(), r.cfg.Reads.Burst, r.cfg.Writes.interval(), r.cfg.Writes.Burst,
		int64(budgetTTL / time.Second), len(obs), intervalWindow, unknownInterval, unknownLimit}
	now := r.now()
	for _, p := range obs {
		args = append(args, p.grant.Kind.String(), p.grant.Bucket, p.grant.Seq, p.obs.Limit, p.obs.Remaining,
			p.obs.ResetIn.Microseconds(), now.Sub(p.obs.At).Microseconds())
	}
	r.roundTrips.Add(1)
	res, err := budgetScript.Run(ctx, r.rdb, []string{r.key("budget")}, args...).Slice()
	if err != nil {
		return Grants{}, err
	}
	return parseGrants(res, now)
}

// parseGrants reads the script's reply to a reservation made at now.
func parseGrants(res []any, now time.Time) (Grants, error) {
	bad := fmt.Errorf("replicas: unexpected budget reply %v", res)
	if len(res) == 0 {
		return Grants{}, bad
	}
	if ok, _ := res[0].(int64); ok != 1 {
		if len(res) != 3 {
			return Grants{}, bad
		}
		kind, _ := res[1].(int64)
		wait, err := strconv.ParseInt(fmt.Sprint(res[2]), 10, 64)
		if err != nil {
			return Grants{}, bad
		}
		return Grants{}, &ExhaustedError{Kind: Kind(kind), RetryAfter: time.Duration(wait) * time.Microsecond}
	}
	var g Grants
	for i := 1; i+3 < len(res); i += 4 {
		kind, _ := res[i].(int64)
		bucket, _ := res[i+1].(string)
		seq, err1 := strconv.ParseInt(fmt.Sprint(res[i+2]), 10, 64)
		wait, err2 := strconv.ParseInt(fmt.Sprint(res[i+3]), 10, 64)
		if err1 != nil || err2 != nil || bucket == "" {
			return Grants{}, bad
		}
		w := time.Duration(wait) * time.Microsecond
		gr := Grant{Wait: w, NotBefore: now.Add(w), Kind: Kind(kind), Bucket: bucket, Seq: seq}
		if gr.Kind == Read {
			g.Reads = append(g.Reads, gr)
		} else {
			g.Writes = append(g.Writes, gr)
		}
	}
	return g, nil
}

// Observe queues the observation for Redis and applies it to this replica's own budget, which
// serves while Redis is unavailable. Queued observations go with the next reservation; one that
// the other replicas need soon (a bucket size not seen before, or a bucket more than half empty)
// is sent at once, in the background.
func (r *Redis) Observe(g Grant, o Observation) {
	news := r.local.limitOf(g.Kind) != o.Limit || o.Remaining*2 < o.Limit
	r.local.observe(Grant{Kind: g.Kind}, o)
	r.obsMu.Lock()
	r.pending = keepNewest(append(r.pending, pendingObservation{grant: g, obs: o}))
	r.obsMu.Unlock()
	if news {
		select {
		case r.flush <- struct{}{}:
		default:
		}
	}
}

// sendObservations sends queued observations when Observe asks, until ctx ends.
func (r *Redis) sendObservations(ctx context.Context) {
	defer close(r.flushed)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.flush:
		}
		obs := r.takePending()
		if len(obs) == 0 || !r.available() {
			r.requeue(obs)
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, r.rdb.Options().ReadTimeout+r.rdb.Options().WriteTimeout)
		if _, err := r.runBudget(cctx, 0, 0, 0, obs); err != nil && ctx.Err() == nil {
			r.failed(ctx, "observe", err)
			r.requeue(obs)
		}
		cancel()
	}
}

// requeue puts back observations that could not be sent, before those that came since.
func (r *Redis) requeue(obs []pendingObservation) {
	r.obsMu.Lock()
	defer r.obsMu.Unlock()
	r.pending = keepNewest(append(obs, r.pending...))
}

// takePending returns the observations to send, in the order they arrived.
func (r *Redis) takePending() []pendingObservation {
	r.obsMu.Lock()
	defer r.obsMu.Unlock()
	out := r.pending
	r.pending = nil
	return out
}

// maxPending bounds the observations waiting for Redis (while it is down, say).
const maxPending = 256

// keepNewest drops all but the last maxPending observations of obs.
func keepNewest(obs []pendingObservation) []pendingObservation {
	if n := len(obs) - maxPending; n > 0 {
		return slices.Delete(obs, 0, n)
	}
	return obs
}

// sharedCopy is a profile as another replica read or wrote it.
type sharedCopy struct {
	ReadAt       time.Time      `json:"read_at"`
	UserID       string         `json:"user_id"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	UserMetadata map[string]any `json:"user_metadata,omitempty"`
	AppMetadata  map[string]any `json:"app_metadata,omitempty"`
}

func encodeCopy(p *store.Profile, readAt time.Time) ([]byte, error) {
	return json.Marshal(sharedCopy{ReadAt: readAt, UserID: p.UserID, Attributes: p.Attributes, UserMetadata: p.UserMetadata, AppMetadata: p.AppMetadata})
}

// Load reads userID's shared copy and version in one round trip. It finds nothing while Redis is
// unavailable, and never returns a copy older than CopyTTL.
func (r *Redis) Load(ctx context.Context, userID string) (*store.Profile, time.Time, Version, bool) {
	if !r.available() {
		return nil, time.Time{}, "", false
	}
	r.roundTrips.Add(1)
	vals, err := r.rdb.MGet(ctx, r.key("copy", userID), r.key("version", userID)).Result()
	if err != nil || len(vals) != 2 {
		if err != nil && ctx.Err() == nil {
			r.failed(ctx, "load", err)
		}
		return nil, time.Time{}, "", false
	}
	v, _ := vals[1].(string)
	raw, ok := vals[0].(string)
	if !ok {
		return nil, time.Time{}, Version(v), false
	}
	p, readAt, ok := r.parseCopy(userID, raw)
	return p, readAt, Version(v), ok
}

// parseCopy decodes a shared copy of userID, unless it is older than CopyTTL.
func (r *Redis) parseCopy(userID, raw string) (*store.Profile, time.Time, bool) {
	var c sharedCopy
	if raw == "" || json.Unmarshal([]byte(raw), &c) != nil || c.UserID != userID || time.Since(c.ReadAt) > r.cfg.CopyTTL {
		return nil, time.Time{}, false
	}
	return &store.Profile{UserID: c.UserID, Attributes: c.Attributes, UserMetadata: c.UserMetadata, AppMetadata: c.AppMetadata}, c.ReadAt, true
}

// decodeCopy is parseCopy for a lock: the copy, or nil.
func (r *Redis) decodeCopy(userID, raw string) *store.Profile {
	p, _, _ := r.parseCopy(userID, raw)
	return p
}

// Share stores p as userID's shared copy unless a write was released since Load returned v.
func (r *Redis) Share(ctx context.Context, userID string, v Version, p *store.Profile, readAt time.Time) {
	if !r.available() {
		return
	}
	b, err := encodeCopy(p, readAt)
	if err != nil {
		return
	}
	ttl := r.cfg.CopyTTL - time.Since(readAt)
	if ttl <= 0 {
		return
	}
	keys := []string{r.key("copy", userID), r.key("version", userID)}
	r.roundTrips.Add(1)
	if err := shareScript.Run(ctx, r.rdb, keys, string(v), string(b), ttl.Milliseconds()).Err(); err != nil && ctx.Err() == nil {
		r.failed(ctx, "share", err)
	}
}

// RoundTrips counts the calls this coordinator made to Redis since it started, the
// subscription's traffic aside.
func (r *Redis) RoundTrips() int64 { return r.roundTrips.Load() }

// Coherent reports whether the invalidation subscription is alive: subscribed, and heard from
// within staleAfter.
func (r *Redis) Coherent() bool {
	h := r.heard.Load()
	return h != 0 && time.Since(time.Unix(0, h)) < staleAfter
}

// listen receives invalidations until ctx ends. Every (re)subscription empties the cache,
// since messages may have been missed before it; a silence of a heartbeat is answered with a
// ping, whose pong proves the connection alive.
func (r *Redis) listen(ctx context.Context) {
	defer close(r.done)
	for ctx.Err() == nil {
		msg, err := r.sub.ReceiveTimeout(ctx, heartbeat)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var nerr interface{ Timeout() bool }
			if errors.As(err, &nerr) && nerr.Timeout() {
				if perr := r.sub.Ping(ctx); perr != nil {
					r.heard.Store(0)
				}
				continue
			}
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			r.heard.Store(0)
			// go-redis reconnects and subscribes again on the next receive; don't spin.
			if sleep.For(ctx, 100*time.Millisecond) != nil {
				return
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			if w := r.watcher.Load(); w != nil {
				w.onReset()
			}
			r.heard.Store(time.Now().UnixNano())
		case *redis.Pong:
			r.heard.Store(time.Now().UnixNano())
		case *redis.Message:
			if r.heard.Load() != 0 {
				r.heard.Store(time.Now().UnixNano())
			}
			// "changed REPLICA USER" or "unlocked REPLICA USER"; user ids may hold spaces.
			what, rest, _ := strings.Cut(m.Payload, " ")
			from, userID, ok := strings.Cut(rest, " ")
			if !ok {
				continue
			}
			r.wake(userID)
			if w := r.watcher.Load(); what == "changed" && from != r.id && w != nil {
				w.onChange(userID)
			}
		}
	}
}
