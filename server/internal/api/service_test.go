package api

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// memStore is the smallest store.Store: enough to reach the handlers' authorisation.
type memStore struct{}

func (memStore) Get(_ context.Context, id string) (*store.Profile, error) {
	return &store.Profile{UserID: id}, nil
}

func (memStore) Update(_ context.Context, id string, fn store.UpdateFunc) (*store.Profile, error) {
	p := &store.Profile{UserID: id}
	patch, err := fn(p)
	if err != nil {
		return nil, err
	}
	return store.Apply(p, patch), nil
}

func (memStore) Close() error { return nil }

// TestCallsWithoutPrincipalFailClosedWhenAuthIsOn: with caller auth on, a call that reaches a
// handler without a verified principal is refused, never trusted.
func TestCallsWithoutPrincipalFailClosedWhenAuthIsOn(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name         string
		authRequired bool
		ctx          context.Context
		want         codes.Code
	}{
		{"auth on, no principal", true, ctx, codes.Unauthenticated},
		{"auth on, end user on own profile", true, auth.NewContext(ctx, &auth.Principal{Subject: "auth0|a"}), codes.OK},
		{"auth off, trusted caller", false, ctx, codes.OK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := New(engine.New(engine.DefaultCatalog(), nil), memStore{}, nil, tt.authRequired)
			_, err := svc.GetMissingFields(tt.ctx, &profilev1.GetMissingFieldsRequest{UserId: "auth0|a"})
			if got := status.Code(err); got != tt.want {
				t.Errorf("GetMissingFields: %v (%v), want %v", got, err, tt.want)
			}
			_, err = svc.SubmitFields(tt.ctx, &profilev1.SubmitFieldsRequest{UserId: "auth0|a"})
			if got := status.Code(err); got != tt.want {
				t.Errorf("SubmitFields: %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// countingStore counts the calls that reach it.
type countingStore struct {
	memStore
	calls int
}

func (c *countingStore) Get(ctx context.Context, id string) (*store.Profile, error) {
	c.calls++
	return c.memStore.Get(ctx, id)
}

func (c *countingStore) Update(ctx context.Context, id string, fn store.UpdateFunc) (*store.Profile, error) {
	c.calls++
	return c.memStore.Update(ctx, id, fn)
}

// TestRefusedSubmissionsNeverReachTheStore: invalid values and an end user's write to a
// service-only field are refused before any store call (on Auth0, no request is spent).
func TestRefusedSubmissionsNeverReachTheStore(t *testing.T) {
	catalog, err := engine.ParseCatalog("test.yaml", []byte("fields:\n  - {key: title, type: text}\n  - {key: plan, type: text, store: app_metadata}\n"))
	if err != nil {
		t.Fatal(err)
	}
	user := auth.NewContext(context.Background(), &auth.Principal{Subject: "auth0|a"})
	for _, tt := range []struct {
		name   string
		values map[string]any
		want   codes.Code
	}{
		{"invalid value", map[string]any{"title": 42.0}, codes.InvalidArgument},
		{"service-only field", map[string]any{"plan": "pro"}, codes.PermissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &countingStore{}
			svc := New(engine.New(catalog, nil), st, nil, true)
			values, _ := structpb.NewStruct(tt.values)
			_, err := svc.SubmitFields(user, &profilev1.SubmitFieldsRequest{UserId: "me", Values: values})
			if got := status.Code(err); got != tt.want || st.calls != 0 {
				t.Errorf("code %v with %d store calls, want %v with none", got, st.calls, tt.want)
			}
		})
	}
}
