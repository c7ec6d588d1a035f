package rest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// recordingService answers GetMissingFields and GetProfile, recording what it was given.
type recordingService struct {
	profilev1.UnimplementedProfileServiceServer
	prompt *profilev1.Prompt
	userID string
	auth   []string
}

func (s *recordingService) GetMissingFields(ctx context.Context, in *profilev1.GetMissingFieldsRequest) (*profilev1.GetMissingFieldsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.userID, s.auth = in.GetUserId(), md.Get("authorization")
	if err := grpc.SetHeader(ctx, metadata.Pairs("x-header", "h")); err != nil {
		return nil, err
	}
	if err := grpc.SetTrailer(ctx, metadata.Pairs("x-trailer", "t")); err != nil {
		return nil, err
	}
	return &profilev1.GetMissingFieldsResponse{Prompt: s.prompt}, nil
}

func (s *recordingService) GetProfile(_ context.Context, in *profilev1.GetProfileRequest) (*profilev1.GetProfileResponse, error) {
	s.userID = in.GetUserId()
	return &profilev1.GetProfileResponse{}, nil
}

// TestInProcessConnRunsTheChain: a call through the in-process connection runs the service's
// handler behind the chain, with the caller's request (not a copy), its metadata as incoming
// metadata, and gives back the service's headers, trailers and response values (not copies).
func TestInProcessConnRunsTheChain(t *testing.T) {
	svc := &recordingService{prompt: &profilev1.Prompt{Fields: []*profilev1.FieldSpec{{Key: "title"}}}}
	var chained []string
	var chainedReq any
	chain := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		chained, chainedReq = append(chained, info.FullMethod), req
		return h(ctx, req)
	}
	client := profilev1.NewProfileServiceClient(newInProcessConn(&profilev1.ProfileService_ServiceDesc, svc, chain))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer t")
	req := &profilev1.GetMissingFieldsRequest{UserId: "auth0|1"}
	var header, trailer metadata.MD
	resp, err := client.GetMissingFields(ctx, req, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatal(err)
	}
	if len(chained) != 1 || chained[0] != profilev1.ProfileService_GetMissingFields_FullMethodName || chainedReq != req {
		t.Errorf("chain saw %v with %p, want [%s] with the request %p", chained, chainedReq, profilev1.ProfileService_GetMissingFields_FullMethodName, req)
	}
	if svc.userID != "auth0|1" || len(svc.auth) != 1 || svc.auth[0] != "Bearer t" {
		t.Errorf("service saw user %q, authorization %v; want auth0|1, [Bearer t]", svc.userID, svc.auth)
	}
	if resp.GetPrompt() != svc.prompt {
		t.Errorf("the reply holds a copy of the service's prompt, want the prompt itself")
	}
	if h, tr := header.Get("x-header"), trailer.Get("x-trailer"); len(h) != 1 || h[0] != "h" || len(tr) != 1 || tr[0] != "t" {
		t.Errorf("header %v, trailer %v; want x-header: h and x-trailer: t", header, trailer)
	}
}

func TestInProcessConnRefusesUnknownMethods(t *testing.T) {
	conn := newInProcessConn(&profilev1.ProfileService_ServiceDesc, &recordingService{}, nil)
	err := conn.Invoke(context.Background(), "/profile.v1.ProfileService/NoSuchMethod", &profilev1.GetProfileRequest{}, &profilev1.GetProfileResponse{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("Invoke of an unknown method: %v, want UNIMPLEMENTED", err)
	}
}

// TestGatewayRestoresSlashesInPathParameters: a user id holding "/" travels as %2F in one path
// segment and reaches the service with its "/".
func TestGatewayRestoresSlashesInPathParameters(t *testing.T) {
	svc := &recordingService{}
	gw, err := newGateway(context.Background(), Config{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/users/samlp%7Cacme%2Fconn%7Ca%40b.c/profile", nil))
	if rec.Code != http.StatusOK || svc.userID != "samlp|acme/conn|a@b.c" {
		t.Errorf("got %d, user id %q; want 200, samlp|acme/conn|a@b.c", rec.Code, svc.userID)
	}
}

func TestUnslashRestoresSlashesOnly(t *testing.T) {
	for in, want := range map[string]string{
		"auth0|1":                       "auth0|1",
		"samlp|acme%2Fconn|a@b.c":       "samlp|acme/conn|a@b.c",
		"a%2fb":                         "a/b",
		"literal%20space-stays-encoded": "literal%20space-stays-encoded",
	} {
		if got := unslash(in); got != want {
			t.Errorf("unslash(%q) = %q, want %q", in, got, want)
		}
	}
}
