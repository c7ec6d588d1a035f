package replicas

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeouts of a client made by NewClient, unless its URL sets them: Redis answers in well under
// a millisecond, so a call that takes longer than this finds it down or overloaded, and writes
// had better fail at once (they are retryable) than hold their callers.
const (
	dialTimeout = time.Second
	callTimeout = 500 * time.Millisecond
)

// NewClient makes a Redis client from a redis:// or rediss:// URL (as go-redis parses it:
// user, password, database, and options such as dial_timeout in the query). Calls fail fast:
// short timeouts unless the URL sets them, and no retries. Errors never repeat the URL, which
// may hold a password.
func NewClient(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("not a valid redis:// or rediss:// URL")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("not a valid redis:// or rediss:// URL")
	}
	q := u.Query()
	if !q.Has("dial_timeout") {
		opts.DialTimeout = dialTimeout
	}
	if !q.Has("read_timeout") {
		opts.ReadTimeout = callTimeout
	}
	if !q.Has("write_timeout") {
		opts.WriteTimeout = callTimeout
	}
	if !q.Has("pool_timeout") {
		opts.PoolTimeout = callTimeout
	}
	if !q.Has("max_retries") {
		opts.MaxRetries = -1
	}
	if opts.ClientName == "" {
		opts.ClientName = "profile-service"
	}
	return redis.NewClient(opts), nil
}

// Describe names a Redis URL for logs: its host and database, never its credentials.
func Describe(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "redis"
	}
	return fmt.Sprintf("%s://%s%s", u.Scheme, u.Host, u.Path)
}
