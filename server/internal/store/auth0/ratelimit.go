package auth0

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/acme/progressive-profiling/server/internal/replicas"
)

// rateInfo records the status and rate-limit headers of the last response of one upstream
// attempt. The SDK turns error responses into errors without their headers, so a transport under
// the SDK records them into the attempt's context.
type rateInfo struct {
	// seen is set when the response announced its bucket's size and what is left of it.
	seen             bool
	limit, remaining int64
	reset            time.Time // x-ratelimit-reset, zero when absent
	at               time.Time // when the response arrived
	status           int       // the response's HTTP status code
}

// observation is what the headers tell the budget, for the request granted seq.
func (i *rateInfo) observation(seq int64) replicas.Observation {
	o := replicas.Observation{Limit: i.limit, Remaining: i.remaining, At: i.at, Seq: seq}
	if !i.reset.IsZero() {
		o.ResetIn = i.reset.Sub(i.at)
	}
	return o
}

type rateInfoKey struct{}

func withRateInfo(ctx context.Context, info *rateInfo) context.Context {
	return context.WithValue(ctx, rateInfoKey{}, info)
}

// headerTransport records the status and rate-limit headers for requests whose context asks for
// them.
type headerTransport struct{ base http.RoundTripper }

// RoundTrip sends the request and records the response's x-ratelimit-* headers: the bucket's
// size, what is left of it, and when it is full again (unix seconds).
func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	info, ok := req.Context().Value(rateInfoKey{}).(*rateInfo)
	if !ok || resp == nil {
		return resp, err
	}
	*info = rateInfo{at: time.Now(), status: resp.StatusCode}
	if secs, perr := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); perr == nil {
		info.reset = time.Unix(secs, 0)
	}
	limit, lerr := strconv.ParseInt(resp.Header.Get("X-RateLimit-Limit"), 10, 64)
	remaining, rerr := strconv.ParseInt(resp.Header.Get("X-RateLimit-Remaining"), 10, 64)
	if lerr == nil && rerr == nil && limit > 0 && remaining >= 0 {
		info.seen, info.limit, info.remaining = true, limit, min(remaining, limit)
	}
	return resp, err
}
