package app

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/store/embedded"
)

// TestControlCharactersAreRefused: NUL, newlines and bidirectional overrides are refused in text
// values, sources and user ids, as are blank user ids, over both transports; nothing is stored
// (issue 12: they used to be stored, and a service could write a profile under "   ").
func TestControlCharactersAreRefused(t *testing.T) {
	ts := startServer(t, serverOptions{})
	const user = "auth0|text"
	tests := []struct {
		name  string
		call  func(ctx context.Context, c profilev1.ProfileServiceClient) error
		field string
	}{
		{"NUL in a text value", submitValue(user, "first_name", "Ada\x00"), "values.first_name"},
		{"newline in a text value", submitValue(user, "first_name", "Ada\nLovelace"), "values.first_name"},
		{"right-to-left override in a text value", submitValue(user, "first_name", "\u202eadA"), "values.first_name"},
		{"isolate in a text value", submitValue(user, "first_name", "Ada\u2066x\u2069"), "values.first_name"},
		{"C1 control in a text value", submitValue(user, "first_name", "Ad\u0085a"), "values.first_name"},
		{"NUL in a source", subscribe(user, "article:\x00"), "source"},
		{"newline in a source", subscribe(user, "article:\nSet-Cookie: x"), "source"},
		{"right-to-left override in a source", subscribe(user, "article:\u202ex"), "source"},
		{"blank user id", submitValue("   ", "first_name", "Ada"), "user_id"},
		{"user id with a surrounding space", submitValue(" auth0|1", "first_name", "Ada"), "user_id"},
		{"user id with a newline", submitValue("auth0|1\nx", "first_name", "Ada"), "user_id"},
		{"user id with an override", submitValue("auth0|\u202e1", "first_name", "Ada"), "user_id"},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := tr.client(ts, "")
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tt.call(context.Background(), c)
					if status.Code(err) != codes.InvalidArgument {
						t.Fatalf("got %v, want InvalidArgument", err)
					}
					if diff := cmp.Diff([]string{tt.field}, violations(t, err)); diff != "" {
						t.Errorf("violations (-want +got):\n%s", diff)
					}
				})
			}
			p, err := c.GetProfile(context.Background(), &profilev1.GetProfileRequest{UserId: user})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.GetValues()) != 0 || len(p.GetSubscriptions()) != 0 {
				t.Errorf("profile after refused writes: %v, want nothing stored", p)
			}
		})
	}
}

func submitValue(user, key, value string) func(context.Context, profilev1.ProfileServiceClient) error {
	return func(ctx context.Context, c profilev1.ProfileServiceClient) error {
		_, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStructNoT(map[string]any{key: value})})
		return err
	}
}

func subscribe(user, source string) func(context.Context, profilev1.ProfileServiceClient) error {
	return func(ctx context.Context, c profilev1.ProfileServiceClient) error {
		_, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: user, Topic: "weekly-digest", Subscribed: true, Source: source})
		return err
	}
}

// TestOtherAppsMetadataDoesNotBlockWrites: a user whose metadata holds 25 KB written by
// another application can still answer and subscribe; only this service's keys are bounded
// (issue 12: every write was refused once the merged metadata passed 16 KiB).
func TestOtherAppsMetadataDoesNotBlockWrites(t *testing.T) {
	ts := startServer(t, serverOptions{})
	const user = "auth0|crowded"
	// 25 KB in each object: over the 16 KiB bound, under the embedded store's 64 KiB record.
	big := map[string]any{"other_app": strings.Repeat("x", 25_000)}
	if _, err := ts.embedded.ImportUsers(context.Background(), []embedded.UserAttributes{{UserID: user, UserMetadata: big, AppMetadata: big}}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := tr.client(ts, "")
			if _, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"first_name": "Ada " + tr.name}), DeclinedFields: []string{"last_name"}}); err != nil {
				t.Errorf("SubmitFields: %v", err)
			}
			if _, err := c.MarkSubscribed(context.Background(), &profilev1.MarkSubscribedRequest{UserId: user, Topic: "topic-" + tr.name, Subscribed: true}); err != nil {
				t.Errorf("MarkSubscribed: %v", err)
			}
		})
	}
	p, err := ts.store.Get(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserMetadata["other_app"] != big["other_app"] || p.AppMetadata["other_app"] != big["other_app"] {
		t.Error("the other application's metadata was not kept")
	}
}

// TestLargeValuesUnderTheServicesKeysDoNotBlockOtherWrites: a large value another application
// left under one of the catalog's keys, or in "subscribed", does not block answers to other
// fields; only the keys a write sets are bounded (issue 12 review: a 17 KB "company" refused
// every answer and subscription).
func TestLargeValuesUnderTheServicesKeysDoNotBlockOtherWrites(t *testing.T) {
	ts := startServer(t, serverOptions{})
	const user = "auth0|shared-keys"
	big := strings.Repeat("x", 17_000)
	if _, err := ts.embedded.ImportUsers(context.Background(), []embedded.UserAttributes{{UserID: user,
		UserMetadata: map[string]any{"company": big, "subscribed": map[string]any{"their-list": big}}}}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c := tr.client(ts, "")
			if _, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"first_name": "Ada " + tr.name}), DeclinedFields: []string{"title"}}); err != nil {
				t.Errorf("SubmitFields: %v", err)
			}
		})
	}
}
