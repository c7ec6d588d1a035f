package engine

import (
	"strings"
	"unicode/utf8"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// MaxSourceLength is the maximum length, in characters, of a subscription's source.
const MaxSourceLength = 200

// SubscriptionChange subscribes or unsubscribes one topic.
type SubscriptionChange struct {
	// Topic is the topic key.
	Topic string
	// Subscribe subscribes when true and unsubscribes when false.
	Subscribe bool
	// Source says where the subscription comes from (e.g. "article:how-to-x").
	Source string
}

// Subscribe returns the patch that applies change c to profile p. Subscribing is idempotent (a
// repeat keeps the first since and source) and lifts a decline of the topic; unsubscribing
// removes the topic. Nothing to change gives an empty patch. A bad topic or source gives a
// *ValidationError.
func (e *Engine) Subscribe(p *store.Profile, c SubscriptionChange) (store.Patch, error) {
	source := strings.TrimSpace(c.Source)
	if err := e.checkSubscription(c.Topic, source); err != nil {
		return store.Patch{}, err
	}
	now := e.now()
	current := subscriptions(p)
	_, has := current[c.Topic]
	user, app := map[string]any{}, map[string]any{}
	switch {
	case c.Subscribe && !has:
		next := copySubscriptions(current, "")
		next[c.Topic] = map[string]any{"since": formatTime(now), "source": source}
		user[subscribedKey] = next
	case !c.Subscribe && has:
		next := copySubscriptions(current, c.Topic)
		if len(next) == 0 {
			user[subscribedKey] = nil
		} else {
			user[subscribedKey] = next
		}
	}
	if c.Subscribe {
		declines := readDeclines(p)
		if _, ok := declines.topics[c.Topic]; ok {
			delete(declines.topics, c.Topic)
			e.declinesChange(p, declines, now, app)
		}
	}
	return e.sizedPatch(p, user, app, "topic")
}

func (e *Engine) checkSubscription(topic, source string) error {
	var vs violations
	switch {
	case !topicKeyRE.MatchString(topic):
		vs.add("topic", "must be 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit")
	case e.catalog.RestrictTopics:
		if _, ok := e.catalog.Topic(topic); !ok {
			vs.add("topic", "is not a topic of the catalog")
		}
	}
	if utf8.RuneCountInString(source) > MaxSourceLength {
		vs.add("source", "must be at most 200 characters long")
	} else if msg := store.CheckText(source); msg != "" {
		vs.add("source", msg)
	}
	return vs.err()
}

// copySubscriptions deep-copies the subscribed object, leaving out the topic skip.
func copySubscriptions(current map[string]any, skip string) map[string]any {
	out := make(map[string]any, len(current)+1)
	for k, v := range current {
		if k != skip {
			out[k] = cloneJSON(v)
		}
	}
	return out
}

// CheckSubscriptionChange validates a subscription change on its own, before any profile is
// read: the topic's form, the catalog's topic list when it restricts topics, the source's length.
func (e *Engine) CheckSubscriptionChange(c SubscriptionChange) error {
	return e.checkSubscription(c.Topic, strings.TrimSpace(c.Source))
}
