package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEffective(t *testing.T) {
	e := newEngine(t, submitCatalog)
	type row struct {
		Key       string
		Value     any
		Source    Source
		Attribute string
	}
	tests := []struct {
		name        string
		attrs, user map[string]any
		app         map[string]any
		want        []row
	}{
		{"nothing known", nil, nil, nil, nil},
		{"known_from attribute", map[string]any{"given_name": "Ada"}, nil, nil,
			[]row{{"first_name", "Ada", SourceIdentityProvider, "given_name"}}},
		{"metadata value wins over known_from", map[string]any{"given_name": "Ada"}, map[string]any{"first_name": "Augusta"}, nil,
			[]row{{"first_name", "Augusta", SourceUserMetadata, ""}}},
		{"blank metadata falls back to known_from", map[string]any{"given_name": "Ada"}, map[string]any{"first_name": " "}, nil,
			[]row{{"first_name", "Ada", SourceIdentityProvider, "given_name"}}},
		{"catalog order and app_metadata", nil, map[string]any{"age": 3.0, "title": "CTO"}, map[string]any{"plan": "pro"},
			[]row{{"title", "CTO", SourceUserMetadata, ""}, {"age", 3.0, SourceUserMetadata, ""}, {"plan", "pro", SourceAppMetadata, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []row
			for _, v := range e.Effective(profile(tt.attrs, tt.user, tt.app)) {
				got = append(got, row{v.Field.Key, v.Value, v.Source, v.Attribute})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("effective (-want +got):\n%s", diff)
			}
		})
	}
}
