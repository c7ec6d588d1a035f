package engine

import (
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// declineRecords are the decline times read from app_metadata.profiling_declines, which holds
// {"fields": {key: RFC3339 time}, "topics": {key: RFC3339 time}}. The service owns the entries of
// its catalog's fields and topics; everything else in the object (other keys, entries of fields
// and topics it does not know) belongs to someone else and is written back as it was.
type declineRecords struct {
	fields map[string]time.Time
	topics map[string]time.Time
	// stored is the object as read, nil when there is none.
	stored map[string]any
}

// readDeclines parses the decline records of p into fresh maps, skipping malformed entries.
func readDeclines(p *store.Profile) declineRecords {
	d := peekDeclines(p)
	if d.fields == nil {
		d.fields = map[string]time.Time{}
	}
	if d.topics == nil {
		d.topics = map[string]time.Time{}
	}
	return d
}

// peekDeclines is readDeclines for reading only: a kind of record p does not hold gets a nil
// map, so a prompt for a user who declined nothing allocates nothing here.
func peekDeclines(p *store.Profile) declineRecords {
	raw, _ := metadata(p, StoreAppMetadata)[declinesKey].(map[string]any)
	return declineRecords{fields: readTimes(raw["fields"]), topics: readTimes(raw["topics"]), stored: raw}
}

// readTimes parses a map of RFC 3339 times; nil when it holds none.
func readTimes(v any) map[string]time.Time {
	m, _ := v.(map[string]any)
	var out map[string]time.Time
	for k, s := range m {
		str, ok := s.(string)
		if !ok {
			continue
		}
		if t, err := time.Parse(time.RFC3339, str); err == nil {
			if out == nil {
				out = make(map[string]time.Time, len(m))
			}
			out[k] = t
		}
	}
	return out
}

// declineInForce looks up the decline of key in m and reports whether it still holds at now:
// its cooldown, counted from when it was declined, has not passed. at and until are when the
// decline was made and when its cooldown ends.
func declineInForce(m map[string]time.Time, key string, cooldown time.Duration, now time.Time) (at, until time.Time, ok bool) {
	at, ok = m[key]
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	until = at.Add(cooldown)
	return at, until, now.Before(until)
}

// fieldDecline returns the decline of f still in force at now, if any.
func (d declineRecords) fieldDecline(f *Field, now time.Time) (at, until time.Time, ok bool) {
	return declineInForce(d.fields, f.Key, f.DeclineCooldown, now)
}

// topicDecline returns the decline of t still in force at now, if any.
func (d declineRecords) topicDecline(t *Topic, now time.Time) (at, until time.Time, ok bool) {
	return declineInForce(d.topics, t.Key, t.DeclineCooldown, now)
}

func (d declineRecords) fieldDeclined(f *Field, now time.Time) bool {
	_, _, ok := d.fieldDecline(f, now)
	return ok
}

func (d declineRecords) topicDeclined(t *Topic, now time.Time) bool {
	_, _, ok := d.topicDecline(t, now)
	return ok
}

// build returns the JSON object to store, or nil when it would be empty: the declines still in
// force for the catalog's fields and topics, and every entry the service does not own as stored.
func (d declineRecords) build(c *Catalog, now time.Time) map[string]any {
	fields := notOwned(d.stored["fields"], func(k string) bool { _, ok := c.Field(k); return ok })
	for k, t := range d.fields {
		if f, ok := c.Field(k); ok && d.fieldDeclined(f, now) {
			fields[k] = formatTime(t)
		}
	}
	topics := notOwned(d.stored["topics"], func(k string) bool { _, ok := c.Topic(k); return ok })
	for k, t := range d.topics {
		if tp, ok := c.Topic(k); ok && d.topicDeclined(tp, now) {
			topics[k] = formatTime(t)
		}
	}
	out := notOwned(d.stored, func(k string) bool { return k == "fields" || k == "topics" })
	if len(fields) > 0 {
		out["fields"] = fields
	}
	if len(topics) > 0 {
		out["topics"] = topics
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// declinesChange sets the patch entry that stores d, when it differs from what p holds.
func (e *Engine) declinesChange(p *store.Profile, d declineRecords, now time.Time, app map[string]any) {
	next := d.build(e.catalog, now)
	cur, stored := metadata(p, StoreAppMetadata)[declinesKey]
	switch {
	case next == nil && stored && cur != nil:
		app[declinesKey] = nil
	case next != nil && !jsonEqual(cur, next):
		app[declinesKey] = next
	}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// notOwned returns a copy of the entries of the JSON object v whose keys owned rejects, or an
// empty map when v is not an object.
func notOwned(v any, owned func(string) bool) map[string]any {
	m, _ := v.(map[string]any)
	out := make(map[string]any, len(m))
	for k, e := range m {
		if !owned(k) {
			out[k] = cloneJSON(e)
		}
	}
	return out
}
