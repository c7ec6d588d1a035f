package replicas

import (
	"fmt"
	"time"
)

// Kind is one of the Management API budgets a request counts against: Auth0 limits reading and
// writing users separately on some plans and together on others.
type Kind int

const (
	// Read is a GET of a user.
	Read Kind = iota
	// Write is a PATCH of a user.
	Write
	kinds
)

// kindNames are the names of the kinds, by kind.
var kindNames = [kinds]string{Read: "read", Write: "write"}

func (k Kind) String() string {
	if k >= 0 && k < kinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Rate is a configured budget: Burst requests at once, refilled at PerSecond.
type Rate struct {
	PerSecond float64
	Burst     int
}

// interval is the time one request of the rate takes to refill, in microseconds.
func (r Rate) interval() int64 { return int64(float64(time.Second/time.Microsecond) / r.PerSecond) }

// Observation is what one Management API response said of the budget its request counted
// against, from its x-ratelimit-* headers.
type Observation struct {
	// Limit is x-ratelimit-limit: the size of Auth0's bucket.
	Limit int64
	// Remaining is x-ratelimit-remaining: the requests left in it when Auth0 answered.
	Remaining int64
	// ResetIn is how long after the response x-ratelimit-reset lies: the time Auth0 needs to
	// refill the bucket.
	ResetIn time.Duration
	// At is when the response arrived.
	At time.Time
	// Seq is the grant sequence number the request went out under (Grant.Seq).
	Seq int64
}

// Grant is a reservation of budget for a request.
type Grant struct {
	// Wait is how long after the reservation the request may be sent, and NotBefore when.
	Wait      time.Duration
	NotBefore time.Time
	// Kind is the budget the request counts against.
	Kind Kind
	// Bucket names the bucket that granted it and Seq numbers the grant within it, so that the
	// response's observation lands where the request was counted.
	Bucket string
	Seq    int64
}

// bucketOf names the bucket that kind k's requests count against, given the bucket sizes Auth0
// announced for each kind (0 while unknown), and returns its size. Kinds whose buckets have the
// same size share one, taken to be Auth0's tenant-wide bucket (a plan with one limit for every
// call); kinds whose sizes differ keep their own. Until a kind's own size is known, it may share
// a bucket with the other kind: it counts against the other kind's bucket when that size is
// known, and against one bucket of unknown size shared by both before either is.
func bucketOf(k Kind, limits [kinds]int64) (string, int64) {
	if limits[k] > 0 {
		return bucketName(limits[k]), limits[k]
	}
	for _, l := range limits {
		if l > 0 {
			return bucketName(l), l
		}
	}
	return unknownBucket, 0
}

// bucketName names the bucket of Auth0's of size limit; unknownBucket is the one whose size no
// answer has shown yet.
func bucketName(limit int64) string { return fmt.Sprintf("limit-%d", limit) }

const unknownBucket = "unknown"

// The budget has two parts, both kept as a generic cell rate algorithm (GCRA) in microseconds on
// the clock of whoever keeps them: the configured budget of each kind, and a mirror of each of
// Auth0's buckets as its x-ratelimit-* headers show it. A request needs both: the configured
// numbers are a ceiling that Auth0's headers may only lower. Every grant moves a GCRA's
// theoretical arrival time (TAT: when the bucket is full again if nothing more is sent) one
// interval later; every response's headers put the mirror back where Auth0 says it is. Redis
// keeps the same state in a hash, updated by budget.lua with the same rules; the tests run both
// through one table.

// intervalWindow is how long the shortest refill interval seen stays in force (microseconds).
const intervalWindow = int64(30 * time.Second / time.Microsecond)

// gcra is one bucket of the generic cell rate algorithm.
type gcra struct {
	// TAT is the theoretical arrival time: when the bucket is full again if nothing more is sent.
	TAT int64
}

// earliest is the soonest a request may arrive in a bucket of burst requests refilled one every
// interval (it may arrive at any time after).
func (g gcra) earliest(interval, burst int64) int64 { return g.TAT + interval - max(burst, 1)*interval }

// take counts a request arriving at at.
func (g *gcra) take(at, interval int64) { g.TAT = max(g.TAT, at) + interval }

// mirror is one of Auth0's buckets as its responses showed it.
type mirror struct {
	gcra
	// Interval is the refill time per request that the headers showed, 0 while unknown, and
	// IntervalAt when it was last seen. Each response gives an interval at least as long as the
	// true one (see observe): the shortest seen within intervalWindow is kept.
	Interval, IntervalAt int64
	// Seq counts the requests granted; Applied is the Seq of the newest observation applied.
	Seq, Applied int64
	// Prev is the bucket a kind counted against before this one took over (when Auth0's headers
	// showed its size before it granted anything); the grants it made count as this bucket's.
	Prev string
	// Last is when the latest grant may go out. No grant goes out before one granted earlier,
	// so that the requests granted after an observed one are those sent after it (see observe),
	// even when an observation moved the TAT back.
	Last int64
}

// unknownInterval is the refill time per request a mirror assumes until Auth0's headers have
// shown one (or the configured one, when longer): that of Auth0's slowest production plan, a
// free tenant's 2 a second, rounded down to 1 a second. Only a nearly empty bucket waits on
// it, and emptying a bucket shows its interval.
const unknownInterval = int64(time.Second / time.Microsecond)

// interval is the mirror's refill time per request: as observed, else unknownInterval.
func (m *mirror) interval(r Rate) int64 {
	if m.Interval > 0 {
		return m.Interval
	}
	return max(r.interval(), unknownInterval)
}

// observe applies a response's headers, received age microseconds before now. Auth0 held
// Remaining requests then, plus what refilled since: the bucket is full once Limit-Remaining
// intervals have passed, less the age. The requests this bucket granted after the observed one
// were not counted in Remaining, so each adds its interval. An observation of a request granted
// before the newest one applied, or by another bucket (the other kind, sharing this bucket),
// cannot be ordered with this bucket's grants (requests overtake each other on their way to
// Auth0, and more so across replicas): it may only make the bucket emptier.
func (m *mirror) observe(o Observation, granted string, name string, r Rate, now, age int64) {
	same := granted == name || granted == m.Prev
	pending := int64(0)
	if same {
		if o.Seq > m.Seq {
			return
		}
		if o.Seq <= m.Applied {
			same = false
		} else {
			m.Applied = o.Seq
			pending = m.Seq - o.Seq
		}
	}
	// The bucket lacks more than Limit-Remaining-1 requests (Remaining is rounded down) and is
	// full by the reset (rounded up): an interval of resetIn/(Limit-Remaining-1) is never too
	// short.
	if resetIn, used := o.ResetIn.Microseconds(), o.Limit-o.Remaining-1; used > 0 && resetIn > 0 {
		if iv := resetIn / used; m.Interval == 0 || iv <= m.Interval || now-m.IntervalAt > intervalWindow {
			m.Interval, m.IntervalAt = iv, now
		}
	}
	iv := m.interval(r)
	tat := now + max((o.Limit-o.Remaining)*iv-age, 0) + pending*iv
	if pending > 0 {
		// The pending requests are counted above as if they went out at once; those still to
		// go out will take their requests when they do, up to the bucket's size at a time.
		tat = max(tat, m.Last+min(pending, o.Limit)*iv)
	}
	if same {
		m.TAT = tat
	} else {
		m.TAT = max(m.TAT, tat)
	}
}

// unknownLimit is the bucket size a mirror assumes until Auth0's headers have shown one: that of
// its smallest plan, refilled at the configured rate, for reads and writes together. It holds
// back only the first requests, until the first answer arrives.
const unknownLimit = 2

// reserveOne grants one request when both the configured budget and Auth0's bucket (of size
// limit, or unknownLimit while 0) allow it within maxWait, moving both; otherwise it moves
// neither and returns the wait that would have been needed.
func reserveOne(cfg *gcra, m *mirror, r Rate, limit, now, maxWait int64) (wait int64, ok bool) {
	interval := m.interval(r)
	if limit <= 0 {
		limit, interval = unknownLimit, r.interval()
	}
	// The request goes out when both budgets allow it, and never before one granted earlier; it
	// counts in each at that time.
	at := max(now, m.Last, cfg.earliest(r.interval(), int64(r.Burst)), m.earliest(interval, limit))
	if at-now > maxWait {
		return at - now, false
	}
	cfg.take(at, r.interval())
	m.take(at, interval)
	m.Last = at
	m.Seq++
	return at - now, true
}
