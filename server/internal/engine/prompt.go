package engine

import (
	"fmt"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// PromptRequest says for which situation a prompt is wanted.
type PromptRequest struct {
	// Context names where the user is (e.g. "article"); empty means no particular context.
	Context string
	// MaxFields caps the prompt; 0 means the catalog's default.
	MaxFields int
	// IncludeAppMetadata asks app_metadata fields too; false for end users, who never answer
	// them.
	IncludeAppMetadata bool
}

// Prompt is what to ask a user now.
type Prompt struct {
	// Fields are the eligible, unknown, not-declined fields, highest priority first, at most
	// the requested number.
	Fields []*Field
	// Topics are the topics offered in the context that the user has neither subscribed to
	// nor declined (within the cooldown).
	Topics []*Topic
	// Complete reports whether every applicable field is known.
	Complete bool
	// KnownCount is how many applicable fields are known.
	KnownCount int
	// ApplicableCount is how many fields apply now: their conditions hold and the caller may
	// answer them.
	ApplicableCount int
}

// CheckPromptRequest validates the prompt part of a request (max_fields, context) before any
// profile is read.
func (e *Engine) CheckPromptRequest(req PromptRequest) error {
	var vs violations
	if req.MaxFields < 0 || req.MaxFields > MaxFieldsLimit {
		vs.add("max_fields", fmt.Sprintf("must be between 0 (the default, %d) and %d", e.catalog.DefaultMaxFields, MaxFieldsLimit))
	}
	if req.Context != "" && !contextRE.MatchString(req.Context) {
		vs.add("context", "must be up to 128 letters, digits and '_', '-', '.', ':', '/', starting with a letter or digit")
	}
	return vs.err()
}

// Prompt returns what to ask the user of profile p now. It returns a *ValidationError for a
// bad request (max_fields out of range, a malformed context).
func (e *Engine) Prompt(p *store.Profile, req PromptRequest) (*Prompt, error) {
	if err := e.CheckPromptRequest(req); err != nil {
		return nil, err
	}
	limit := req.MaxFields
	if limit == 0 {
		limit = e.catalog.DefaultMaxFields
	}
	c := e.catalog
	var buf [64]bool // catalogs this small keep the flags on the stack
	known := buf[:0]
	if len(c.Fields) <= len(buf) {
		known = buf[:len(c.Fields)]
	} else {
		known = make([]bool, len(c.Fields))
	}
	for i, f := range c.Fields {
		known[i] = isKnown(p, f)
	}
	logins := loginsCount(p)
	now := e.now()
	declines := peekDeclines(p)
	out := &Prompt{}
	for _, f := range c.askOrder {
		if !conditionsHold(f, req, logins, known) {
			continue
		}
		out.ApplicableCount++
		if known[f.idx] {
			out.KnownCount++
			continue
		}
		if len(out.Fields) < limit && !declines.fieldDeclined(f, now) {
			out.Fields = append(out.Fields, f)
		}
	}
	out.Complete = out.KnownCount == out.ApplicableCount
	out.Topics = e.offeredTopics(p, req.Context, declines, now)
	return out, nil
}

// conditionsHold reports whether f applies: the caller may answer it, the login count is
// reached, the context matches and every After field is known.
func conditionsHold(f *Field, req PromptRequest, logins int, known []bool) bool {
	if f.StoreKind() == StoreAppMetadata && !req.IncludeAppMetadata {
		return false
	}
	if logins < f.MinLogins || !inContext(f.Contexts, req.Context) {
		return false
	}
	for _, i := range f.afterIdx {
		if !known[i] {
			return false
		}
	}
	return true
}

func (e *Engine) offeredTopics(p *store.Profile, ctx string, declines declineRecords, now time.Time) []*Topic {
	if len(e.catalog.Topics) == 0 {
		return nil
	}
	subscribed, _ := metadata(p, StoreUserMetadata)[subscribedKey].(map[string]any)
	var out []*Topic
	for _, t := range e.catalog.Topics {
		if !inContext(t.Contexts, ctx) {
			continue
		}
		if _, ok := subscribed[t.Key]; ok || declines.topicDeclined(t, now) {
			continue
		}
		out = append(out, t)
	}
	return out
}
