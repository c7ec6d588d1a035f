package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/google/go-cmp/cmp"
)

func TestSubscribe(t *testing.T) {
	e := New(DefaultCatalog(), clock(t0))
	first := map[string]any{"since": "2026-01-01T00:00:00Z", "source": "article:first"}
	subscribed := map[string]any{"subscribed": map[string]any{"weekly-digest": first}}
	both := map[string]any{"subscribed": map[string]any{"weekly-digest": first, "offers": first}}
	tests := []struct {
		name string
		user map[string]any
		app  map[string]any
		c    SubscriptionChange
		want store.Patch
	}{
		{"subscribing records since and source", nil, nil,
			SubscriptionChange{Topic: "weekly-digest", Subscribe: true, Source: "  article:how-to-x "},
			store.Patch{UserMetadata: map[string]any{"subscribed": map[string]any{
				"weekly-digest": map[string]any{"since": "2026-11-25T10:00:00Z", "source": "article:how-to-x"},
			}}}},
		{"subscribe is idempotent and keeps the first since", subscribed, nil,
			SubscriptionChange{Topic: "weekly-digest", Subscribe: true, Source: "article:second"},
			store.Patch{}},
		{"subscribing keeps the other topics", subscribed, nil,
			SubscriptionChange{Topic: "offers", Subscribe: true},
			store.Patch{UserMetadata: map[string]any{"subscribed": map[string]any{
				"weekly-digest": first,
				"offers":        map[string]any{"since": "2026-11-25T10:00:00Z", "source": ""},
			}}}},
		{"unsubscribe removes the topic", both, nil,
			SubscriptionChange{Topic: "offers"},
			store.Patch{UserMetadata: map[string]any{"subscribed": map[string]any{"weekly-digest": first}}}},
		{"unsubscribing the last topic deletes subscribed", subscribed, nil,
			SubscriptionChange{Topic: "weekly-digest"},
			store.Patch{UserMetadata: map[string]any{"subscribed": nil}}},
		{"unsubscribing a topic not subscribed writes nothing", subscribed, nil,
			SubscriptionChange{Topic: "offers"}, store.Patch{}},
		{"subscribing lifts a decline of the topic", nil,
			map[string]any{declinesKey: map[string]any{"topics": map[string]any{"weekly-digest": t0.Add(-time.Hour).Format(time.RFC3339)}}},
			SubscriptionChange{Topic: "weekly-digest", Subscribe: true},
			store.Patch{
				UserMetadata: map[string]any{"subscribed": map[string]any{
					"weekly-digest": map[string]any{"since": "2026-11-25T10:00:00Z", "source": ""},
				}},
				AppMetadata: map[string]any{declinesKey: nil},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Subscribe(profile(nil, tt.user, tt.app), tt.c)
			if err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("patch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubscribeViolations(t *testing.T) {
	open := New(DefaultCatalog(), clock(t0))
	restricted := newEngine(t, `
restrict_topics: true
topics: [{key: weekly-digest}]
`)
	topicMsg := "must be 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit"
	tests := []struct {
		name string
		e    *Engine
		c    SubscriptionChange
		want []Violation
	}{
		{"empty topic", open, SubscriptionChange{Subscribe: true}, []Violation{{"topic", topicMsg}}},
		{"topic with a dot", open, SubscriptionChange{Topic: "a.b", Subscribe: true}, []Violation{{"topic", topicMsg}}},
		{"topic with a dollar", open, SubscriptionChange{Topic: "$a", Subscribe: true}, []Violation{{"topic", topicMsg}}},
		{"topic too long", open, SubscriptionChange{Topic: strings.Repeat("a", 65), Subscribe: true}, []Violation{{"topic", topicMsg}}},
		{"restricted topics accept only declared ones", restricted, SubscriptionChange{Topic: "offers", Subscribe: true},
			[]Violation{{"topic", "is not a topic of the catalog"}}},
		{"source with a NUL", open, SubscriptionChange{Topic: "news", Source: "article:\x00x"},
			[]Violation{{"source", "must not contain control or bidirectional formatting characters (U+0000 at character 9)"}}},
		{"source with a newline", open, SubscriptionChange{Topic: "news", Source: "article:\nx"},
			[]Violation{{"source", "must not contain control or bidirectional formatting characters (U+000A at character 9)"}}},
		{"source with a right-to-left override", open, SubscriptionChange{Topic: "news", Source: "article:\u202ex"},
			[]Violation{{"source", "must not contain control or bidirectional formatting characters (U+202E at character 9)"}}},
		{"source too long, with a bad topic", open, SubscriptionChange{Topic: "A", Source: strings.Repeat("s", 201)},
			[]Violation{{"source", "must be at most 200 characters long"}, {"topic", topicMsg}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.e.Subscribe(profile(nil, nil, nil), tt.c)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Subscribe error = %v, want *ValidationError", err)
			}
			if diff := cmp.Diff(tt.want, ve.Violations); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := restricted.Subscribe(profile(nil, nil, nil), SubscriptionChange{Topic: "weekly-digest", Subscribe: true}); err != nil {
		t.Errorf("restricted engine refused a declared topic: %v", err)
	}
}

func TestSubscriptions(t *testing.T) {
	e := New(DefaultCatalog(), clock(t0))
	p := profile(nil, map[string]any{"subscribed": map[string]any{
		"weekly-digest": map[string]any{"since": "2026-01-01T00:00:00Z", "source": "article:x"},
		"broken":        "yes",
	}}, nil)
	want := map[string]Subscription{
		"weekly-digest": {Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "article:x"},
		"broken":        {},
	}
	if diff := cmp.Diff(want, e.Subscriptions(p)); diff != "" {
		t.Errorf("subscriptions (-want +got):\n%s", diff)
	}
}

// TestSubscriptionsStayUnderTheSizeLimit: subscriptions, the key that grows with use, are
// refused once they would reach 16 KiB as JSON; unsubscribing still works.
func TestSubscriptionsStayUnderTheSizeLimit(t *testing.T) {
	e := New(DefaultCatalog(), clock(t0))
	subs := map[string]any{}
	// As many subscriptions as fit with room for less than one more (each takes 256 bytes).
	for i := 0; jsonSize(map[string]any{subscribedKey: subs}) < MaxMetadataBytes-256; i++ {
		subs[fmt.Sprintf("topic-%02d", i)] = map[string]any{"since": "2026-01-01T00:00:00Z", "source": strings.Repeat("s", 200)}
	}
	if n := jsonSize(map[string]any{subscribedKey: subs}); n >= MaxMetadataBytes {
		t.Fatalf("subscriptions of %d bytes, want under %d for the test to mean anything", n, MaxMetadataBytes)
	}
	p := profile(nil, map[string]any{subscribedKey: subs}, nil)
	_, err := e.Subscribe(p, SubscriptionChange{Topic: "one-more", Subscribe: true, Source: strings.Repeat("s", 200)})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Violations) != 1 || ve.Violations[0].Field != "topic" ||
		!strings.Contains(ve.Violations[0].Description, "must stay under 16384") {
		t.Errorf("subscribing past 16 KiB: got %v, want a size violation on topic", err)
	}
	if _, err := e.Subscribe(p, SubscriptionChange{Topic: "topic-00"}); err != nil {
		t.Errorf("unsubscribing over the limit: %v", err)
	}
}
