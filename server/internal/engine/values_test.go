package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const typesCatalog = `
fields:
  - {key: name, type: text, max_length: 10, required: true}
  - {key: bio, type: text}
  - {key: code, type: text, pattern: "[A-Z]{3}", min_length: 3}
  - {key: email, type: email}
  - {key: site, type: url}
  - {key: mobile, type: phone}
  - {key: fr_phone, type: phone, region: FR}
  - {key: birthday, type: date}
  - {key: age, type: integer, min_value: 0, max_value: 150}
  - {key: big, type: integer}
  - {key: score, type: number, min_value: -1.5, max_value: 1.5}
  - {key: opt_in, type: boolean}
  - key: role
    type: choice
    options: [{value: ceo, label: CEO}, {value: cto, label: CTO}]
  - key: langs
    type: multi_choice
    max_length: 2
    options: [{value: go}, {value: rust}, {value: zig}]
`

// TestSubmitValueTypes checks each type's normalisation of valid values and its violations.
func TestSubmitValueTypes(t *testing.T) {
	e := newEngine(t, typesCatalog)
	tests := []struct {
		name    string
		key     string
		value   any
		want    any    // normalised value stored, when valid
		wantErr string // violation description, when invalid
	}{
		{"text is trimmed", "name", "  Ada  ", "Ada", ""},
		{"text length counts characters, not bytes", "name", "ÉÉÉÉÉÉÉÉÉÉ", "ÉÉÉÉÉÉÉÉÉÉ", ""},
		{"over-long text", "name", "Ada Lovelace", nil, "must be at most 10 characters long"},
		{"text defaults to 500 characters", "bio", strings.Repeat("x", 501), nil, "must be at most 500 characters long"},
		{"text of 500 characters fits", "bio", strings.Repeat("x", 500), strings.Repeat("x", 500), ""},
		{"text must be a string", "name", 12.0, nil, "must be a string"},
		{"empty required text", "name", "   ", nil, "is required"},
		{"pattern matches whole value", "code", "ABC", "ABC", ""},
		{"pattern miss", "code", "ABCD", nil, "does not match the expected format"},
		{"min length", "code", "AB", nil, "must be at least 3 characters long"},
		{"email is lower-cased and trimmed", "email", " Ada@Example.COM ", "ada@example.com", ""},
		{"email with display name", "email", "Ada <ada@example.com>", nil, "must be a single email address, such as name@example.com"},
		{"two emails", "email", "a@example.com, b@example.com", nil, "must be a single email address, such as name@example.com"},
		{"not an email", "email", "ada", nil, "must be a single email address, such as name@example.com"},
		{"email must be a string", "email", true, nil, "must be a string (an email address)"},
		{"https url", "site", "https://example.com/x?y=1", "https://example.com/x?y=1", ""},
		{"relative url", "site", "/x", nil, "must be an absolute http or https URL"},
		{"ftp url", "site", "ftp://example.com", nil, "must be an absolute http or https URL"},
		{"url without host", "site", "http:///x", nil, "must be an absolute http or https URL"},
		{"javascript url", "site", "javascript:alert(1)", nil, "must be an absolute http or https URL"},
		{"phone to E.164", "mobile", "+33 6 12 34 56 78", "+33612345678", ""},
		{"phone without + and no region", "mobile", "06 12 34 56 78", nil, "must be an international number starting with + and the country code"},
		{"phone with a default region", "fr_phone", "06 12 34 56 78", "+33612345678", ""},
		{"invalid phone", "mobile", "+33 12", nil, "is not a valid phone number"},
		{"phone garbage", "mobile", "+not a number", nil, "is not a valid phone number"},
		{"date", "birthday", "1990-02-28", "1990-02-28", ""},
		{"invalid date", "birthday", "2026-02-30", nil, "is not a real date"},
		{"date in another format", "birthday", "28/02/1990", nil, "must be a date as YYYY-MM-DD"},
		{"date with time", "birthday", "1990-02-28T00:00:00Z", nil, "must be a date as YYYY-MM-DD"},
		{"integer", "age", 42.0, 42.0, ""},
		{"integer from int", "age", 42, 42.0, ""},
		{"fractional integer", "age", 4.5, nil, "must be a whole number"},
		{"integer as string", "age", "42", nil, "must be an integer"},
		{"integer below min", "age", -1.0, nil, "must be at least 0"},
		{"integer above max", "age", 151.0, nil, "must be at most 150"},
		{"integer beyond 2^53", "big", 1e16, nil, "must be between -2^53 and 2^53"},
		{"number", "score", 1.25, 1.25, ""},
		{"number above max", "score", 2.0, nil, "must be at most 1.5"},
		{"number as bool", "score", true, nil, "must be a number"},
		{"boolean", "opt_in", false, false, ""},
		{"boolean as string", "opt_in", "true", nil, "must be a boolean (true or false)"},
		{"choice", "role", " cto ", "cto", ""},
		{"option not in list", "role", "cfo", nil, `"cfo" is not one of the options: "ceo", "cto"`},
		{"choice must be a string", "role", []any{"ceo"}, nil, "must be a string (one of the options)"},
		{"multi choice in catalog order", "langs", []any{"zig", "go"}, []any{"go", "zig"}, ""},
		{"multi choice option not in list", "langs", []any{"go", "cobol"}, nil, `"cobol" is not one of the options: "go", "rust", "zig"`},
		{"multi choice duplicate", "langs", []any{"go", "go"}, nil, `"go" is chosen more than once`},
		{"multi choice too many", "langs", []any{"go", "rust", "zig"}, nil, "must have at most 2 choices"},
		{"multi choice not a list", "langs", "go", nil, "must be a list of option values"},
		{"multi choice of numbers", "langs", []any{1.0}, nil, "must be a list of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patch, err := e.Submit(profile(nil, nil, nil), Submission{Values: map[string]any{tt.key: tt.value}})
			if tt.wantErr != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Submit error = %v, want *ValidationError", err)
				}
				want := []Violation{{Field: "values." + tt.key, Description: tt.wantErr}}
				if diff := cmp.Diff(want, ve.Violations); diff != "" {
					t.Errorf("violations (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if diff := cmp.Diff(map[string]any{tt.key: tt.want}, patch.UserMetadata); diff != "" {
				t.Errorf("user_metadata patch (-want +got):\n%s", diff)
			}
		})
	}
}
