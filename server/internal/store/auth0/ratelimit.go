package auth0

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// rateInfo records the rate-limit reset of the last response of one upstream attempt. The SDK
// turns error responses into errors without their headers, so a transport under the SDK records
// them into the attempt's context.
type rateInfo struct {
	reset  time.Time // x-ratelimit-reset, zero when absent
	bucket bucket    // the limit the request counts against
}

// bucket is one of Auth0's rate limits a request counts against: reads and writes of users are
// limited separately, so a 429 on one holds back only that kind of request.
type bucket int

const (
	readBucket bucket = iota
	writeBucket
	buckets
)

type rateInfoKey struct{}

func withRateInfo(ctx context.Context, info *rateInfo) context.Context {
	return context.WithValue(ctx, rateInfoKey{}, info)
}

// headerTransport records the rate-limit reset for requests whose context asks for them.
type headerTransport struct{ base http.RoundTripper }

// RoundTrip sends the request and records the response's x-ratelimit-reset.
func (t headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if info, ok := req.Context().Value(rateInfoKey{}).(*rateInfo); ok && resp != nil {
		if secs, perr := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); perr == nil {
			info.reset = time.Unix(secs, 0)
		}
	}
	return resp, err
}
