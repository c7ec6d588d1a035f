package engine

import (
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Source says where an effective value comes from.
type Source string

// The sources of effective values.
const (
	SourceUserMetadata     Source = "user_metadata"
	SourceAppMetadata      Source = "app_metadata"
	SourceIdentityProvider Source = "identity_provider"
)

// Value is the effective value of a catalog field.
type Value struct {
	// Field is the catalog field.
	Field *Field
	// Value is a copy of the JSON value.
	Value any
	// Source is where the value comes from.
	Source Source
	// Attribute is the root attribute read when Source is identity_provider.
	Attribute string
}

// Effective returns the known values of catalog fields in catalog order; metadata wins over
// known_from attributes. The values are copies: changing them does not change p.
func (e *Engine) Effective(p *store.Profile) []Value {
	var out []Value
	for _, f := range e.catalog.Fields {
		if v, src, attr, ok := knownValue(p, f); ok {
			out = append(out, Value{Field: f, Value: cloneJSON(v), Source: src, Attribute: attr})
		}
	}
	return out
}

// Subscription is one entry of user_metadata.subscribed.
type Subscription struct {
	// Since is when the user first subscribed; zero when the stored time is unreadable.
	Since time.Time
	// Source says where the subscription came from (e.g. "article:how-to-x").
	Source string
}

// Subscriptions returns the topics the user of p subscribed to, keyed by topic.
func (e *Engine) Subscriptions(p *store.Profile) map[string]Subscription {
	subs := subscriptions(p)
	out := make(map[string]Subscription, len(subs))
	for topic, v := range subs {
		out[topic] = readSubscription(v)
	}
	return out
}

// subscriptions returns the user_metadata.subscribed object of p: topic keys to entries.
func subscriptions(p *store.Profile) map[string]any {
	subs, _ := metadata(p, StoreUserMetadata)[subscribedKey].(map[string]any)
	return subs
}

// readSubscription reads one entry of user_metadata.subscribed, leaving out what is unreadable.
func readSubscription(v any) Subscription {
	entry, _ := v.(map[string]any)
	var s Subscription
	if str, ok := entry["since"].(string); ok {
		s.Since, _ = time.Parse(time.RFC3339, str)
	}
	s.Source, _ = entry["source"].(string)
	return s
}
