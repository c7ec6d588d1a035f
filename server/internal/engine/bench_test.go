package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const benchCatalog = `
default_max_fields: 3
fields:
  - {key: first_name, type: text, known_from: [given_name], priority: 100}
  - {key: last_name, type: text, known_from: [family_name], priority: 90}
  - {key: email2, type: email, priority: 80}
  - {key: phone, type: phone, priority: 70}
  - {key: title, type: text, min_logins: 2, priority: 50}
  - {key: company, type: text, min_logins: 2, priority: 40}
  - {key: size, type: integer, after: [company], priority: 30}
  - {key: site, type: url, contexts: [article], priority: 20}
  - {key: birthday, type: date, priority: 10}
  - key: role
    type: choice
    options: [{value: dev}, {value: ops}]
topics:
  - {key: weekly-digest, contexts: [article]}
`

func BenchmarkPrompt(b *testing.B) {
	benchmarkPrompt(b, PromptRequest{Context: "article"})
}

// BenchmarkPromptExplain is BenchmarkPrompt with the explanation of every decision, for what
// explain costs; the sentences are written later, by the API, and not measured here.
func BenchmarkPromptExplain(b *testing.B) {
	benchmarkPrompt(b, PromptRequest{Context: "article", Explain: true})
}

func benchmarkPrompt(b *testing.B, req PromptRequest) {
	e := New(mustCatalog(b, benchCatalog), clock(t0))
	p := profile(
		map[string]any{"given_name": "Ada", "logins_count": 3.0},
		map[string]any{"company": "Acme", "subscribed": map[string]any{}},
		declined(map[string]any{"email2": t0.Add(-time.Hour).Format(time.RFC3339)}),
	)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Prompt(p, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubmit measures a typical SubmitFields call on a profile with a few kilobytes of
// user_metadata, which the size check has to consider on every submission.
func BenchmarkSubmit(b *testing.B) {
	e := New(mustCatalog(b, benchCatalog), clock(t0))
	user := map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "company": "Acme & Sons <Ltd>",
		"subscribed": map[string]any{"weekly-digest": map[string]any{"since": "2026-01-02T03:04:05Z", "source": "prompt"}},
	}
	for i := range 40 {
		user[fmt.Sprintf("note_%02d", i)] = strings.Repeat("Zoë wrote: \"hello\"\n", 3)
		user[fmt.Sprintf("score_%02d", i)] = float64(i) * 1.25
	}
	p := profile(map[string]any{"logins_count": 3.0}, user, nil)
	s := Submission{Values: map[string]any{"title": "Engineer", "role": "dev", "size": 42.0}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Submit(p, s); err != nil {
			b.Fatal(err)
		}
	}
}
