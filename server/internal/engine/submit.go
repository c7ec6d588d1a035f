package engine

import (
	"fmt"
	"slices"
	"strings"

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

// CheckedSubmission is a submission whose values and declines were validated on their own,
// ready to be applied to a profile by ApplySubmission.
type CheckedSubmission struct {
	// values are the submitted values, normalised, sorted by key.
	values []checkedValue
	// declines and topics are the declined fields and topics.
	declines []*Field
	topics   []*Topic
}

// checkedValue is one submitted value, normalised; clear means the stored value is deleted.
type checkedValue struct {
	f     *Field
	value any
	clear bool
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
	if err := e.CheckForbidden(s); err != nil {
		return store.Patch{}, err
	}
	c, err := e.checkValues(s)
	if err != nil {
		return store.Patch{}, err
	}
	return e.ApplySubmission(p, c)
}

// CheckSubmission validates a submission before any profile is read, and returns every
// violation Submit would find for a user with an empty profile. It does not look at
// AllowAppMetadata: CheckForbidden does. A caller that reads the profile only after these
// checks passes what CheckSubmission returns to ApplySubmission, which finds the rest.
func (e *Engine) CheckSubmission(s Submission) (*CheckedSubmission, error) {
	if err := e.checkBounds(s); err != nil {
		return nil, err
	}
	c, err := e.checkValues(s)
	if err != nil {
		return nil, err
	}
	// Values that alone are too large are too large for any profile.
	if _, err := e.ApplySubmission(nil, c); err != nil {
		return nil, err
	}
	return c, nil
}

// ApplySubmission returns the patch that writes a checked submission over profile p (see
// Submit), or a *ValidationError when the keys it sets would grow too large in p. It does not
// check that the caller may write app_metadata fields: check the submission with
// CheckForbidden first.
func (e *Engine) ApplySubmission(p *store.Profile, c *CheckedSubmission) (store.Patch, error) {
	now := e.now()
	user, app := map[string]any{}, map[string]any{}
	declines := readDeclines(p)
	changed := false
	for _, v := range c.values {
		changes := user
		if v.f.StoreKind() == StoreAppMetadata {
			changes = app
		}
		if v.clear {
			changes[v.f.Key] = nil
			continue
		}
		changes[v.f.Key] = v.value
		if _, ok := declines.fields[v.f.Key]; ok {
			delete(declines.fields, v.f.Key)
			changed = true
		}
	}
	// A decline still in force keeps its time.
	for _, f := range c.declines {
		if !declines.fieldDeclined(f, now) {
			declines.fields[f.Key] = now
			changed = true
		}
	}
	for _, t := range c.topics {
		if !declines.topicDeclined(t, now) {
			declines.topics[t.Key] = now
			changed = true
		}
	}
	if changed {
		e.declinesChange(p, declines, now, app)
	}
	return e.sizedPatch(p, user, app, "values")
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

// CheckForbidden returns a *ForbiddenError when a submission that may not write app_metadata
// fields (AllowAppMetadata false) answers or declines some.
func (e *Engine) CheckForbidden(s Submission) error {
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

// checkValues validates and normalises each value and each decline, and returns them checked,
// or a *ValidationError listing every violation.
func (e *Engine) checkValues(s Submission) (*CheckedSubmission, error) {
	var vs violations
	c := &CheckedSubmission{values: make([]checkedValue, 0, len(s.Values))}
	keys := make([]string, 0, len(s.Values))
	for k := range s.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		v, msg := e.checkValue(key, s.Values[key])
		if msg != "" {
			vs.add("values."+key, msg)
			continue
		}
		c.values = append(c.values, v)
	}
	for i, key := range s.Declines {
		path := fmt.Sprintf("declined_fields[%d]", i)
		f, ok := e.catalog.Field(key)
		switch {
		case !ok:
			vs.add(path, fmt.Sprintf("%q is not a field of the catalog", key))
		case hasKey(s.Values, key):
			vs.add(path, fmt.Sprintf("%q cannot be both answered and declined", key))
		default:
			c.declines = append(c.declines, f)
		}
	}
	for i, key := range s.DeclineTopics {
		t, ok := e.catalog.Topic(key)
		if !ok {
			vs.add(fmt.Sprintf("declined_topics[%d]", i), fmt.Sprintf("%q is not a declared topic", key))
			continue
		}
		c.topics = append(c.topics, t)
	}
	if err := vs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkValue validates and normalises the value submitted for key; msg says what is wrong.
func (e *Engine) checkValue(key string, value any) (v checkedValue, msg string) {
	if strings.ContainsAny(key, ".$") {
		return v, "field keys cannot contain '.' or '$'"
	}
	f, ok := e.catalog.Field(key)
	if !ok {
		return v, "is not a field of the catalog"
	}
	out, clear, msg := f.normalize(value)
	return checkedValue{f: f, value: out, clear: clear}, msg
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
