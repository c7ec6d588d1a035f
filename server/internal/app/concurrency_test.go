package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/config"
)

// TestConcurrentSubscriptionsAllLand: 50 concurrent MarkSubscribed calls for distinct topics
// on one user all land, over both transports.
func TestConcurrentSubscriptionsAllLand(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			c := tr.client(ts, "")
			user := "auth0|concurrent-" + tr.name
			const n = 50
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.MarkSubscribed(context.Background(), &profilev1.MarkSubscribedRequest{UserId: user, Topic: fmt.Sprintf("topic-%02d", i), Subscribed: true, Source: "test"})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("MarkSubscribed: %v", err)
				}
			}
			prof, err := c.GetProfile(context.Background(), &profilev1.GetProfileRequest{UserId: user})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(prof.GetSubscriptions()); got != n {
				t.Errorf("subscriptions after %d concurrent calls = %d, want all %d", n, got, n)
			}
		})
	}
}

// TestConcurrentSubmissionsAllLand: 50 concurrent SubmitFields for distinct fields of one user
// all land.
func TestConcurrentSubmissionsAllLand(t *testing.T) {
	const n = 50
	var yaml strings.Builder
	yaml.WriteString("fields:\n")
	for i := range n {
		fmt.Fprintf(&yaml, "  - {key: f%02d, label: Field %d, type: text}\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "fifty.yaml")
	if err := os.WriteFile(path, []byte(yaml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{cfg: func(c *config.Config) { c.CatalogPath = path }})
			c := tr.client(ts, "")
			user := "auth0|fifty"
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{fmt.Sprintf("f%02d", i): fmt.Sprint("value ", i)})})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("SubmitFields: %v", err)
				}
			}
			p, err := ts.store.Get(context.Background(), user)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				key := fmt.Sprintf("f%02d", i)
				if got, want := p.UserMetadata[key], fmt.Sprint("value ", i); got != want {
					t.Errorf("user_metadata.%s = %v, want %q", key, got, want)
				}
			}
		})
	}
}

// TestValuesSurviveARestart: what was written is there after the server stops and starts
// again on the same folder.
func TestValuesSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	user := "auth0|durable"
	ts := startServer(t, serverOptions{dir: dir})
	c := profilev1.NewProfileServiceClient(ts.conn)
	if _, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"title": "Pilot"})}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.MarkSubscribed(context.Background(), &profilev1.MarkSubscribedRequest{UserId: user, Topic: "weekly-digest", Subscribed: true}); err != nil {
		t.Fatal(err)
	}
	ts.stop()
	ts.embedded.Close()

	ts2 := startServer(t, serverOptions{dir: dir})
	prof, err := profilev1.NewProfileServiceClient(ts2.conn).GetProfile(context.Background(), &profilev1.GetProfileRequest{UserId: user})
	if err != nil {
		t.Fatal(err)
	}
	if len(prof.GetValues()) != 1 || prof.GetValues()[0].GetValue().GetStringValue() != "Pilot" || len(prof.GetSubscriptions()) != 1 {
		t.Errorf("after restart: values %v, subscriptions %v; want title Pilot and weekly-digest", prof.GetValues(), prof.GetSubscriptions())
	}
}

// TestClearingAndNoOpSubmissions: null removes a value; a submission that changes nothing
// reports no change.
func TestClearingAndNoOpSubmissions(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			c := tr.client(ts, "")
			user := "auth0|clear"
			ctx := context.Background()
			if _, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"title": "Pilot", "company": "Air"})}); err != nil {
				t.Fatal(err)
			}
			resp, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"title": "Pilot"})})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetChangedFields()) != 0 {
				t.Errorf("resubmitting the same value changed %v, want nothing", resp.GetChangedFields())
			}
			resp, err = c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"title": nil})})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetChangedFields()) != 1 {
				t.Errorf("clearing changed %v, want [title]", resp.GetChangedFields())
			}
			p, _ := ts.store.Get(ctx, user)
			if _, ok := p.UserMetadata["title"]; ok || p.UserMetadata["company"] != "Air" {
				t.Errorf("user_metadata after clearing title = %v, want only company", p.UserMetadata)
			}
		})
	}
}

// TestDeclinedFieldIsNotAskedAgain: a declined field leaves the prompt.
func TestDeclinedFieldIsNotAskedAgain(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := profilev1.NewProfileServiceClient(ts.conn)
	user := "auth0|decliner"
	ts.seed(t, user, map[string]any{"logins_count": 5, "given_name": "A", "family_name": "B"})
	resp, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: user, DeclinedFields: []string{"title"}})
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := promptKeys(resp.GetPrompt())
	if len(fields) != 1 || fields[0] != "company" {
		t.Errorf("prompt after declining title = %v, want [company]", fields)
	}
	p, _ := ts.store.Get(context.Background(), user)
	if _, ok := p.AppMetadata["profiling_declines"]; !ok {
		t.Errorf("the decline is not recorded in app_metadata: %v", p.AppMetadata)
	}
}

// TestHealthAndReflection: probes and operators' tools work.
func TestHealthAndReadiness(t *testing.T) {
	ts := startServer(t, serverOptions{})
	resp, err := healthpb.NewHealthClient(ts.conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: "profile.v1.ProfileService"})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("grpc health = %v, %v; want SERVING", resp.GetStatus(), err)
	}
	for _, path := range []string{"/", "/healthz", "/readyz", "/openapi.json", "/metrics"} {
		r, err := httpGet(ts.httpURL + path)
		if err != nil || r != 200 {
			t.Errorf("GET %s = %d, %v; want 200", path, r, err)
		}
	}
	if r, _ := httpGet(ts.httpURL + "/v1/nothing-here"); r != 404 {
		t.Errorf("GET an unknown route = %d, want 404", r)
	}
	if _, err := profilev1.NewProfileServiceClient(ts.conn).GetMissingFields(context.Background(), &profilev1.GetMissingFieldsRequest{UserId: "auth0|x", Context: strings.Repeat("c", 500)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("over-long context: code %v, want InvalidArgument", status.Code(err))
	}
}
