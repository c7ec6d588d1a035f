package loginstep

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/acme/progressive-profiling/server/internal/engine"
)

// Names of the form's controls: one per field and topic, by key, plus the hidden ones.
const (
	fieldPrefix = "f:"
	topicPrefix = "t:"
	formToken   = "session_token"
	formState   = "state"
	formBinding = "binding"
	formAction  = "action"
	actionSave  = "save"
	actionSkip  = "skip"
)

// sourceLogin is the source recorded for subscriptions made at login.
const sourceLogin = "login"

// answers is what a POST says about the prompt's fields and topics. Only the prompt's fields
// and topics are read: anything else in the form is ignored.
type answers struct {
	// values holds each field's submitted strings, as typed, to show them again.
	values map[string][]string
	// topics holds the topics ticked.
	topics map[string]bool
}

func readAnswers(r *http.Request, p *engine.Prompt) answers {
	a := answers{values: map[string][]string{}, topics: map[string]bool{}}
	for _, f := range p.Fields {
		a.values[f.Key] = r.PostForm[fieldPrefix+f.Key]
	}
	for _, t := range p.Topics {
		a.topics[t.Key] = r.PostForm.Get(topicPrefix+t.Key) != ""
	}
	return a
}

// submission turns the answers into the engine's terms. "Not now" (skip) declines every field
// and topic shown. Saving answers the fields filled in; a required field left empty is sent
// empty, for the engine to refuse; an optional field left empty and a topic left unticked are
// declined, so that the next login does not ask them again before their cooldown. It returns
// the topics to subscribe to.
func submission(p *engine.Prompt, a answers, skip bool) (engine.Submission, []string) {
	var s engine.Submission
	var subscribe []string
	for _, f := range p.Fields {
		v, empty := formValue(f, a.values[f.Key])
		switch {
		case skip || (empty && !f.Required):
			s.Declines = append(s.Declines, f.Key)
		default:
			if s.Values == nil {
				s.Values = map[string]any{}
			}
			s.Values[f.Key] = v
		}
	}
	for _, t := range p.Topics {
		if !skip && a.topics[t.Key] {
			subscribe = append(subscribe, t.Key)
		} else {
			s.DeclineTopics = append(s.DeclineTopics, t.Key)
		}
	}
	return s, subscribe
}

// formValue converts a field's form strings into the JSON value the engine validates, and
// reports whether the answer is empty. Text that does not parse as the field's type is passed
// on as text, so that the engine describes what is wrong.
func formValue(f *engine.Field, raw []string) (any, bool) {
	if f.Type == engine.TypeMultiChoice {
		out := []any{}
		for _, s := range raw {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, len(out) == 0
	}
	s := ""
	if len(raw) > 0 {
		s = strings.TrimSpace(raw[0])
	}
	if s == "" {
		return "", true
	}
	switch f.Type {
	case engine.TypeInteger, engine.TypeNumber:
		if x, err := strconv.ParseFloat(s, 64); err == nil {
			return x, false
		}
	case engine.TypeBoolean:
		if b, err := strconv.ParseBool(s); err == nil {
			return b, false
		}
	}
	return s, false
}

// fieldErrors splits the engine's violations into those of the prompt's fields, by key, and
// the others.
func fieldErrors(err *engine.ValidationError, p *engine.Prompt) (map[string]string, []string) {
	byKey := map[string]string{}
	var general []string
	for _, v := range err.Violations {
		key, ok := strings.CutPrefix(v.Field, "values.")
		if ok && slices.ContainsFunc(p.Fields, func(f *engine.Field) bool { return f.Key == key }) {
			if byKey[key] == "" {
				byKey[key] = v.Description
			}
			continue
		}
		general = append(general, v.Description)
	}
	return byKey, general
}
