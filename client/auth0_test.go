package client

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuth0TokenURL(t *testing.T) {
	tests := []struct {
		domain  string
		want    string
		wantErr bool
	}{
		{domain: "acme.eu.auth0.com", want: "https://acme.eu.auth0.com/oauth/token"},
		{domain: "acme.eu.auth0.com/", want: "https://acme.eu.auth0.com/oauth/token"},
		{domain: "https://acme.eu.auth0.com", want: "https://acme.eu.auth0.com/oauth/token"},
		{domain: "http://127.0.0.1:8443", want: "http://127.0.0.1:8443/oauth/token"},
		{domain: "http://localhost:8443/", want: "http://localhost:8443/oauth/token"},
		{domain: "http://acme.eu.auth0.com", wantErr: true},
		{domain: "ftp://acme.eu.auth0.com", wantErr: true},
		{domain: "https://acme.eu.auth0.com/api/v2", wantErr: true},
		{domain: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			got, err := auth0TokenURL(tt.domain)
			if (err != nil) != tt.wantErr {
				t.Fatalf("auth0TokenURL(%q) error = %v, want error %v", tt.domain, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("auth0TokenURL(%q) = %q, want %q", tt.domain, got, tt.want)
			}
		})
	}
}

func TestAuth0TokenSourcePostsClientCredentialsAndCachesTheToken(t *testing.T) {
	var mu sync.Mutex
	var requests []url.Values
	tenant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		requests = append(requests, r.PostForm)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"m2m-token","token_type":"Bearer","expires_in":86400}`))
	}))
	defer tenant.Close()
	ts := Auth0TokenSource(t.Context(), tenant.URL, "the-client", "the-secret", "https://profiles.example.com")

	for range 2 {
		tok, err := ts.Token()
		if err != nil {
			t.Fatalf("Token() error: %v", err)
		}
		if tok.AccessToken != "m2m-token" {
			t.Errorf("AccessToken = %q, want %q", tok.AccessToken, "m2m-token")
		}
	}

	want := []url.Values{{
		"grant_type":    {"client_credentials"},
		"client_id":     {"the-client"},
		"client_secret": {"the-secret"},
		"audience":      {"https://profiles.example.com"},
	}}
	if diff := cmp.Diff(want, requests); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
}

func TestAuth0TokenSourceReportsConfigurationErrors(t *testing.T) {
	tests := []struct {
		name, domain, clientID, secret, audience string
		wantErr                                  string
	}{
		{name: "plaintext remote domain", domain: "http://acme.eu.auth0.com", clientID: "id", secret: "s", audience: "a", wantErr: "https"},
		{name: "missing audience", domain: "acme.eu.auth0.com", clientID: "id", secret: "s", wantErr: "audience"},
		{name: "missing secret", domain: "acme.eu.auth0.com", clientID: "id", audience: "a", wantErr: "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Auth0TokenSource(t.Context(), tt.domain, tt.clientID, tt.secret, tt.audience).Token()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Token() error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}
