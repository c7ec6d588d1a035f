package api

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/engine"
)

// BenchmarkGetMissingFieldsHandler measures the handler alone, on a store answering from memory:
// the service's own share of a cached read, without gRPC.
func BenchmarkGetMissingFieldsHandler(b *testing.B) {
	benchmarkGetMissingFields(b, &profilev1.GetMissingFieldsRequest{UserId: "auth0|bench"})
}

// BenchmarkGetMissingFieldsHandlerExplain is the same call with explain: the decisions, their
// details and sentences, and the messages that carry them.
func BenchmarkGetMissingFieldsHandlerExplain(b *testing.B) {
	benchmarkGetMissingFields(b, &profilev1.GetMissingFieldsRequest{UserId: "auth0|bench", Explain: true})
}

func benchmarkGetMissingFields(b *testing.B, req *profilev1.GetMissingFieldsRequest) {
	svc := New(engine.New(engine.DefaultCatalog(), nil), memStore{}, nil, false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.GetMissingFields(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubmitFieldsHandler measures the handler alone on a store answering from memory: the
// checks, the engine's patch and the next prompt, without gRPC or a disk.
func BenchmarkSubmitFieldsHandler(b *testing.B) {
	svc := New(engine.New(engine.DefaultCatalog(), nil), memStore{}, nil, false)
	values, _ := structpb.NewStruct(map[string]any{"title": "Engineer", "company": "Analytical Engines"})
	req := &profilev1.SubmitFieldsRequest{UserId: "auth0|bench", Values: values}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.SubmitFields(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetLoginPromptHandler measures the Action's call without gRPC: the prompt from the
// supplied profile of a user at her second login, and the ticket's claims.
func BenchmarkGetLoginPromptHandler(b *testing.B) {
	svc := New(engine.New(engine.DefaultCatalog(), nil), memStore{}, nil, false, WithLoginStep())
	attrs, _ := structpb.NewStruct(map[string]any{"given_name": "Ada", "email": "ada@example.com", "name": "Ada"})
	user, _ := structpb.NewStruct(map[string]any{"theme": "dark"})
	two := int32(2)
	req := &profilev1.GetLoginPromptRequest{UserId: "google-oauth2|ada", Locale: "fr", Profile: &profilev1.LoginProfile{Attributes: attrs, UserMetadata: user, LoginsCount: &two}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := svc.GetLoginPrompt(ctx, req)
		if err != nil || !resp.GetDue() {
			b.Fatal(resp, err)
		}
	}
}
