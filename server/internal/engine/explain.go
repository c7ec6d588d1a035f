package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reason says why a field or topic is, or is not, in a prompt.
type Reason uint8

// The reasons of a prompt's decisions. When several hold, the decision gives the first in the
// order Prompt checks them: for a field hidden, known, not yet, out of context, waiting on,
// declined, over the limit (else asked); for a topic subscribed, out of context, declined (else
// asked).
const (
	// ReasonAsked: the field is asked, or the topic offered.
	ReasonAsked Reason = iota + 1
	// ReasonKnown: the field's value is known, from the metadata or a known_from attribute.
	ReasonKnown
	// ReasonDeclined: the user declined the field or topic and its cooldown has not passed.
	ReasonDeclined
	// ReasonNotYet: the user's login count is below the field's min_logins.
	ReasonNotYet
	// ReasonOutOfContext: the field or topic is restricted to contexts the request did not name.
	ReasonOutOfContext
	// ReasonWaitingOn: some of the field's After fields are not known.
	ReasonWaitingOn
	// ReasonOverLimit: the field is askable but the prompt is full.
	ReasonOverLimit
	// ReasonHidden: an app_metadata field, never asked of an end user.
	ReasonHidden
	// ReasonSubscribed: the user subscribed to the topic.
	ReasonSubscribed
)

// Explanation is the record of a prompt's decisions, made by Prompt when asked to explain.
type Explanation struct {
	// Fields holds one decision per catalog field, in catalog order.
	Fields []FieldDecision
	// Topics holds one decision per catalog topic, in catalog order.
	Topics []TopicDecision
	// Context is the request's context.
	Context string
	// LoginsCount is the user's login count the decisions used.
	LoginsCount int
	// MaxFields is the most fields the prompt holds (the request's, else the catalog's default).
	MaxFields int
}

// FieldDecision is why one field is, or is not, asked, with the facts of that reason only;
// the rest of its facts are the field's own (Priority, MinLogins, Contexts).
type FieldDecision struct {
	// Field is the catalog field.
	Field *Field
	// Reason is the decision.
	Reason Reason
	// Rank is the field's position among the askable fields, from 1 (asked, over the limit).
	Rank int
	// Source and Attribute say where a known field's value comes from (known).
	Source    Source
	Attribute string
	// DeclinedAt and Until are when the user declined the field and when its cooldown ends
	// (declined).
	DeclinedAt, Until time.Time
	// WaitingOn lists the After fields not known yet that the caller may see (waiting on).
	WaitingOn []*Field
	// HiddenWaits counts the After fields not known yet that are hidden from the caller
	// (waiting on).
	HiddenWaits int
}

// TopicDecision is why one topic is, or is not, offered.
type TopicDecision struct {
	// Topic is the catalog topic.
	Topic *Topic
	// Reason is the decision.
	Reason Reason
	// Rank is the topic's position in the prompt's topics, from 1 (asked).
	Rank int
	// Subscription is the user's subscription (subscribed).
	Subscription Subscription
	// DeclinedAt and Until are when the user declined the topic and when its cooldown ends
	// (declined).
	DeclinedAt, Until time.Time
}

// newExplanation returns an explanation for the prompt s decides, every decision still to be
// made.
func (s *promptState) newExplanation() *Explanation {
	x := &Explanation{
		Fields:      make([]FieldDecision, len(s.c.Fields)),
		Topics:      make([]TopicDecision, len(s.c.Topics)),
		Context:     s.req.Context,
		LoginsCount: s.logins,
		MaxFields:   s.limit,
	}
	for i, f := range s.c.Fields {
		x.Fields[i].Field = f
	}
	for i, t := range s.c.Topics {
		x.Topics[i].Topic = t
	}
	return x
}

// FieldSentence says decision d of x in one English sentence, for people.
func (x *Explanation) FieldSentence(d *FieldDecision) string {
	f := d.Field
	switch d.Reason {
	case ReasonAsked:
		return fmt.Sprintf("Asked: position %d in the prompt (priority %d).", d.Rank, f.Priority)
	case ReasonKnown:
		if d.Source == SourceIdentityProvider {
			return fmt.Sprintf("Not asked: already known from the root attribute %s, supplied by the identity provider.", d.Attribute)
		}
		return fmt.Sprintf("Not asked: already known from %s.%s.", d.Source, f.Key)
	case ReasonDeclined:
		return fmt.Sprintf("Not asked: the user declined it on %s; asked again from %s.", formatTime(d.DeclinedAt), formatTime(d.Until))
	case ReasonNotYet:
		return fmt.Sprintf("Not asked yet: needs %s (min_logins), the user has %d.", plural(f.MinLogins, "login"), x.LoginsCount)
	case ReasonOutOfContext:
		return fmt.Sprintf("Not asked: asked only in %s; %s.", contextList(f.Contexts), x.contextClause())
	case ReasonWaitingOn:
		return fmt.Sprintf("Not asked yet: waits until %s known.", waitingList(d.WaitingOn, d.HiddenWaits))
	case ReasonOverLimit:
		return fmt.Sprintf("Not asked now: position %d among the fields that could be asked, but the prompt holds at most %d (max_fields).", d.Rank, x.MaxFields)
	case ReasonHidden:
		return "Not asked: only services answer this field (app_metadata)."
	}
	return ""
}

// TopicSentence says decision d of x in one English sentence, for people.
func (x *Explanation) TopicSentence(d *TopicDecision) string {
	switch d.Reason {
	case ReasonAsked:
		return fmt.Sprintf("Offered: position %d in the prompt's topics.", d.Rank)
	case ReasonSubscribed:
		var b strings.Builder
		b.WriteString("Not offered: already subscribed")
		if !d.Subscription.Since.IsZero() {
			b.WriteString(" since " + formatTime(d.Subscription.Since))
		}
		if d.Subscription.Source != "" {
			b.WriteString(", from " + d.Subscription.Source)
		}
		b.WriteString(".")
		return b.String()
	case ReasonOutOfContext:
		return fmt.Sprintf("Not offered: offered only in %s; %s.", contextList(d.Topic.Contexts), x.contextClause())
	case ReasonDeclined:
		return fmt.Sprintf("Not offered: the user declined it on %s; offered again from %s.", formatTime(d.DeclinedAt), formatTime(d.Until))
	}
	return ""
}

func (x *Explanation) contextClause() string {
	if x.Context == "" {
		return "this prompt names no context"
	}
	return "this prompt is for " + strconv.Quote(x.Context)
}

// contextList reads `the context "a"` or `the contexts "a", "b"`.
func contextList(contexts []string) string {
	quoted := make([]string, len(contexts))
	for i, c := range contexts {
		quoted[i] = strconv.Quote(c)
	}
	if len(quoted) == 1 {
		return "the context " + quoted[0]
	}
	return "the contexts " + strings.Join(quoted, ", ")
}

// waitingList reads "company is", "title and company are", "company and 1 field only services
// answer are".
func waitingList(fields []*Field, hidden int) string {
	parts := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		parts = append(parts, f.Key)
	}
	if hidden > 0 {
		parts = append(parts, plural(hidden, "field")+" only services answer")
	}
	verb := "are"
	if len(fields)+hidden == 1 {
		verb = "is"
	}
	switch len(parts) {
	case 0:
		return verb
	case 1:
		return parts[0] + " " + verb
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + " " + verb
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
