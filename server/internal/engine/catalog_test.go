package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBuiltinCatalogLoads(t *testing.T) {
	c, err := ParseCatalog("builtin.yaml", BuiltinYAML())
	if err != nil {
		t.Fatalf("ParseCatalog(builtin): %v", err)
	}
	type summary struct {
		Key       string
		Type      FieldType
		Required  bool
		MaxLength int
		KnownFrom []string
		Priority  int
		MinLogins int
		Cooldown  time.Duration
	}
	var got []summary
	for _, f := range c.Fields {
		got = append(got, summary{f.Key, f.Type, f.Required, *f.MaxLength, f.KnownFrom, f.Priority, f.MinLogins, f.DeclineCooldown})
	}
	month := 30 * 24 * time.Hour
	want := []summary{
		{"first_name", TypeText, true, 100, []string{"given_name"}, 100, 0, month},
		{"last_name", TypeText, true, 100, []string{"family_name"}, 90, 0, month},
		{"title", TypeText, false, 100, nil, 50, 2, month},
		{"company", TypeText, false, 100, nil, 40, 2, month},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	topic, ok := c.Topic("weekly-digest")
	if !ok || topic.Label != "Weekly digest" || !cmp.Equal(topic.Contexts, []string{"article", "login"}) {
		t.Errorf("Topic(weekly-digest) = %+v, %v; want label Weekly digest in the contexts article and login", topic, ok)
	}
	if c.DefaultMaxFields != 2 || c.RestrictTopics {
		t.Errorf("DefaultMaxFields, RestrictTopics = %d, %v; want 2, false", c.DefaultMaxFields, c.RestrictTopics)
	}
	if DefaultCatalog() == nil || len(DefaultCatalog().Fields) != 4 {
		t.Errorf("DefaultCatalog() does not hold the built-in fields")
	}
}

func TestLoadCatalogFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(path, []byte("fields:\n  - {key: a, type: text, decline_cooldown: 12h}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalog(path)
	if err != nil {
		t.Fatalf("LoadCatalog: %v", err)
	}
	f, ok := c.Field("a")
	if !ok || f.DeclineCooldown != 12*time.Hour || f.Label != "a" || f.StoreKind() != StoreUserMetadata {
		t.Errorf("Field(a) = %+v, %v; want cooldown 12h, label a, user_metadata", f, ok)
	}
	if _, err := LoadCatalog(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Errorf("LoadCatalog(missing file) succeeded, want an error")
	}
}

// TestCatalogLoadErrors has one row per load-time check; each error must name file and line.
func TestCatalogLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // expected start of one error line
	}{
		{"invalid YAML (the YAML library's own line)", "fields:\n  - key: a\n\ttype: text\n", "test.yaml:2: found a tab character"},
		{"unknown top-level attribute", "fields: []\nfeilds: []\n", `test.yaml:2: unknown catalog attribute "feilds"`},
		{"unknown field attribute", "fields:\n  - key: a\n    type: text\n    colour: red\n", `test.yaml:4: unknown field attribute "colour"`},
		{"attribute given twice", "fields:\n  - key: a\n    type: text\n    type: email\n", `test.yaml:4: attribute "type" already given at line 3`},
		{"unknown type", "fields:\n  - key: a\n    type: txt\n", `test.yaml:3: field "a": unknown type "txt"; the types are text, email, url, phone, date, integer, number, boolean, choice or multi_choice`},
		{"duplicate field key", "fields:\n  - {key: a, type: text}\n  - {key: a, type: text}\n", `test.yaml:3: duplicate field key "a" (first at line 2)`},
		{"duplicate topic key", "topics:\n  - {key: t}\n  - {key: t}\n", `test.yaml:3: duplicate topic key "t" (first at line 2)`},
		{"empty key", "fields:\n  - {key: '', type: text}\n", "test.yaml:2: field key must not be empty"},
		{"missing key", "fields:\n  - type: text\n", "test.yaml:2: field without a key"},
		{"key with a dot", "fields:\n  - {key: a.b, type: text}\n", `test.yaml:2: field key "a.b" must not contain '.' or '$'`},
		{"key over 128 bytes", "fields:\n  - {key: " + strings.Repeat("k", 129) + ", type: text}\n", `test.yaml:2: field key "` + strings.Repeat("k", 129) + `" is longer than 128 bytes`},
		{"key with a control character", "fields:\n  - {key: \"a\\tb\", type: text}\n", `test.yaml:2: field key "a\tb" must not contain control or bidirectional formatting characters (U+0009 at character 2)`},
		{"key with a dollar", "fields:\n  - {key: $a, type: text}\n", `test.yaml:2: field key "$a" must not contain '.' or '$'`},
		{"reserved app_metadata key", "fields:\n  - key: blocked\n    type: boolean\n    store: app_metadata\n", `test.yaml:2: field key "blocked" is reserved by Auth0 in app_metadata`},
		{"key reserved by the service", "fields:\n  - {key: subscribed, type: text}\n", `test.yaml:2: field key "subscribed" is reserved by the service`},
		{"unknown store", "fields:\n  - {key: a, type: text, store: root}\n", `test.yaml:2: field "a": store must be user_metadata or app_metadata`},
		{"options on a non-choice type", "fields:\n  - key: a\n    type: text\n    options: [{value: x}]\n", `test.yaml:4: field "a": options do not apply to type text`},
		{"choice without options", "fields:\n  - key: a\n    type: choice\n", `test.yaml:3: field "a": type choice needs options`},
		{"option without value", "fields:\n  - key: a\n    type: choice\n    options:\n      - {label: X}\n", "test.yaml:5: option without a value"},
		{"duplicate option values", "fields:\n  - key: a\n    type: choice\n    options: [{value: x}, {value: x}]\n", `test.yaml:4: field "a": duplicate option value "x"`},
		{"min_length over max_length", "fields:\n  - key: a\n    type: text\n    min_length: 5\n    max_length: 2\n", `test.yaml:4: field "a": min_length 5 is greater than max_length 2`},
		{"negative length", "fields:\n  - key: a\n    type: text\n    max_length: -1\n", `test.yaml:4: field "a": lengths must not be negative`},
		{"length on a boolean", "fields:\n  - key: a\n    type: boolean\n    max_length: 3\n", `test.yaml:4: field "a": min_length/max_length do not apply to type boolean`},
		{"length on a single choice", "fields:\n  - key: a\n    type: choice\n    max_length: 3\n    options: [{value: x}]\n", `test.yaml:4: field "a": min_length/max_length do not apply to type choice`},
		{"min_length over the default maximum", "fields:\n  - key: a\n    type: text\n    min_length: 600\n", `test.yaml:4: field "a": min_length 600 is greater than the default max_length 500; set max_length`},
		{"min_value over max_value", "fields:\n  - key: a\n    type: number\n    min_value: 5\n    max_value: 1.5\n", `test.yaml:4: field "a": min_value 5 is greater than max_value 1.5`},
		{"value bounds on text", "fields:\n  - key: a\n    type: text\n    max_value: 3\n", `test.yaml:4: field "a": min_value/max_value do not apply to type text`},
		{"invalid regex", "fields:\n  - key: a\n    type: text\n    pattern: '[a-'\n", `test.yaml:4: field "a": invalid pattern`},
		{"pattern on an integer", "fields:\n  - key: a\n    type: integer\n    pattern: '\\d+'\n", `test.yaml:4: field "a": pattern does not apply to type integer`},
		{"option breaking the pattern", "fields:\n  - key: a\n    type: choice\n    pattern: '[a-z]+'\n    options: [{value: ok}, {value: NO}]\n", `test.yaml:5: field "a": option "NO" breaks the field's own validators: does not match the expected format`},
		{"option breaking max_length", "fields:\n  - key: a\n    type: choice\n    max_length: 2\n    options: [{value: long}]\n", `test.yaml:5: field "a": option "long" breaks the field's own validators: must be at most 2 characters long`},
		{"multi_choice needing more choices than options", "fields:\n  - key: a\n    type: multi_choice\n    min_length: 3\n    options: [{value: x}, {value: y}]\n", `test.yaml:4: field "a": min_length 3 exceeds the 2 options`},
		{"region on a text field", "fields:\n  - key: a\n    type: text\n    region: FR\n", `test.yaml:4: field "a": region "FR" must be a supported region code on a phone field`},
		{"unknown region", "fields:\n  - key: a\n    type: phone\n    region: XX\n", `test.yaml:4: field "a": region "XX" must be a supported region code`},
		{"after an unknown field", "fields:\n  - key: a\n    type: text\n    after: [b]\n", `test.yaml:4: field "a": after references unknown field "b"`},
		{"cycle in after", "fields:\n  - {key: a, type: text, after: [b]}\n  - {key: b, type: text, after: [a]}\n", `test.yaml:2: field "a": cycle in after: a -> b -> a`},
		{"after itself", "fields:\n  - {key: a, type: text, after: [a]}\n", `test.yaml:2: field "a": cycle in after: a -> a`},
		{"negative min_logins", "fields:\n  - key: a\n    type: text\n    min_logins: -1\n", `test.yaml:4: field "a": min_logins must not be negative`},
		{"negative priority", "fields:\n  - key: a\n    type: text\n    priority: -3\n", `test.yaml:4: field "a": priority must not be negative`},
		{"min_logins not a number", "fields:\n  - key: a\n    type: text\n    min_logins: two\n", `test.yaml:4: expected an integer, got "two"`},
		{"bad decline_cooldown", "fields:\n  - key: a\n    type: text\n    decline_cooldown: soon\n", `test.yaml:4: decline_cooldown must be a positive duration`},
		{"invalid context", "fields:\n  - key: a\n    type: text\n    contexts: ['a b']\n", `test.yaml:4: field "a": invalid context "a b"`},
		{"default_max_fields zero", "default_max_fields: 0\n", "test.yaml:1: default_max_fields must be between 1 and 50"},
		{"default_max_fields absurd", "\ndefault_max_fields: 51\n", "test.yaml:2: default_max_fields must be between 1 and 50"},
		{"invalid topic key", "topics:\n  - key: Weekly.Digest\n", `test.yaml:2: topic key "Weekly.Digest" must be 1 to 64 characters`},
		{"unknown topic attribute", "topics:\n  - key: t\n    colour: red\n", `test.yaml:3: unknown topic attribute "colour"`},
		{"fields not a list", "fields: {a: b}\n", "test.yaml:1: expected a list"},
		{"empty document", "", "test.yaml:1: empty catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCatalog("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseCatalog succeeded, want an error starting %q", tt.want)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(line, tt.want) {
					return
				}
			}
			t.Errorf("ParseCatalog error = %q, want a line starting %q", err, tt.want)
		})
	}
}

func TestCatalogReportsEveryError(t *testing.T) {
	_, err := ParseCatalog("test.yaml", []byte("fields:\n  - {key: a, type: txt}\n  - {key: b.c, type: text}\n"))
	if err == nil {
		t.Fatal("ParseCatalog succeeded, want errors")
	}
	if got := len(strings.Split(err.Error(), "\n")); got != 2 {
		t.Errorf("ParseCatalog reported %d errors, want 2: %v", got, err)
	}
}

func TestCatalogBuiltInGo(t *testing.T) {
	c := &Catalog{Fields: []*Field{{Item: Item{Key: "a"}, Type: TypeText, Priority: 1}, {Item: Item{Key: "b"}, Type: TypeText, Priority: 2}}}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.DefaultMaxFields != 2 || c.Fields[0].DeclineCooldown != DefaultDeclineCooldown {
		t.Errorf("defaults not applied: max %d, cooldown %v", c.DefaultMaxFields, c.Fields[0].DeclineCooldown)
	}
	got, err := New(c, clock(t0)).Prompt(nil, PromptRequest{})
	if err != nil {
		t.Fatalf("Prompt: %v", err)
	}
	if diff := cmp.Diff([]string{"b", "a"}, keys(got.Fields)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	bad := &Catalog{Fields: []*Field{{Item: Item{Key: "a.b"}, Type: TypeText}}}
	if err := bad.Validate(); err == nil || !strings.HasPrefix(err.Error(), "catalog: ") {
		t.Errorf("Validate(bad) = %v, want an error starting \"catalog: \"", err)
	}
}

func TestLocalizedLabel(t *testing.T) {
	f := &Field{Item: Item{Labeled: Labeled{Label: "First name", Labels: map[string]string{"fr": "Prénom", "pt-BR": "Nome"}}, Help: "h", Helps: map[string]string{"fr": "aide"}}}
	tests := []struct {
		locale, label, help string
	}{
		{"", "First name", "h"},
		{"fr", "Prénom", "aide"},
		{"fr-CA", "Prénom", "aide"},
		{"fr_CA", "Prénom", "aide"},
		{"pt-br", "Nome", "h"},
		{"pt", "First name", "h"},
		{"de", "First name", "h"},
	}
	for _, tt := range tests {
		t.Run(tt.locale, func(t *testing.T) {
			if got := f.LocalizedLabel(tt.locale); got != tt.label {
				t.Errorf("LocalizedLabel(%q) = %q, want %q", tt.locale, got, tt.label)
			}
			if got := f.LocalizedHelp(tt.locale); got != tt.help {
				t.Errorf("LocalizedHelp(%q) = %q, want %q", tt.locale, got, tt.help)
			}
		})
	}
}

func TestCatalogBranding(t *testing.T) {
	c := mustCatalog(t, `
branding:
  title: Tell us about you
  titles: {fr: Parlez-nous de vous}
  logo: https://cdn.example.com/logo.svg
  color: "#0B5FFF"
fields:
  - {key: a, type: text}
`)
	b := c.Branding
	if b.LocalizedTitle("fr-CA") != "Parlez-nous de vous" || b.LocalizedTitle("de") != "Tell us about you" || b.Logo != "https://cdn.example.com/logo.svg" || b.Color != "#0B5FFF" {
		t.Errorf("branding = %+v", b)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"branding: {logo: 'http://cdn.example.com/l.png'}", "test.yaml:2: branding: logo"},
		{"branding: {logo: 'javascript:alert(1)'}", "test.yaml:2: branding: logo"},
		{"branding: {color: 'red;} body{display:none'}", "test.yaml:2: branding: color"},
		{"branding: {colour: '#fff'}", `test.yaml:2: unknown branding attribute "colour"`},
		{"branding: {title: '" + strings.Repeat("é", 201) + "'}", "test.yaml:2: branding: titles must be at most 200 characters long"},
		{"branding: {titles: {fr: '" + strings.Repeat("é", 201) + "'}}", "test.yaml:2: branding: titles must be at most 200 characters long"},
	} {
		_, err := ParseCatalog("test.yaml", []byte("\n"+tt.yaml+"\nfields: [{key: a, type: text}]\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.yaml, err, tt.want)
		}
	}
}
