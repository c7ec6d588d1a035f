package engine

import (
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
	e := New(mustCatalog(b, benchCatalog), clock(t0))
	p := profile(
		map[string]any{"given_name": "Ada", "logins_count": 3.0},
		map[string]any{"company": "Acme", "subscribed": map[string]any{}},
		declined(map[string]any{"email2": t0.Add(-time.Hour).Format(time.RFC3339)}),
	)
	req := PromptRequest{Context: "article"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Prompt(p, req); err != nil {
			b.Fatal(err)
		}
	}
}
