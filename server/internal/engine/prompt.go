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
	// Explain asks for the reason of every decision in Prompt.Explanation.
	Explain bool
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
	// Explanation says why each field and topic is, or is not, in the prompt; nil unless the
	// request set Explain.
	Explanation *Explanation
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

// promptState is what the decisions of one prompt read: the request and the facts of the
// profile, gathered once. Which fields are known is passed along beside it rather than held in
// it, so that the flags can stay on the stack while an explanation records facts from the
// profile.
type promptState struct {
	c        *Catalog
	p        *store.Profile
	req      PromptRequest
	logins   int
	now      time.Time
	declines declineRecords
	limit    int
	// askable counts the fields found askable so far, in ask order: the prompt takes the
	// first limit of them.
	askable int
	// offered counts the topics offered so far.
	offered int
}

// Prompt returns what to ask the user of profile p now. It returns a *ValidationError for a
// bad request (max_fields out of range, a malformed context).
func (e *Engine) Prompt(p *store.Profile, req PromptRequest) (*Prompt, error) {
	if err := e.CheckPromptRequest(req); err != nil {
		return nil, err
	}
	return e.PromptChecked(p, req), nil
}

// PromptChecked is Prompt for a request that CheckPromptRequest accepted: it does not check
// the request again.
func (e *Engine) PromptChecked(p *store.Profile, req PromptRequest) *Prompt {
	c := e.catalog
	s := promptState{c: c, p: p, req: req, logins: loginsCount(p), now: e.now(), declines: peekDeclines(p), limit: req.MaxFields}
	if s.limit == 0 {
		s.limit = c.DefaultMaxFields
	}
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
	out := &Prompt{}
	var x *Explanation
	if req.Explain {
		x = s.newExplanation()
		out.Explanation = x
	}
	for _, f := range c.askOrder {
		var d *FieldDecision
		if x != nil {
			d = &x.Fields[f.idx]
		}
		r, applies := s.decideField(f, known, d)
		if d != nil {
			d.Reason = r
		}
		if applies {
			out.ApplicableCount++
			if r == ReasonKnown {
				out.KnownCount++
			}
		}
		if r == ReasonAsked {
			out.Fields = append(out.Fields, f)
		}
	}
	out.Complete = out.KnownCount == out.ApplicableCount
	if len(c.Topics) > 0 {
		subscribed := subscriptions(p)
		for i, t := range c.Topics {
			var d *TopicDecision
			if x != nil {
				d = &x.Topics[i]
			}
			r := s.decideTopic(t, subscribed, d)
			if d != nil {
				d.Reason = r
			}
			if r == ReasonAsked {
				out.Topics = append(out.Topics, t)
			}
		}
	}
	return out
}

// decideField decides whether f is asked, in ask order, and returns the reason; known flags the
// known fields by index. applies reports whether f counts in the prompt's progress: the caller
// answers it and its conditions hold (the login count is reached, the context matches, every
// After field is known). When d is not nil, the decision also writes there the facts behind its
// reason (an explanation was asked for); the decision itself is the same either way.
func (s *promptState) decideField(f *Field, known []bool, d *FieldDecision) (r Reason, applies bool) {
	if s.hidden(f) {
		return ReasonHidden, false
	}
	isKnown := known[f.idx]
	// The conditions, checked in one place for known and unknown fields alike: a known field
	// is explained as known, but counts in the progress only when its conditions hold.
	var unmet Reason
	switch {
	case s.logins < f.MinLogins:
		unmet = ReasonNotYet
	case !inContext(f.Contexts, s.req.Context):
		unmet = ReasonOutOfContext
	default:
		for _, i := range f.afterIdx {
			if known[i] {
				continue
			}
			unmet = ReasonWaitingOn
			if d == nil || isKnown {
				break
			}
			if g := s.c.Fields[i]; s.hidden(g) {
				d.HiddenWaits++
			} else {
				d.WaitingOn = append(d.WaitingOn, g)
			}
		}
	}
	if isKnown {
		if d != nil {
			_, d.Source, d.Attribute, _ = knownValue(s.p, f)
		}
		return ReasonKnown, unmet == 0
	}
	if unmet != 0 {
		return unmet, false
	}
	if d == nil && s.askable >= s.limit {
		// The prompt is full: declined or over the limit, f is left out and still applies.
		// Only an explanation tells the two apart, so only then is the decline looked up.
		return ReasonOverLimit, true
	}
	if at, until, ok := s.declines.fieldDecline(f, s.now); ok {
		if d != nil {
			d.DeclinedAt, d.Until = at, until
		}
		return ReasonDeclined, true
	}
	s.askable++
	if d != nil {
		d.Rank = s.askable
	}
	if s.askable > s.limit {
		return ReasonOverLimit, true
	}
	return ReasonAsked, true
}

// hidden reports whether f is kept from the caller: app_metadata fields are answered by
// services only, so an end user is never asked them.
func (s *promptState) hidden(f *Field) bool {
	return f.StoreKind() == StoreAppMetadata && !s.req.IncludeAppMetadata
}

// decideTopic decides whether t is offered, in catalog order, and returns the reason, writing
// its facts in d when d is not nil.
func (s *promptState) decideTopic(t *Topic, subscribed map[string]any, d *TopicDecision) Reason {
	if v, ok := subscribed[t.Key]; ok {
		if d != nil {
			d.Subscription = readSubscription(v)
		}
		return ReasonSubscribed
	}
	if !inContext(t.Contexts, s.req.Context) {
		return ReasonOutOfContext
	}
	if at, until, ok := s.declines.topicDecline(t, s.now); ok {
		if d != nil {
			d.DeclinedAt, d.Until = at, until
		}
		return ReasonDeclined
	}
	s.offered++
	if d != nil {
		d.Rank = s.offered
	}
	return ReasonAsked
}
