package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestChangesKeepsOnlyWhatDiffers(t *testing.T) {
	p := &Profile{
		UserMetadata: map[string]any{"title": "CTO", "langs": []any{"go"}, "subscribed": map[string]any{"a": map[string]any{"since": "x"}}},
		AppMetadata:  map[string]any{"plan": "pro"},
	}
	tests := []struct {
		name  string
		p     *Profile
		patch Patch
		want  Patch
	}{
		{"nothing", p, Patch{}, Patch{}},
		{"same values", p, Patch{UserMetadata: map[string]any{"title": "CTO", "langs": []any{"go"}}, AppMetadata: map[string]any{"plan": "pro"}}, Patch{}},
		{"a new value", p, Patch{UserMetadata: map[string]any{"title": "CEO", "langs": []any{"go"}}},
			Patch{UserMetadata: map[string]any{"title": "CEO"}}},
		{"clearing a stored key", p, Patch{UserMetadata: map[string]any{"title": nil}}, Patch{UserMetadata: map[string]any{"title": nil}}},
		{"clearing a key that is not stored", p, Patch{UserMetadata: map[string]any{"age": nil}}, Patch{}},
		{"an equal nested object", p, Patch{UserMetadata: map[string]any{"subscribed": map[string]any{"a": map[string]any{"since": "x"}}}}, Patch{}},
		{"a changed nested object", p, Patch{UserMetadata: map[string]any{"subscribed": map[string]any{"b": map[string]any{}}}},
			Patch{UserMetadata: map[string]any{"subscribed": map[string]any{"b": map[string]any{}}}}},
		{"a nil profile is empty", nil, Patch{AppMetadata: map[string]any{"plan": "free", "gone": nil}}, Patch{AppMetadata: map[string]any{"plan": "free"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Changes(tt.p, tt.patch), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNeedsCurrent(t *testing.T) {
	p := &Profile{
		UserMetadata: map[string]any{"title": "CTO", "subscribed": map[string]any{"a": map[string]any{}}},
		AppMetadata:  map[string]any{"profiling_declines": map[string]any{"fields": map[string]any{}}},
	}
	tests := []struct {
		name  string
		patch Patch
		want  bool
	}{
		{"new first-level values are safe on a stale copy", Patch{UserMetadata: map[string]any{"title": "CEO", "company": "Acme"}}, false},
		{"clearing a stored key is safe", Patch{UserMetadata: map[string]any{"title": nil}}, false},
		{"a patch that changes nothing may be wrong", Patch{}, true},
		{"a value the copy already holds may differ upstream", Patch{UserMetadata: map[string]any{"title": "CTO"}}, true},
		{"one unchanged key among changed ones", Patch{UserMetadata: map[string]any{"title": "CTO", "company": "Acme"}}, true},
		{"clearing what the copy lacks may be needed upstream", Patch{UserMetadata: map[string]any{"company": nil}}, true},
		{"a nested object is rebuilt from the copy", Patch{UserMetadata: map[string]any{"subscribed": map[string]any{"a": map[string]any{}}}}, true},
		{"a nested object in app_metadata too", Patch{AppMetadata: map[string]any{"profiling_declines": map[string]any{}}}, true},
		{"deleting a nested object emptied on the copy may drop what upstream added", Patch{UserMetadata: map[string]any{"subscribed": nil}}, true},
		{"deleting a nested object in app_metadata too", Patch{AppMetadata: map[string]any{"profiling_declines": nil}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsCurrent(p, tt.patch); got != tt.want {
				t.Errorf("NeedsCurrent = %v, want %v", got, tt.want)
			}
		})
	}
}
