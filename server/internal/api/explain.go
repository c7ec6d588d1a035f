package api

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/engine"
)

var promptReasons = map[engine.Reason]profilev1.PromptReason{
	engine.ReasonAsked:        profilev1.PromptReason_PROMPT_REASON_ASKED,
	engine.ReasonKnown:        profilev1.PromptReason_PROMPT_REASON_KNOWN,
	engine.ReasonDeclined:     profilev1.PromptReason_PROMPT_REASON_DECLINED,
	engine.ReasonNotYet:       profilev1.PromptReason_PROMPT_REASON_NOT_YET,
	engine.ReasonOutOfContext: profilev1.PromptReason_PROMPT_REASON_OUT_OF_CONTEXT,
	engine.ReasonWaitingOn:    profilev1.PromptReason_PROMPT_REASON_WAITING_ON,
	engine.ReasonOverLimit:    profilev1.PromptReason_PROMPT_REASON_OVER_LIMIT,
	engine.ReasonHidden:       profilev1.PromptReason_PROMPT_REASON_HIDDEN,
	engine.ReasonSubscribed:   profilev1.PromptReason_PROMPT_REASON_SUBSCRIBED,
}

// explanationToProto translates the engine's record of a prompt's decisions; the engine wrote
// only what the caller may see (nothing behind a hidden field).
func explanationToProto(x *engine.Explanation) *profilev1.Explanation {
	out := &profilev1.Explanation{
		Fields:      make([]*profilev1.FieldExplanation, len(x.Fields)),
		Topics:      make([]*profilev1.TopicExplanation, len(x.Topics)),
		LoginsCount: int32(x.LoginsCount),
		MaxFields:   int32(x.MaxFields),
	}
	for i := range x.Fields {
		out.Fields[i] = fieldExplanationToProto(x, &x.Fields[i])
	}
	for i := range x.Topics {
		out.Topics[i] = topicExplanationToProto(x, &x.Topics[i])
	}
	return out
}

func fieldExplanationToProto(x *engine.Explanation, d *engine.FieldDecision) *profilev1.FieldExplanation {
	f := d.Field
	out := &profilev1.FieldExplanation{Key: f.Key, Reason: promptReasons[d.Reason], Message: x.FieldSentence(d)}
	switch d.Reason {
	case engine.ReasonAsked:
		out.Details = &profilev1.FieldExplanation_Asked{Asked: &profilev1.AskedDetails{Rank: int32(d.Rank), Priority: int32(f.Priority)}}
	case engine.ReasonKnown:
		out.Details = &profilev1.FieldExplanation_Known{Known: &profilev1.KnownDetails{Source: sourceToProto(d.Source), Attribute: d.Attribute}}
	case engine.ReasonDeclined:
		out.Details = &profilev1.FieldExplanation_Declined{Declined: declinedToProto(d.DeclinedAt, d.Until)}
	case engine.ReasonNotYet:
		out.Details = &profilev1.FieldExplanation_NotYet{NotYet: &profilev1.NotYetDetails{MinLogins: int32(f.MinLogins), LoginsCount: int32(x.LoginsCount)}}
	case engine.ReasonOutOfContext:
		out.Details = &profilev1.FieldExplanation_OutOfContext{OutOfContext: &profilev1.OutOfContextDetails{Contexts: f.Contexts}}
	case engine.ReasonWaitingOn:
		w := &profilev1.WaitingOnDetails{Fields: make([]string, len(d.WaitingOn)), HiddenCount: int32(d.HiddenWaits)}
		for i, g := range d.WaitingOn {
			w.Fields[i] = g.Key
		}
		out.Details = &profilev1.FieldExplanation_WaitingOn{WaitingOn: w}
	case engine.ReasonOverLimit:
		out.Details = &profilev1.FieldExplanation_OverLimit{OverLimit: &profilev1.OverLimitDetails{Rank: int32(d.Rank), MaxFields: int32(x.MaxFields)}}
	}
	return out
}

func topicExplanationToProto(x *engine.Explanation, d *engine.TopicDecision) *profilev1.TopicExplanation {
	t := d.Topic
	out := &profilev1.TopicExplanation{Topic: t.Key, Reason: promptReasons[d.Reason], Message: x.TopicSentence(d)}
	switch d.Reason {
	case engine.ReasonAsked:
		out.Details = &profilev1.TopicExplanation_Asked{Asked: &profilev1.AskedDetails{Rank: int32(d.Rank)}}
	case engine.ReasonSubscribed:
		out.Details = &profilev1.TopicExplanation_Subscribed{Subscribed: subscriptionToProto(t.Key, d.Subscription)}
	case engine.ReasonOutOfContext:
		out.Details = &profilev1.TopicExplanation_OutOfContext{OutOfContext: &profilev1.OutOfContextDetails{Contexts: t.Contexts}}
	case engine.ReasonDeclined:
		out.Details = &profilev1.TopicExplanation_Declined{Declined: declinedToProto(d.DeclinedAt, d.Until)}
	}
	return out
}

func declinedToProto(at, until time.Time) *profilev1.DeclinedDetails {
	return &profilev1.DeclinedDetails{DeclinedAt: timestamppb.New(at), Until: timestamppb.New(until)}
}
