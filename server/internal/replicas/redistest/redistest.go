// Package redistest gives tests a real Redis: the one this project's machines run (see .ci/test),
// with keys under a prefix of the test's own. It is for tests only.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// QuietMarker is the key, under a coordinator's prefix, that records when Redis last started
// granting locks after losing them (KEYS[3] of the replicas package's lock.lua).
const QuietMarker = "locks-since"

// DefaultURL is the Redis tests use unless PROFILE_TEST_REDIS_URL names another.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL is the Redis tests use.
func URL() string {
	if u := os.Getenv("PROFILE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Client returns a client of the test Redis and a key prefix unique to this test; the test's keys
// are deleted when it ends. Without a Redis answering, the test is skipped, or fails when
// PROFILE_TEST_STRICT=1 (as under .ci/test), so that CI never skips it silently.
func Client(t testing.TB) (*redis.Client, string) {
	t.Helper()
	opts, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("PROFILE_TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		msg := "no Redis at " + opts.Addr + " (start one with: redis-server --daemonize yes, or set PROFILE_TEST_REDIS_URL): " + err.Error()
		if os.Getenv("PROFILE_TEST_STRICT") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	prefix := "profiletest:" + randomHex() + ":"
	// No lock was ever granted under a new prefix: tell the replicas' lock that no quiet period
	// is needed (see replicas/lock.lua), even when Redis itself has just started (as under
	// .ci/test on a fresh machine).
	if err := rdb.Set(ctx, prefix+QuietMarker, "0", 0).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
