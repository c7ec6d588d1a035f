package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const submitCatalog = `
fields:
  - {key: first_name, type: text, required: true, known_from: [given_name]}
  - {key: title, type: text}
  - {key: age, type: integer}
  - {key: plan, type: text, store: app_metadata}
  - {key: langs, type: multi_choice, options: [{value: go}, {value: rust}]}
topics:
  - {key: weekly-digest, contexts: [article]}
`

func TestSubmitPatches(t *testing.T) {
	e := newEngine(t, submitCatalog)
	stored := profile(nil,
		map[string]any{"first_name": "Ada", "title": "CTO", "langs": []any{"go"}},
		map[string]any{"plan": "pro"})
	now := t0.Format(time.RFC3339)
	tests := []struct {
		name string
		p    *store.Profile
		s    Submission
		want store.Patch
	}{
		{"empty submission writes nothing", stored, Submission{}, store.Patch{}},
		{"same values write nothing", stored,
			Submission{Values: map[string]any{"first_name": " Ada ", "langs": []any{"go"}}}, store.Patch{}},
		{"only changing keys are written", stored,
			Submission{Values: map[string]any{"first_name": "Ada", "title": "CEO"}},
			store.Patch{UserMetadata: map[string]any{"title": "CEO"}}},
		{"clearing with nil deletes a stored value", stored,
			Submission{Values: map[string]any{"title": nil}},
			store.Patch{UserMetadata: map[string]any{"title": nil}}},
		{"clearing a required field with nil is allowed", stored,
			Submission{Values: map[string]any{"first_name": nil}},
			store.Patch{UserMetadata: map[string]any{"first_name": nil}}},
		{"clearing what is not stored writes nothing", stored,
			Submission{Values: map[string]any{"age": nil}}, store.Patch{}},
		{"an empty optional string clears", stored,
			Submission{Values: map[string]any{"title": "  "}},
			store.Patch{UserMetadata: map[string]any{"title": nil}}},
		{"an empty list clears a multi_choice", stored,
			Submission{Values: map[string]any{"langs": []any{}}},
			store.Patch{UserMetadata: map[string]any{"langs": nil}}},
		{"services write app_metadata fields", stored,
			Submission{Values: map[string]any{"plan": "free"}, AllowAppMetadata: true},
			store.Patch{AppMetadata: map[string]any{"plan": "free"}}},
		{"a decline is recorded in app_metadata", stored,
			Submission{Declines: []string{"age"}, DeclineTopics: []string{"weekly-digest"}},
			store.Patch{AppMetadata: map[string]any{declinesKey: map[string]any{
				"fields": map[string]any{"age": now},
				"topics": map[string]any{"weekly-digest": now},
			}}}},
		{"a nil profile is an empty one", nil,
			Submission{Values: map[string]any{"title": "CEO"}},
			store.Patch{UserMetadata: map[string]any{"title": "CEO"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Submit(tt.p, tt.s)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			// What a store writes: the patch's changes to the profile.
			if diff := cmp.Diff(tt.want, store.Changes(tt.p, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("written changes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSubmitPatchNamesEverySubmittedKey checks that values the profile already holds stay in the
// patch: a store whose copy is stale must still write them.
func TestSubmitPatchNamesEverySubmittedKey(t *testing.T) {
	e := newEngine(t, submitCatalog)
	stored := profile(nil, map[string]any{"first_name": "Ada", "title": "CTO"}, nil)
	got, err := e.Submit(stored, Submission{Values: map[string]any{"first_name": " Ada ", "title": "CEO", "age": nil}})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	want := store.Patch{UserMetadata: map[string]any{"first_name": "Ada", "title": "CEO", "age": nil}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("patch (-want +got):\n%s", diff)
	}
}

func TestSubmitDeclineRecords(t *testing.T) {
	e := newEngine(t, submitCatalog)
	earlier := t0.Add(-time.Hour).Format(time.RFC3339)
	longAgo := t0.Add(-40 * 24 * time.Hour).Format(time.RFC3339)
	now := t0.Format(time.RFC3339)
	tests := []struct {
		name string
		app  map[string]any
		s    Submission
		want store.Patch
	}{
		{"declining again within the cooldown keeps the first time",
			declined(map[string]any{"age": earlier}),
			Submission{Declines: []string{"age"}}, store.Patch{}},
		{"declining again after the cooldown starts a new one",
			declined(map[string]any{"age": longAgo}),
			Submission{Declines: []string{"age"}},
			store.Patch{AppMetadata: map[string]any{declinesKey: map[string]any{"fields": map[string]any{"age": now}}}}},
		{"submitting a declined field removes its decline record",
			declined(map[string]any{"age": earlier, "title": earlier}),
			Submission{Values: map[string]any{"age": 30.0}},
			store.Patch{
				UserMetadata: map[string]any{"age": 30.0},
				AppMetadata:  map[string]any{declinesKey: map[string]any{"fields": map[string]any{"title": earlier}}},
			}},
		{"removing the last decline deletes the record",
			declined(map[string]any{"age": earlier}),
			Submission{Values: map[string]any{"age": 30.0}},
			store.Patch{UserMetadata: map[string]any{"age": 30.0}, AppMetadata: map[string]any{declinesKey: nil}}},
		{"expired declines are pruned when rewritten",
			declined(map[string]any{"age": longAgo, "title": earlier}),
			Submission{Declines: []string{"first_name"}},
			store.Patch{AppMetadata: map[string]any{declinesKey: map[string]any{"fields": map[string]any{
				"title": earlier, "first_name": now,
			}}}}},
		{"entries the service does not own are kept as stored",
			map[string]any{declinesKey: map[string]any{
				"fields":     map[string]any{"gone": earlier, "other_app_field": "not a time", "age": longAgo},
				"topics":     map[string]any{"other-news": earlier},
				"by_the_crm": map[string]any{"x": 1.0},
			}},
			Submission{Declines: []string{"first_name"}, DeclineTopics: []string{"weekly-digest"}},
			store.Patch{AppMetadata: map[string]any{declinesKey: map[string]any{
				"fields":     map[string]any{"gone": earlier, "other_app_field": "not a time", "first_name": now},
				"topics":     map[string]any{"other-news": earlier, "weekly-digest": now},
				"by_the_crm": map[string]any{"x": 1.0},
			}}}},
		{"the record stays while entries the service does not own remain",
			map[string]any{declinesKey: map[string]any{
				"fields": map[string]any{"age": earlier, "gone": earlier},
			}},
			Submission{Values: map[string]any{"age": 30.0}},
			store.Patch{
				UserMetadata: map[string]any{"age": 30.0},
				AppMetadata:  map[string]any{declinesKey: map[string]any{"fields": map[string]any{"gone": earlier}}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Submit(profile(nil, nil, tt.app), tt.s)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("patch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubmitViolations(t *testing.T) {
	e := newEngine(t, submitCatalog)
	tests := []struct {
		name string
		p    *store.Profile
		s    Submission
		want []Violation
	}{
		{"key with a dot", nil, Submission{Values: map[string]any{"a.b": "x"}},
			[]Violation{{"values.a.b", "field keys cannot contain '.' or '$'"}}},
		{"key with a dollar", nil, Submission{Values: map[string]any{"$set": "x"}},
			[]Violation{{"values.$set", "field keys cannot contain '.' or '$'"}}},
		{"unknown key", nil, Submission{Values: map[string]any{"shoe_size": 42.0}},
			[]Violation{{"values.shoe_size", "is not a field of the catalog"}}},
		{"empty required string", nil, Submission{Values: map[string]any{"first_name": ""}},
			[]Violation{{"values.first_name", "is required"}}},
		{"declining and answering at once", nil,
			Submission{Values: map[string]any{"age": 3.0}, Declines: []string{"age"}},
			[]Violation{{"declined_fields[0]", `"age" cannot be both answered and declined`}}},
		{"declining an unknown field", nil, Submission{Declines: []string{"nope"}},
			[]Violation{{"declined_fields[0]", `"nope" is not a field of the catalog`}}},
		{"declining an unknown topic", nil, Submission{DeclineTopics: []string{"nope"}},
			[]Violation{{"declined_topics[0]", `"nope" is not a declared topic`}}},
		{"more answers than the catalog has fields", nil,
			Submission{Values: map[string]any{"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 1.0, "f": 1.0}},
			[]Violation{{"values", "at most 5 fields may be answered and declined at once (the catalog has 5), got 6 answers"}}},
		{"more answers and declines than the catalog has fields", nil,
			Submission{Values: map[string]any{"title": "x", "age": 3.0}, Declines: []string{"a", "b", "c", "d"}},
			[]Violation{{"declined_fields", "at most 5 fields may be answered and declined at once (the catalog has 5), got 2 answers and 4 declines"}}},
		{"more declined topics than the catalog declares", nil,
			Submission{DeclineTopics: []string{"weekly-digest", "x"}},
			[]Violation{{"declined_topics", "at most 1 topics may be declined (the catalog declares 1), got 2"}}},
		{"an over-long key", nil, Submission{Values: map[string]any{strings.Repeat("k", 129): 1.0}},
			[]Violation{{"values." + strings.Repeat("k", 129), "field keys are at most 128 bytes long"}}},
		{"a NUL in a text value", nil, Submission{Values: map[string]any{"title": "CTO\x00"}},
			[]Violation{{"values.title", "must not contain control or bidirectional formatting characters (U+0000 at character 4)"}}},
		{"a newline in a text value", nil, Submission{Values: map[string]any{"title": "C\nTO"}},
			[]Violation{{"values.title", "must not contain control or bidirectional formatting characters (U+000A at character 2)"}}},
		{"a right-to-left override in a text value", nil, Submission{Values: map[string]any{"title": "\u202eOTC"}},
			[]Violation{{"values.title", "must not contain control or bidirectional formatting characters (U+202E at character 1)"}}},
		{"all violations reported at once, sorted", nil, Submission{
			Values: map[string]any{
				"title": strings.Repeat("x", 501), "age": "old", "zzz": 1.0, "first_name": "Ada",
			},
			Declines:      []string{"title"},
			DeclineTopics: []string{"x"},
		}, []Violation{
			{"declined_fields[0]", `"title" cannot be both answered and declined`},
			{"declined_topics[0]", `"x" is not a declared topic`},
			{"values.age", "must be an integer"},
			{"values.title", "must be at most 500 characters long"},
			{"values.zzz", "is not a field of the catalog"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Submit(tt.p, tt.s)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Submit error = %v, want *ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, ve.Violations); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubmitAppMetadataFieldsAreForbiddenToEndUsers(t *testing.T) {
	e := newEngine(t, submitCatalog)
	_, err := e.Submit(profile(nil, nil, nil), Submission{
		Values:   map[string]any{"plan": "free", "title": 12.0},
		Declines: []string{"title", "plan"},
	})
	var fe *ForbiddenError
	if !errors.As(err, &fe) {
		t.Fatalf("Submit error = %v, want *ForbiddenError", err)
	}
	if diff := cmp.Diff([]string{"declined_fields[1]", "values.plan"}, fe.Fields); diff != "" {
		t.Errorf("forbidden fields (-want +got):\n%s", diff)
	}
}

// TestSubmitPatchNeverAliasesProfile mutates every map of the patch and checks that the
// profile did not change.
func TestSubmitPatchNeverAliasesProfile(t *testing.T) {
	e := newEngine(t, submitCatalog)
	build := func() *store.Profile {
		return profile(nil,
			map[string]any{"langs": []any{"go"}, "subscribed": map[string]any{"x": map[string]any{"since": "2026-01-01T00:00:00Z"}}},
			declined(map[string]any{"title": t0.Add(-time.Hour).Format(time.RFC3339)}))
	}
	p, pristine := build(), build()
	patches := []store.Patch{}
	for _, s := range []Submission{
		{Values: map[string]any{"langs": []any{"rust", "go"}}, Declines: []string{"age"}},
		{Values: map[string]any{"title": "CEO"}},
	} {
		patch, err := e.Submit(p, s)
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		patches = append(patches, patch)
	}
	for _, c := range []SubscriptionChange{{Topic: "y", Subscribe: true}, {Topic: "x"}, {Topic: "weekly-digest", Subscribe: true}} {
		patch, err := e.Subscribe(p, c)
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		patches = append(patches, patch)
	}
	for _, patch := range patches {
		scribble(patch.UserMetadata)
		scribble(patch.AppMetadata)
	}
	for _, v := range e.Effective(p) {
		scribble(map[string]any{"v": v.Value})
	}
	if diff := cmp.Diff(pristine, p); diff != "" {
		t.Errorf("profile changed through a patch (-want +got):\n%s", diff)
	}
}

// scribble overwrites every nested map and list it can reach.
func scribble(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			scribble(x)
			x["scribbled"] = true
		case []any:
			for i := range x {
				x[i] = "scribbled"
			}
		}
		m[k] = "scribbled"
	}
}

// TestCheckThenApplyIsSubmit: CheckSubmission reports what Submit reports for an empty profile
// (app_metadata aside, which CheckForbidden decides), and ApplySubmission of what it returns
// gives the patch Submit gives.
func TestCheckThenApplyIsSubmit(t *testing.T) {
	e := newEngine(t, submitCatalog)
	stored := profile(nil,
		map[string]any{"first_name": "Ada", "title": "CTO"},
		declined(map[string]any{"age": t0.Add(-time.Hour).Format(time.RFC3339)}))
	for _, s := range []Submission{
		{},
		{Values: map[string]any{"first_name": " Grace ", "title": nil, "age": 3.0}},
		{Values: map[string]any{"plan": "pro", "langs": []any{"rust"}}, Declines: []string{"title"}, DeclineTopics: []string{"weekly-digest"}},
		{Values: map[string]any{"age": 3.0, "a.b": 1.0}, Declines: []string{"age", "nope"}},
		{Values: map[string]any{"title": strings.Repeat("x", 600)}},
	} {
		s.AllowAppMetadata = true
		_, wantErr := e.Submit(&store.Profile{}, s)
		c, err := e.CheckSubmission(s)
		if diff := cmp.Diff(wantErr, err); diff != "" {
			t.Errorf("CheckSubmission(%+v) error (-Submit +CheckSubmission):\n%s", s, diff)
		}
		if err != nil {
			continue
		}
		want, wantErr := e.Submit(stored, s)
		got, err := e.ApplySubmission(stored, c)
		if diff := cmp.Diff(want, got); diff != "" || !cmp.Equal(wantErr, err) {
			t.Errorf("ApplySubmission(%+v) = %v, %v; Submit gives %v, %v", s, got, err, want, wantErr)
		}
	}
}
