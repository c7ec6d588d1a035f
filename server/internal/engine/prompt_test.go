package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPromptBuiltinCatalog(t *testing.T) {
	e := New(DefaultCatalog(), clock(t0))
	tests := []struct {
		name  string
		attrs map[string]any
		user  map[string]any
		want  []string
	}{
		{"a new user is asked first and last name", nil, nil, []string{"first_name", "last_name"}},
		{"a Google user with given_name is never asked first_name",
			map[string]any{"given_name": "Ada", "logins_count": 1.0}, nil, []string{"last_name"}},
		{"a blank given_name does not count as known",
			map[string]any{"given_name": "  ", "logins_count": 1.0}, nil, []string{"first_name", "last_name"}},
		{"min_logins 2 fields are not asked on the first login",
			map[string]any{"given_name": "Ada", "family_name": "L", "logins_count": 1.0}, nil, []string{}},
		{"min_logins 2 fields are asked from the second login",
			map[string]any{"given_name": "Ada", "family_name": "L", "logins_count": 2.0}, nil, []string{"title", "company"}},
		{"logins_count as an int works too",
			map[string]any{"given_name": "Ada", "family_name": "L", "logins_count": 3}, nil, []string{"title", "company"}},
		{"metadata answers the field as well",
			nil, map[string]any{"first_name": "Ada"}, []string{"last_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Prompt(profile(tt.attrs, tt.user, nil), PromptRequest{})
			if err != nil {
				t.Fatalf("Prompt: %v", err)
			}
			if diff := cmp.Diff(tt.want, keys(got.Fields)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

const orderCatalog = `
default_max_fields: 10
fields:
  - {key: low, type: text, priority: 1}
  - {key: high, type: text, priority: 50}
  - {key: tie_a, type: text, priority: 10}
  - {key: tie_b, type: text, priority: 10}
  - {key: needs_high, type: text, priority: 99, after: [high]}
  - {key: in_article, type: text, priority: 5, contexts: [article]}
  - {key: plan, type: text, priority: 100, store: app_metadata}
`

func TestPromptOrderAndConditions(t *testing.T) {
	e := newEngine(t, orderCatalog)
	tests := []struct {
		name string
		user map[string]any
		req  PromptRequest
		want []string
	}{
		{"higher priority first, ties in catalog order", nil, PromptRequest{},
			[]string{"high", "tie_a", "tie_b", "low"}},
		{"N caps the prompt", nil, PromptRequest{MaxFields: 2}, []string{"high", "tie_a"}},
		{"after waits for its fields to be known", map[string]any{"high": "x"}, PromptRequest{},
			[]string{"needs_high", "tie_a", "tie_b", "low"}},
		{"a context field is asked in its context", nil, PromptRequest{Context: "article"},
			[]string{"high", "tie_a", "tie_b", "in_article", "low"}},
		{"a context field is not asked in another context", nil, PromptRequest{Context: "checkout"},
			[]string{"high", "tie_a", "tie_b", "low"}},
		{"app_metadata fields are asked of services", nil, PromptRequest{IncludeAppMetadata: true, MaxFields: 2},
			[]string{"plan", "high"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Prompt(profile(nil, tt.user, nil), tt.req)
			if err != nil {
				t.Fatalf("Prompt: %v", err)
			}
			if diff := cmp.Diff(tt.want, keys(got.Fields)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptDeclineCooldown(t *testing.T) {
	c := mustCatalog(t, `
fields:
  - {key: a, type: text, priority: 2}
  - {key: b, type: text, priority: 1, decline_cooldown: 7d}
`)
	declinedAt := t0.Format(time.RFC3339)
	app := declined(map[string]any{"a": declinedAt, "b": declinedAt})
	tests := []struct {
		name string
		now  time.Time
		want []string
	}{
		{"declined fields are not asked at once", t0.Add(time.Hour), []string{}},
		{"a short cooldown ends first", t0.Add(7 * 24 * time.Hour), []string{"b"}},
		{"not before the default 30 days", t0.Add(30*24*time.Hour - time.Second), []string{"b"}},
		{"declined field returns after its cooldown", t0.Add(30 * 24 * time.Hour), []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(c, clock(tt.now)).Prompt(profile(nil, nil, app), PromptRequest{})
			if err != nil {
				t.Fatalf("Prompt: %v", err)
			}
			if diff := cmp.Diff(tt.want, keys(got.Fields)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptProgress(t *testing.T) {
	e := newEngine(t, orderCatalog)
	all := map[string]any{"low": "1", "high": "1", "tie_a": "1", "tie_b": "1", "needs_high": "1"}
	tests := []struct {
		name              string
		user              map[string]any
		req               PromptRequest
		known, applicable int
		complete          bool
	}{
		{"nothing known", nil, PromptRequest{}, 0, 4, false},
		{"after unlocks a field that then applies", map[string]any{"high": "x"}, PromptRequest{}, 1, 5, false},
		{"every applicable field known is complete", all, PromptRequest{}, 5, 5, true},
		{"a context adds its fields", all, PromptRequest{Context: "article"}, 5, 6, false},
		{"app_metadata fields count for services only", all, PromptRequest{IncludeAppMetadata: true}, 5, 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Prompt(profile(nil, tt.user, nil), tt.req)
			if err != nil {
				t.Fatalf("Prompt: %v", err)
			}
			gotP := [3]any{got.KnownCount, got.ApplicableCount, got.Complete}
			wantP := [3]any{tt.known, tt.applicable, tt.complete}
			if gotP != wantP {
				t.Errorf("known, applicable, complete = %v, want %v", gotP, wantP)
			}
		})
	}
}

func TestPromptDeclinedFieldStillCountsAsUnknown(t *testing.T) {
	e := newEngine(t, orderCatalog)
	user := map[string]any{"low": "1", "high": "1", "tie_a": "1", "needs_high": "1"}
	got, err := e.Prompt(profile(nil, user, declined(map[string]any{"tie_b": t0.Format(time.RFC3339)})), PromptRequest{})
	if err != nil {
		t.Fatalf("Prompt: %v", err)
	}
	gotP := [4]any{keys(got.Fields), got.KnownCount, got.ApplicableCount, got.Complete}
	wantP := [4]any{[]string{}, 4, 5, false}
	if diff := cmp.Diff(wantP, gotP); diff != "" {
		t.Errorf("prompt (-want +got):\n%s", diff)
	}
}

func TestPromptAppMetadataFieldsExcludedForEndUsers(t *testing.T) {
	e := newEngine(t, orderCatalog)
	got, err := e.Prompt(profile(nil, nil, nil), PromptRequest{MaxFields: 50})
	if err != nil {
		t.Fatalf("Prompt: %v", err)
	}
	for _, f := range got.Fields {
		if f.Key == "plan" {
			t.Errorf("end-user prompt asks app_metadata field %q", f.Key)
		}
	}
}

func TestPromptTopics(t *testing.T) {
	e := New(DefaultCatalog(), clock(t0))
	tests := []struct {
		name    string
		user    map[string]any
		app     map[string]any
		context string
		want    []string
	}{
		{"topic offered in its context", nil, nil, "article", []string{"weekly-digest"}},
		{"topic not offered elsewhere", nil, nil, "checkout", []string{}},
		{"topic not offered without context", nil, nil, "", []string{}},
		{"topic not offered when subscribed",
			map[string]any{"subscribed": map[string]any{"weekly-digest": map[string]any{"since": "2026-01-01T00:00:00Z"}}},
			nil, "article", []string{}},
		{"topic not offered when declined", nil,
			map[string]any{declinesKey: map[string]any{"topics": map[string]any{"weekly-digest": t0.Add(-time.Hour).Format(time.RFC3339)}}},
			"article", []string{}},
		{"topic offered again after the cooldown", nil,
			map[string]any{declinesKey: map[string]any{"topics": map[string]any{"weekly-digest": t0.Add(-31 * 24 * time.Hour).Format(time.RFC3339)}}},
			"article", []string{"weekly-digest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Prompt(profile(nil, tt.user, tt.app), PromptRequest{Context: tt.context})
			if err != nil {
				t.Fatalf("Prompt: %v", err)
			}
			if diff := cmp.Diff(tt.want, topicKeys(got.Topics)); diff != "" {
				t.Errorf("topics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptRejectsBadRequests(t *testing.T) {
	e := New(DefaultCatalog(), clock(t0))
	tests := []struct {
		name string
		req  PromptRequest
		want []Violation
	}{
		{"negative max_fields", PromptRequest{MaxFields: -1}, []Violation{{"max_fields", "must be between 0 (the default, 2) and 50"}}},
		{"absurd max_fields", PromptRequest{MaxFields: MaxFieldsLimit + 1}, []Violation{{"max_fields", "must be between 0 (the default, 2) and 50"}}},
		{"bad context and max_fields at once", PromptRequest{MaxFields: -5, Context: "a b"}, []Violation{
			{"context", "must be up to 128 letters, digits and '_', '-', '.', ':', '/', starting with a letter or digit"},
			{"max_fields", "must be between 0 (the default, 2) and 50"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Prompt(profile(nil, nil, nil), tt.req)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Prompt error = %v, want *ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, ve.Violations); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPromptOnNilProfile(t *testing.T) {
	got, err := New(DefaultCatalog(), clock(t0)).Prompt(nil, PromptRequest{})
	if err != nil {
		t.Fatalf("Prompt: %v", err)
	}
	if diff := cmp.Diff([]string{"first_name", "last_name"}, keys(got.Fields)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

// TestPromptOverLargeCatalogs covers catalogs with more fields than Prompt keeps on the stack.
func TestPromptOverLargeCatalogs(t *testing.T) {
	var b strings.Builder
	b.WriteString("fields:\n")
	const n = 70
	for i := range n {
		fmt.Fprintf(&b, "  - {key: f%02d, label: F%02d, type: text, priority: %d}\n", i, i, n-i)
	}
	e := newEngine(t, b.String())
	known := map[string]any{}
	for i := range n - 1 {
		known[fmt.Sprintf("f%02d", i)] = "x"
	}
	got, err := e.Prompt(profile(nil, known, nil), PromptRequest{MaxFields: 5})
	if err != nil {
		t.Fatalf("Prompt: %v", err)
	}
	if diff := cmp.Diff([]string{"f69"}, keys(got.Fields)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if got.KnownCount != n-1 || got.ApplicableCount != n {
		t.Errorf("known %d of %d applicable, want %d of %d", got.KnownCount, got.ApplicableCount, n-1, n)
	}
}
