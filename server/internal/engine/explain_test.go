package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// explainCatalog has a field or topic for every reason of a decision.
const explainCatalog = `
default_max_fields: 2
fields:
  - {key: first_name, type: text, known_from: [given_name], priority: 100}
  - {key: plan, type: text, store: app_metadata, priority: 99}
  - {key: nickname, type: text, priority: 95}
  - {key: phone, type: phone, priority: 90, decline_cooldown: 7d}
  - {key: title, type: text, priority: 80}
  - {key: company, type: text, priority: 70}
  - {key: city, type: text, priority: 60}
  - {key: team_size, type: integer, min_logins: 3, priority: 50}
  - {key: site, type: url, contexts: [article, blog], priority: 40}
  - {key: role, type: text, after: [city, plan], priority: 30}
topics:
  - {key: weekly-digest, contexts: [article]}
  - {key: product-news}
  - {key: offers, decline_cooldown: 14d}
  - {key: tips}
`

// fieldView is a FieldDecision with keys for fields, for comparing.
type fieldView struct {
	Key               string
	Reason            Reason
	Rank              int
	Source            Source
	Attribute         string
	DeclinedAt, Until time.Time
	WaitingOn         []string
	HiddenWaits       int
}

type topicView struct {
	Key               string
	Reason            Reason
	Rank              int
	Subscription      Subscription
	DeclinedAt, Until time.Time
}

func fieldViews(x *Explanation) []fieldView {
	var out []fieldView
	for _, d := range x.Fields {
		v := fieldView{Key: d.Field.Key, Reason: d.Reason, Rank: d.Rank, Source: d.Source, Attribute: d.Attribute,
			DeclinedAt: d.DeclinedAt, Until: d.Until, WaitingOn: keys(d.WaitingOn), HiddenWaits: d.HiddenWaits}
		if len(d.WaitingOn) == 0 {
			v.WaitingOn = nil
		}
		out = append(out, v)
	}
	return out
}

func topicViews(x *Explanation) []topicView {
	var out []topicView
	for _, d := range x.Topics {
		out = append(out, topicView{Key: d.Topic.Key, Reason: d.Reason, Rank: d.Rank, Subscription: d.Subscription, DeclinedAt: d.DeclinedAt, Until: d.Until})
	}
	return out
}

var (
	hourAgo    = t0.Add(-time.Hour)
	twoHrsAgo  = t0.Add(-2 * time.Hour)
	subscribed = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
)

// adaProfile has something for every reason: a name from the identity provider, a nickname
// answered, declines of phone, plan (app_metadata) and the offers topic, a subscription, and a
// second login.
func adaProfile(app map[string]any) *store.Profile {
	declines := map[string]any{declinesKey: map[string]any{
		"fields": map[string]any{"phone": hourAgo.Format(time.RFC3339), "plan": hourAgo.Format(time.RFC3339)},
		"topics": map[string]any{"offers": twoHrsAgo.Format(time.RFC3339)},
	}}
	for k, v := range app {
		declines[k] = v
	}
	return profile(
		map[string]any{"given_name": "Ada", "logins_count": 2.0},
		map[string]any{"nickname": "ada", subscribedKey: map[string]any{
			"product-news": map[string]any{"since": subscribed.Format(time.RFC3339), "source": "article:how-to-x"},
		}},
		declines,
	)
}

func TestExplainGivesEveryDecisionItsReason(t *testing.T) {
	e := newEngine(t, explainCatalog)
	day := 24 * time.Hour
	// The topics' decisions do not depend on the caller, nor on a context other than article.
	wantTopics := []topicView{
		{Key: "weekly-digest", Reason: ReasonOutOfContext},
		{Key: "product-news", Reason: ReasonSubscribed, Subscription: Subscription{Since: subscribed, Source: "article:how-to-x"}},
		{Key: "offers", Reason: ReasonDeclined, DeclinedAt: twoHrsAgo, Until: twoHrsAgo.Add(14 * day)},
		{Key: "tips", Reason: ReasonAsked, Rank: 1},
	}
	tests := []struct {
		name       string
		app        map[string]any
		req        PromptRequest
		wantFields []fieldView
	}{
		{
			name: "end user: app_metadata fields are hidden, even declined, and not named when waited on",
			req:  PromptRequest{},
			wantFields: []fieldView{
				{Key: "first_name", Reason: ReasonKnown, Source: SourceIdentityProvider, Attribute: "given_name"},
				{Key: "plan", Reason: ReasonHidden},
				{Key: "nickname", Reason: ReasonKnown, Source: SourceUserMetadata},
				{Key: "phone", Reason: ReasonDeclined, DeclinedAt: hourAgo, Until: hourAgo.Add(7 * day)},
				{Key: "title", Reason: ReasonAsked, Rank: 1},
				{Key: "company", Reason: ReasonAsked, Rank: 2},
				{Key: "city", Reason: ReasonOverLimit, Rank: 3},
				{Key: "team_size", Reason: ReasonNotYet},
				{Key: "site", Reason: ReasonOutOfContext},
				{Key: "role", Reason: ReasonWaitingOn, WaitingOn: []string{"city"}, HiddenWaits: 1},
			},
		},
		{
			name: "service: app_metadata fields get their own reason and are named when waited on",
			req:  PromptRequest{IncludeAppMetadata: true},
			wantFields: []fieldView{
				{Key: "first_name", Reason: ReasonKnown, Source: SourceIdentityProvider, Attribute: "given_name"},
				{Key: "plan", Reason: ReasonDeclined, DeclinedAt: hourAgo, Until: hourAgo.Add(30 * day)},
				{Key: "nickname", Reason: ReasonKnown, Source: SourceUserMetadata},
				{Key: "phone", Reason: ReasonDeclined, DeclinedAt: hourAgo, Until: hourAgo.Add(7 * day)},
				{Key: "title", Reason: ReasonAsked, Rank: 1},
				{Key: "company", Reason: ReasonAsked, Rank: 2},
				{Key: "city", Reason: ReasonOverLimit, Rank: 3},
				{Key: "team_size", Reason: ReasonNotYet},
				{Key: "site", Reason: ReasonOutOfContext},
				{Key: "role", Reason: ReasonWaitingOn, WaitingOn: []string{"city", "plan"}},
			},
		},
		{
			name: "service in a context, with room: app_metadata known, context fields and topics asked",
			app:  map[string]any{"plan": "pro"},
			req:  PromptRequest{IncludeAppMetadata: true, Context: "blog", MaxFields: 5},
			wantFields: []fieldView{
				{Key: "first_name", Reason: ReasonKnown, Source: SourceIdentityProvider, Attribute: "given_name"},
				{Key: "plan", Reason: ReasonKnown, Source: SourceAppMetadata},
				{Key: "nickname", Reason: ReasonKnown, Source: SourceUserMetadata},
				{Key: "phone", Reason: ReasonDeclined, DeclinedAt: hourAgo, Until: hourAgo.Add(7 * day)},
				{Key: "title", Reason: ReasonAsked, Rank: 1},
				{Key: "company", Reason: ReasonAsked, Rank: 2},
				{Key: "city", Reason: ReasonAsked, Rank: 3},
				{Key: "team_size", Reason: ReasonNotYet},
				{Key: "site", Reason: ReasonAsked, Rank: 4},
				{Key: "role", Reason: ReasonWaitingOn, WaitingOn: []string{"city"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Explain = true
			got, err := e.Prompt(adaProfile(tt.app), tt.req)
			if err != nil {
				t.Fatalf("Prompt: %v", err)
			}
			if got.Explanation == nil {
				t.Fatal("no explanation")
			}
			if diff := cmp.Diff(tt.wantFields, fieldViews(got.Explanation)); diff != "" {
				t.Errorf("field decisions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantTopics, topicViews(got.Explanation)); diff != "" {
				t.Errorf("topic decisions (-want +got):\n%s", diff)
			}
			if got.Explanation.LoginsCount != 2 || got.Explanation.Context != tt.req.Context {
				t.Errorf("logins %d, context %q; want 2 and %q", got.Explanation.LoginsCount, got.Explanation.Context, tt.req.Context)
			}
		})
	}
}

// TestExplainPrecedence: when several reasons hold, the first in the documented order is
// given, and the prompt's progress counts stay those of the decision.
func TestExplainPrecedence(t *testing.T) {
	e := newEngine(t, explainCatalog)
	service := PromptRequest{IncludeAppMetadata: true, Explain: true}
	tests := []struct {
		name  string
		attrs map[string]any
		user  map[string]any
		app   map[string]any
		req   PromptRequest
		key   string
		want  Reason
	}{
		{"known wins over out of context", nil, map[string]any{"site": "https://a.example"}, nil, service, "site", ReasonKnown},
		{"known wins over not yet", map[string]any{"logins_count": 1.0}, map[string]any{"team_size": 3.0}, nil, service, "team_size", ReasonKnown},
		{"known wins over waiting on", nil, map[string]any{"role": "dev"}, nil, service, "role", ReasonKnown},
		{"known wins over declined", nil, map[string]any{"phone": "+33123456789"}, declined(map[string]any{"phone": hourAgo.Format(time.RFC3339)}), service, "phone", ReasonKnown},
		{"hidden wins over known for an end user", nil, nil, map[string]any{"plan": "pro"}, PromptRequest{Explain: true}, "plan", ReasonHidden},
		{"not yet wins over out of context", map[string]any{"logins_count": 1.0}, nil, nil, service, "team_size", ReasonNotYet},
		{"declined wins over over the limit", nil, nil, declined(map[string]any{"city": hourAgo.Format(time.RFC3339)}), PromptRequest{IncludeAppMetadata: true, Explain: true, MaxFields: 1}, "city", ReasonDeclined},
		{"an expired decline no longer counts", nil, nil, declined(map[string]any{"title": t0.Add(-31 * 24 * time.Hour).Format(time.RFC3339)}), PromptRequest{Explain: true, MaxFields: 50}, "title", ReasonAsked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Prompt(profile(tt.attrs, tt.user, tt.app), tt.req)
			if err != nil {
				t.Fatalf("Prompt: %v", err)
			}
			f, _ := e.Catalog().Field(tt.key)
			if r := got.Explanation.Fields[f.idx].Reason; r != tt.want {
				t.Errorf("%s: reason %d, want %d", tt.key, r, tt.want)
			}
		})
	}

	t.Run("a subscribed topic outside its context is subscribed", func(t *testing.T) {
		p := profile(nil, map[string]any{subscribedKey: map[string]any{"weekly-digest": map[string]any{}}}, nil)
		got, err := e.Prompt(p, service)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.Explanation.Topics[0]; d.Reason != ReasonSubscribed || d.Subscription != (Subscription{}) {
			t.Errorf("weekly-digest: %+v, want subscribed with no readable since or source", d)
		}
	})
	t.Run("a known field outside its context is not counted as known", func(t *testing.T) {
		got, err := e.Prompt(profile(nil, map[string]any{"site": "https://a.example"}, nil), service)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := e.Prompt(profile(nil, map[string]any{"site": "https://a.example"}, nil), PromptRequest{IncludeAppMetadata: true})
		if got.KnownCount != 0 || plain.KnownCount != 0 {
			t.Errorf("known_count %d (explained) and %d (plain), want 0: site does not apply without its context", got.KnownCount, plain.KnownCount)
		}
	})
}

// TestExplainMatchesThePrompt: explaining changes nothing in the prompt, and the decisions
// say exactly what the prompt holds: the asked fields and topics, in rank order.
func TestExplainMatchesThePrompt(t *testing.T) {
	e := newEngine(t, explainCatalog)
	profiles := map[string]*store.Profile{
		"empty":   nil,
		"ada":     adaProfile(nil),
		"ada pro": adaProfile(map[string]any{"plan": "pro"}),
		"veteran": profile(map[string]any{"logins_count": 9.0, "family_name": "L"}, map[string]any{"city": "Paris", "title": "CTO"}, nil),
	}
	var reqs []PromptRequest
	for _, ctx := range []string{"", "article", "blog", "checkout"} {
		for _, max := range []int{0, 1, 3, 50} {
			for _, app := range []bool{false, true} {
				reqs = append(reqs, PromptRequest{Context: ctx, MaxFields: max, IncludeAppMetadata: app})
			}
		}
	}
	for name, p := range profiles {
		for _, req := range reqs {
			plain, err := e.Prompt(p, req)
			if err != nil {
				t.Fatal(err)
			}
			req.Explain = true
			explained, err := e.Prompt(p, req)
			if err != nil {
				t.Fatal(err)
			}
			x := explained.Explanation
			explained.Explanation = nil
			if diff := cmp.Diff(plain, explained, cmpopts.IgnoreUnexported(Field{}, Item{})); diff != "" {
				t.Errorf("%s %+v: explaining changed the prompt (-plain +explained):\n%s", name, req, diff)
			}
			var asked []*Field
			for _, d := range x.Fields {
				if d.Reason == 0 {
					t.Errorf("%s %+v: field %s has no reason", name, req, d.Field.Key)
				}
				if d.Reason == ReasonAsked {
					asked = append(asked, d.Field)
				}
			}
			slices.SortFunc(asked, func(a, b *Field) int { return x.Fields[a.idx].Rank - x.Fields[b.idx].Rank })
			if diff := cmp.Diff(keys(plain.Fields), keys(asked)); diff != "" {
				t.Errorf("%s %+v: asked fields by rank (-prompt +explanation):\n%s", name, req, diff)
			}
			var offered []*Topic
			for _, d := range x.Topics {
				if d.Reason == ReasonAsked {
					offered = append(offered, d.Topic)
				}
			}
			if diff := cmp.Diff(topicKeys(plain.Topics), topicKeys(offered)); diff != "" {
				t.Errorf("%s %+v: offered topics (-prompt +explanation):\n%s", name, req, diff)
			}
		}
	}
}

func TestExplainSentences(t *testing.T) {
	e := newEngine(t, explainCatalog)
	got, err := e.Prompt(adaProfile(nil), PromptRequest{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	x := got.Explanation
	var fields, topics []string
	for i := range x.Fields {
		fields = append(fields, x.FieldSentence(&x.Fields[i]))
	}
	for i := range x.Topics {
		topics = append(topics, x.TopicSentence(&x.Topics[i]))
	}
	wantFields := []string{
		"Not asked: already known from the root attribute given_name, supplied by the identity provider.",
		"Not asked: only services answer this field (app_metadata).",
		"Not asked: already known from user_metadata.nickname.",
		"Not asked: the user declined it on 2026-11-25T09:00:00Z; asked again from 2026-12-02T09:00:00Z.",
		"Asked: position 1 in the prompt (priority 80).",
		"Asked: position 2 in the prompt (priority 70).",
		"Not asked now: position 3 among the fields that could be asked, but the prompt holds at most 2 (max_fields).",
		"Not asked yet: needs 3 logins (min_logins), the user has 2.",
		`Not asked: asked only in the contexts "article", "blog"; this prompt names no context.`,
		"Not asked yet: waits until city and 1 field only services answer are known.",
	}
	if diff := cmp.Diff(wantFields, fields); diff != "" {
		t.Errorf("field sentences (-want +got):\n%s", diff)
	}
	wantTopics := []string{
		`Not offered: offered only in the context "article"; this prompt names no context.`,
		"Not offered: already subscribed since 2026-11-01T09:00:00Z, from article:how-to-x.",
		"Not offered: the user declined it on 2026-11-25T08:00:00Z; offered again from 2026-12-09T08:00:00Z.",
		"Offered: position 1 in the prompt's topics.",
	}
	if diff := cmp.Diff(wantTopics, topics); diff != "" {
		t.Errorf("topic sentences (-want +got):\n%s", diff)
	}

	t.Run("variants", func(t *testing.T) {
		city, _ := e.Catalog().Field("city")
		plan, _ := e.Catalog().Field("plan")
		site, _ := e.Catalog().Field("site")
		x := &Explanation{Context: "checkout", LoginsCount: 0}
		for _, tt := range []struct {
			d    FieldDecision
			want string
		}{
			{FieldDecision{Field: site, Reason: ReasonOutOfContext}, `Not asked: asked only in the contexts "article", "blog"; this prompt is for "checkout".`},
			{FieldDecision{Field: site, Reason: ReasonWaitingOn, WaitingOn: []*Field{city}}, "Not asked yet: waits until city is known."},
			{FieldDecision{Field: site, Reason: ReasonWaitingOn, WaitingOn: []*Field{city, plan, site}}, "Not asked yet: waits until city, plan and site are known."},
			{FieldDecision{Field: site, Reason: ReasonWaitingOn, HiddenWaits: 1}, "Not asked yet: waits until 1 field only services answer is known."},
			{FieldDecision{Field: site, Reason: ReasonWaitingOn, HiddenWaits: 2}, "Not asked yet: waits until 2 fields only services answer are known."},
			{FieldDecision{Field: plan, Reason: ReasonKnown, Source: SourceAppMetadata}, "Not asked: already known from app_metadata.plan."},
		} {
			if got := x.FieldSentence(&tt.d); got != tt.want {
				t.Errorf("sentence = %q, want %q", got, tt.want)
			}
		}
		tips, _ := e.Catalog().Topic("tips")
		for _, tt := range []struct {
			sub  Subscription
			want string
		}{
			{Subscription{}, "Not offered: already subscribed."},
			{Subscription{Source: "footer"}, "Not offered: already subscribed, from footer."},
			{Subscription{Since: subscribed}, "Not offered: already subscribed since 2026-11-01T09:00:00Z."},
		} {
			if got := x.TopicSentence(&TopicDecision{Topic: tips, Reason: ReasonSubscribed, Subscription: tt.sub}); got != tt.want {
				t.Errorf("sentence = %q, want %q", got, tt.want)
			}
		}
	})
}

func TestNoExplanationUnlessAsked(t *testing.T) {
	got, err := newEngine(t, explainCatalog).Prompt(adaProfile(nil), PromptRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Explanation != nil {
		t.Errorf("explanation %+v without Explain", got.Explanation)
	}
}
