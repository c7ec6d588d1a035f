package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"validation error lists every violation",
			&ValidationError{Violations: []Violation{{"max_fields", "too big"}, {"values.title", "too long"}}},
			"invalid request: max_fields: too big; values.title: too long"},
		{"forbidden error names the fields",
			&ForbiddenError{Fields: []string{"declined_fields[0]", "values.plan"}},
			"only services may write these fields: declined_fields[0], values.plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOptionLocalizedLabel(t *testing.T) {
	f, _ := newEngine(t, typesCatalog).Catalog().Field("role")
	o := f.Options[0]
	o.Labels = map[string]string{"fr": "PDG"}
	if got := o.LocalizedLabel("fr-BE"); got != "PDG" {
		t.Errorf("LocalizedLabel(fr-BE) = %q, want PDG", got)
	}
	if got := o.LocalizedLabel("en"); got != "CEO" {
		t.Errorf("LocalizedLabel(en) = %q, want CEO", got)
	}
}

func TestViolationsSortListIndexesAsNumbers(t *testing.T) {
	var vs violations
	for _, path := range []string{"values.b", "declined_fields[10]", "declined_fields[2]", "declined_topics[0]", "values.a"} {
		vs.add(path, "bad")
	}
	var got []string
	for _, v := range vs.err().(*ValidationError).Violations {
		got = append(got, v.Field)
	}
	want := []string{"declined_fields[2]", "declined_fields[10]", "declined_topics[0]", "values.a", "values.b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
