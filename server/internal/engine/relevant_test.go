package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

const relevantCatalog = `
fields:
  - {key: first_name, type: text, required: true, known_from: [given_name], priority: 9}
  - {key: plan, type: choice, store: app_metadata, options: [{value: free}, {value: pro}]}
  - {key: company, type: text, after: [plan], min_logins: 2}
topics:
  - {key: digest, contexts: [login]}
`

// TestRelevantKeepsWhatTheRulesRead: the projection holds the catalog's metadata keys, the
// service's own keys, known_from attributes and logins_count, and nothing else.
func TestRelevantKeepsWhatTheRulesRead(t *testing.T) {
	e := newEngine(t, relevantCatalog)
	p := &store.Profile{
		UserID:     "auth0|1",
		Attributes: map[string]any{"given_name": "Ada", "email": "ada@example.com", "logins_count": 3.0, "identities": []any{map[string]any{"provider": "auth0"}}},
		UserMetadata: map[string]any{"first_name": "Ada", "theme": "dark", "subscribed": map[string]any{"digest": map[string]any{"since": "2026-01-01T00:00:00Z"}},
			"plan": "stray"},
		AppMetadata: map[string]any{"plan": "pro", "roles": []any{"admin"}, declinesKey: map[string]any{"fields": map[string]any{"company": "2026-11-01T00:00:00Z"}}},
	}
	got := e.Relevant(p)
	want := &store.Profile{
		UserID:       "auth0|1",
		Attributes:   map[string]any{"given_name": "Ada", "logins_count": 3.0},
		UserMetadata: map[string]any{"first_name": "Ada", "subscribed": map[string]any{"digest": map[string]any{"since": "2026-01-01T00:00:00Z"}}},
		AppMetadata:  map[string]any{"plan": "pro", declinesKey: map[string]any{"fields": map[string]any{"company": "2026-11-01T00:00:00Z"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Relevant (-want +got):\n%s", diff)
	}
	got.UserMetadata["subscribed"].(map[string]any)["digest"].(map[string]any)["since"] = "changed"
	if p.UserMetadata["subscribed"].(map[string]any)["digest"].(map[string]any)["since"] != "2026-01-01T00:00:00Z" {
		t.Error("Relevant returned values sharing the profile's maps")
	}
	if got := e.Relevant(nil); got == nil || got.UserMetadata != nil {
		t.Errorf("Relevant(nil) = %+v, want an empty profile", got)
	}
}

// TestRelevantDecidesLikeTheWholeProfile: prompts and submissions computed on the projection are
// those computed on the whole profile.
func TestRelevantDecidesLikeTheWholeProfile(t *testing.T) {
	e := newEngine(t, relevantCatalog)
	profiles := []*store.Profile{
		{},
		profile(map[string]any{"given_name": "Ada", "logins_count": 2.0}, nil, map[string]any{"plan": "pro"}),
		profile(map[string]any{"logins_count": 5.0, "family_name": "L"}, map[string]any{"other": 1.0}, declined(map[string]any{"first_name": "2026-11-20T00:00:00Z"})),
		profile(nil, map[string]any{"subscribed": map[string]any{"digest": map[string]any{}}, "company": "X"}, map[string]any{"plan": "free", "blocked": false}),
	}
	subs := []Submission{
		{Values: map[string]any{"first_name": "Grace", "company": "Navy"}, DeclineTopics: []string{"digest"}},
		{Declines: []string{"first_name", "company"}},
		{Values: map[string]any{"first_name": ""}},
	}
	for i, p := range profiles {
		for _, ctx := range []string{"", "login"} {
			req := PromptRequest{Context: ctx, MaxFields: 5}
			whole, err1 := e.Prompt(p, req)
			part, err2 := e.Prompt(e.Relevant(p), req)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			summary := func(p *Prompt) []any {
				return []any{keys(p.Fields), topicKeys(p.Topics), p.Complete, p.KnownCount, p.ApplicableCount}
			}
			if diff := cmp.Diff(summary(whole), summary(part)); diff != "" {
				t.Errorf("profile %d, context %q: prompt differs (-whole +relevant):\n%s", i, ctx, diff)
			}
		}
		for j, s := range subs {
			whole, err1 := e.Submit(p, s)
			part, err2 := e.Submit(e.Relevant(p), s)
			if diff := cmp.Diff(whole, part); diff != "" || (err1 == nil) != (err2 == nil) {
				t.Errorf("profile %d, submission %d: patch differs (-whole +relevant):\n%s\nerrors %v / %v", i, j, diff, err1, err2)
			}
		}
	}
}
