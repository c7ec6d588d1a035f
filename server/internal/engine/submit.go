package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Submission is a user's answers and declines.
type Submission struct {
	// Values maps field keys to JSON values as decoded by encoding/json or
	// structpb.AsInterface; nil clears the stored value.
	Values map[string]any
	// Declines lists field keys the user declines.
	Declines []string
	// DeclineTopics lists topic keys the user declines.
	DeclineTopics []string
	// AllowAppMetadata lets the submission write app_metadata fields (service callers only).
	AllowAppMetadata bool
}

// Submit validates a submission against profile p and returns the patch to write: every
// submitted key with its normalised value (nil for a clear), and the decline records when they
// change. Keys p already holds as submitted stay in the patch, so that a store whose copy of p is
// stale still writes them (stores write only what store.Changes keeps). It returns a
// *ForbiddenError when the submission touches app_metadata fields it may not, else a
// *ValidationError listing every violation.
func (e *Engine) Submit(p *store.Profile, s Submission) (store.Patch, error) {
	if err := e.checkBounds(s); err != nil {
		return store.Patch{}, err
	}
	if err := e.checkForbidden(s); err != nil {
		return store.Patch{}, err
	}
	var vs violations
	now := e.now()
	user, app := map[string]any{}, map[string]any{}
	declines := readDeclines(p)
	changed := e.submitValues(p, s.Values, &vs, user, app, declines)
	if e.submitDeclines(s, declines, now, &vs) {
		changed = true
	}
	if err := vs.err(); err != nil {
		return store.Patch{}, err
	}
	if changed {
		e.declinesChange(p, declines, now, app)
	}
	patch := store.Patch{UserMetadata: nilIfEmpty(user), AppMetadata: nilIfEmpty(app)}
	e.sizeViolations(p, patch, "values", &vs)
	if err := vs.err(); err != nil {
		return store.Patch{}, err
	}
	return patch, nil
}

// checkBounds bounds a submission before any other check looks at it, so that its size, not
// the work or the error it causes, is what a caller controls: at most as many answers and
// declines together as the catalog has fields (a field is either answered or declined), at
// most as many declined topics as the catalog declares, and keys of at most MaxKeyLength
// bytes. Counts over the limit give one violation each, and nothing else is checked.
func (e *Engine) checkBounds(s Submission) error {
	var vs violations
	fields, topics := len(e.catalog.Fields), len(e.catalog.Topics)
	switch {
	case len(s.Values) > fields:
		vs.add("values", fmt.Sprintf("at most %d fields may be answered and declined at once (the catalog has %d), got %d answers", fields, fields, len(s.Values)))
	case len(s.Values)+len(s.Declines) > fields:
		vs.add("declined_fields", fmt.Sprintf("at most %d fields may be answered and declined at once (the catalog has %d), got %d answers and %d declines", fields, fields, len(s.Values), len(s.Declines)))
	}
	if len(s.DeclineTopics) > topics {
		vs.add("declined_topics", fmt.Sprintf("at most %d topics may be declined (the catalog declares %d), got %d", topics, topics, len(s.DeclineTopics)))
	}
	if len(vs) > 0 {
		return vs.err()
	}
	for key := range s.Values {
		if len(key) > MaxKeyLength {
			vs.add("values."+key, fmt.Sprintf("field keys are at most %d bytes long", MaxKeyLength))
		}
	}
	return vs.err()
}

// checkForbidden rejects app_metadata fields in a submission that may not write them.
func (e *Engine) checkForbidden(s Submission) error {
	if s.AllowAppMetadata {
		return nil
	}
	var paths []string
	for key := range s.Values {
		if f, ok := e.catalog.Field(key); ok && f.StoreKind() == StoreAppMetadata {
			paths = append(paths, "values."+key)
		}
	}
	for i, key := range s.Declines {
		if f, ok := e.catalog.Field(key); ok && f.StoreKind() == StoreAppMetadata {
			paths = append(paths, fmt.Sprintf("declined_fields[%d]", i))
		}
	}
	if len(paths) == 0 {
		return nil
	}
	sortPaths(paths)
	return &ForbiddenError{Fields: paths}
}

// submitValues validates and normalises each value, records it in user or app, and drops the
// decline of each answered field. It reports whether declines changed.
func (e *Engine) submitValues(p *store.Profile, values map[string]any, vs *violations, user, app map[string]any, declines declineRecords) bool {
	changed := false
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		path := "values." + key
		if strings.ContainsAny(key, ".$") {
			vs.add(path, "field keys cannot contain '.' or '$'")
			continue
		}
		f, ok := e.catalog.Field(key)
		if !ok {
			vs.add(path, "is not a field of the catalog")
			continue
		}
		out, clear, msg := f.normalize(values[key])
		if msg != "" {
			vs.add(path, msg)
			continue
		}
		changes := user
		if f.StoreKind() == StoreAppMetadata {
			changes = app
		}
		if clear {
			changes[key] = nil
			continue
		}
		changes[key] = out
		if _, ok := declines.fields[key]; ok {
			delete(declines.fields, key)
			changed = true
		}
	}
	return changed
}

// submitDeclines records new declines (a decline still in force keeps its time) and reports
// whether any was added.
func (e *Engine) submitDeclines(s Submission, declines declineRecords, now time.Time, vs *violations) bool {
	changed := false
	for i, key := range s.Declines {
		path := fmt.Sprintf("declined_fields[%d]", i)
		f, ok := e.catalog.Field(key)
		switch {
		case !ok:
			vs.add(path, fmt.Sprintf("%q is not a field of the catalog", key))
		case hasKey(s.Values, key):
			vs.add(path, fmt.Sprintf("%q cannot be both answered and declined", key))
		case !declines.fieldDeclined(f, now):
			declines.fields[key] = now
			changed = true
		}
	}
	for i, key := range s.DeclineTopics {
		path := fmt.Sprintf("declined_topics[%d]", i)
		t, ok := e.catalog.Topic(key)
		switch {
		case !ok:
			vs.add(path, fmt.Sprintf("%q is not a declared topic", key))
		case !declines.topicDeclined(t, now):
			declines.topics[key] = now
			changed = true
		}
	}
	return changed
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
