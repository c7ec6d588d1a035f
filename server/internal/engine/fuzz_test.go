package engine

import (
	"strings"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// FuzzParseCatalog parses arbitrary YAML as a catalog. Whatever the text, the parser returns a
// catalog or an error naming the file, never panics; an accepted catalog is usable: the engine
// takes it and computes prompts, profiles and submissions over it. The seed corpus in
// testdata/fuzz/FuzzParseCatalog and the built-in catalog run with the ordinary tests.
func FuzzParseCatalog(f *testing.F) {
	f.Add(string(BuiltinYAML()))
	f.Add(submitCatalog)
	f.Add("fields:\n  - {key: a, type: choice, options: [{value: x}], after: [b]}\n  - {key: b, type: text, after: [a]}\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCatalog("fuzz.yaml", []byte(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if c.DefaultMaxFields < 1 || c.DefaultMaxFields > MaxFieldsLimit {
			t.Fatalf("accepted default_max_fields %d", c.DefaultMaxFields)
		}
		e := New(c, clock(t0))
		p := profile(map[string]any{"logins_count": 3.0}, nil, nil)
		for _, ctx := range append([]string{""}, contextsOf(c)...) {
			if _, err := e.Prompt(p, PromptRequest{Context: ctx, IncludeAppMetadata: true}); err != nil {
				t.Fatalf("Prompt in context %q: %v", ctx, err)
			}
		}
		values := map[string]any{}
		var declines []string
		for i, f := range c.Fields {
			if i%2 == 0 {
				values[f.Key] = nil
			} else {
				declines = append(declines, f.Key)
			}
		}
		if _, err := e.Submit(p, Submission{Values: values, Declines: declines, AllowAppMetadata: true}); err != nil {
			t.Fatalf("clearing and declining every field: %v", err)
		}
		_ = e.Effective(store.Apply(p, store.Patch{}))
	})
}

func contextsOf(c *Catalog) []string {
	var out []string
	for _, f := range c.Fields {
		out = append(out, f.Contexts...)
	}
	for _, t := range c.Topics {
		out = append(out, t.Contexts...)
	}
	return out
}
