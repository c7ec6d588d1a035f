package telemetry

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/testlog"
)

var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestRequestIDPropagation(t *testing.T) {
	tests := []struct {
		name     string
		incoming []string // x-request-id values sent by the caller; nil sends none
		want     string   // the id expected everywhere; "" means a generated one
	}{
		{"caller's id is kept", []string{"req-42.A_b"}, "req-42.A_b"},
		{"first of several ids is kept", []string{"first", "second"}, "first"},
		{"128 characters are kept", []string{strings.Repeat("a", 128)}, strings.Repeat("a", 128)},
		{"no id gets a generated one", nil, ""},
		{"empty id is replaced", []string{""}, ""},
		{"over 128 characters is replaced", []string{strings.Repeat("a", 129)}, ""},
		{"id with a space is replaced", []string{"two words"}, ""},
		{"id with markup is replaced", []string{"<script>"}, ""},
		{"id with a quote is replaced", []string{`a","level":"ERROR`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &testHealth{seenIDs: make(chan string, 1)}
			buf, client := loggedServer(t, svc)
			var kv []string
			for _, id := range tt.incoming {
				kv = append(kv, RequestIDKey, id)
			}
			header, err := check(t, client, "", kv...)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			handlerID := <-svc.seenIDs
			lines := testlog.Lines(t, buf.String())
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1", len(lines))
			}
			got := struct{ Handler, Header, Log string }{handlerID, strings.Join(header.Get(RequestIDKey), ","), lines[0]["request_id"].(string)}
			want := tt.want
			if want == "" {
				if !generatedID.MatchString(handlerID) {
					t.Fatalf("handler's id: got %q, want 16 hex characters", handlerID)
				}
				want = handlerID
			}
			if diff := cmp.Diff(struct{ Handler, Header, Log string }{want, want, want}, got); diff != "" {
				t.Errorf("request id in handler, response header and log (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGeneratedRequestIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		if !generatedID.MatchString(id) {
			t.Fatalf("newRequestID: got %q, want 16 hex characters", id)
		}
		if seen[id] {
			t.Fatalf("newRequestID repeated %q within 1000 ids", id)
		}
		seen[id] = true
	}
}

func TestRequestIDIsEmptyOutsideAnRPC(t *testing.T) {
	if got := RequestID(context.Background()); got != "" {
		t.Errorf("RequestID(background): got %q, want \"\"", got)
	}
}

func TestRequestIDSurvivesDerivedContexts(t *testing.T) {
	type otherKey struct{}
	parent := context.WithValue(context.Background(), otherKey{}, "kept")
	ctx, cancel := context.WithCancel(withRequestID(parent, "req-1"))
	defer cancel()
	ctx = context.WithValue(ctx, otherKey{}, "inner")
	got := []any{RequestID(ctx), ctx.Value(otherKey{}), withRequestID(parent, "req-2").Value(otherKey{})}
	want := []any{"req-1", "inner", "kept"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values through derived contexts (-want +got):\n%s", diff)
	}
	cancel()
	if err := ctx.Err(); err == nil {
		t.Errorf("derived context after cancel: got nil error, want Canceled")
	}
}
