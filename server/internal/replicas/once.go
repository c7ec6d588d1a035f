package replicas

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Once records one-time ids (the login step's tokens) in Redis, so that an id used on one
// replica is used on all of them.
type Once struct {
	rdb    *redis.Client
	prefix string
}

// NewOnce records ids under prefix in rdb.
func NewOnce(rdb *redis.Client, prefix string) *Once { return &Once{rdb: rdb, prefix: prefix} }

// Use records id as used for ttl and reports whether this was its first use: SET NX, one round
// trip, atomic across replicas.
func (o *Once) Use(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	return o.rdb.SetNX(ctx, o.prefix+id, 1, ttl).Result()
}

// Used reports whether id is recorded as used.
func (o *Once) Used(ctx context.Context, id string) (bool, error) {
	n, err := o.rdb.Exists(ctx, o.prefix+id).Result()
	return n > 0, err
}
