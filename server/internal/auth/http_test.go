package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/google/go-cmp/cmp"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestGatewayErrorHandlerAddsBearerChallengeOn401(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		authorization string
		wantStatus    int
		wantChallenge string
	}{
		{"no credentials", status.Error(codes.Unauthenticated, "x"), "", http.StatusUnauthorized, `Bearer realm="api"`},
		{"rejected token", status.Error(codes.Unauthenticated, "x"), "Bearer abc", http.StatusUnauthorized, `Bearer realm="api", error="invalid_token"`},
		{"permission denied", status.Error(codes.PermissionDenied, "x"), "Bearer abc", http.StatusForbidden, ""},
		{"other error", errors.New("boom"), "", http.StatusInternalServerError, ""},
	}
	handler := auth.GatewayErrorHandler("api", nil)
	mux := runtime.NewServeMux()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v1/users/me/profile", nil)
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			w := httptest.NewRecorder()
			handler(context.Background(), mux, &runtime.JSONPb{}, w, r, tt.err)
			if w.Code != tt.wantStatus {
				t.Errorf("status: got %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate: got %q, want %q", got, tt.wantChallenge)
			}
		})
	}
}

func TestChallengeEscapesRealm(t *testing.T) {
	if got, want := auth.Challenge(`a"b\c`, false), `Bearer realm="a\"b\\c"`; got != want {
		t.Errorf("Challenge: got %q, want %q", got, want)
	}
}

func TestCORS(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	allowed := []string{"https://app.example.com", " https://admin.example.com/ "}

	type want struct {
		AllowOrigin  string
		AllowHeaders string
		AllowMethods string
	}
	tests := []struct {
		name    string
		origins []string
		method  string
		origin  string
		want    want
	}{
		{"preflight from an allowed origin", allowed, http.MethodOptions, "https://app.example.com",
			want{"https://app.example.com", "authorization, content-type", "POST"}},
		{"preflight from a configured origin with a trailing slash", allowed, http.MethodOptions, "https://admin.example.com",
			want{"https://admin.example.com", "authorization, content-type", "POST"}},
		{"preflight from another origin", allowed, http.MethodOptions, "https://evil.example.com", want{}},
		{"preflight from a sub-domain of an allowed origin", allowed, http.MethodOptions, "https://x.app.example.com", want{}},
		{"simple request from an allowed origin", allowed, http.MethodGet, "https://app.example.com", want{AllowOrigin: "https://app.example.com"}},
		{"simple request from another origin", allowed, http.MethodGet, "https://evil.example.com", want{}},
		{"no origins configured", nil, http.MethodOptions, "https://app.example.com", want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/v1/users/me/fields", nil)
			r.Header.Set("Origin", tt.origin)
			if tt.method == http.MethodOptions {
				r.Header.Set("Access-Control-Request-Method", http.MethodPost)
				r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			}
			w := httptest.NewRecorder()
			auth.CORS(tt.origins)(ok).ServeHTTP(w, r)
			got := want{
				AllowOrigin:  w.Header().Get("Access-Control-Allow-Origin"),
				AllowHeaders: w.Header().Get("Access-Control-Allow-Headers"),
				AllowMethods: w.Header().Get("Access-Control-Allow-Methods"),
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
		})
	}
}
