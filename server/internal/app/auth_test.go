package app

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/config"
)

const (
	alice = "auth0|alice"
	bob   = "google-oauth2|bob"
)

// rpc is one call of the service on behalf of a target user id.
type rpc struct {
	name  string
	write bool
	call  func(ctx context.Context, c profilev1.ProfileServiceClient, userID string) error
}

var rpcs = []rpc{
	{"GetMissingFields", false, func(ctx context.Context, c profilev1.ProfileServiceClient, id string) error {
		_, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: id})
		return err
	}},
	{"SubmitFields", true, func(ctx context.Context, c profilev1.ProfileServiceClient, id string) error {
		_, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: id, Values: mustStructNoT(map[string]any{"role": "dev"})})
		return err
	}},
	{"MarkSubscribed", true, func(ctx context.Context, c profilev1.ProfileServiceClient, id string) error {
		_, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: id, Topic: "weekly-digest", Subscribed: true})
		return err
	}},
	{"GetProfile", false, func(ctx context.Context, c profilev1.ProfileServiceClient, id string) error {
		_, err := c.GetProfile(ctx, &profilev1.GetProfileRequest{UserId: id})
		return err
	}},
}

func authServer(t *testing.T) (*testServer, *authtest.Issuer) {
	t.Helper()
	iss := authtest.NewIssuer(t)
	ts := startServer(t, serverOptions{cfg: func(c *config.Config) {
		c.CatalogPath = "testdata/all-types.yaml"
		c.Auth0Domain = iss.URL()
		c.Auth0Issuer = iss.Issuer()
		c.Auth0Audience = authtest.Audience
		c.CORSOrigins = []string{"https://app.example.com"}
	}})
	return ts, iss
}

// TestCallerAuthOnEveryRPC checks, for each RPC over gRPC and REST, who may do what.
func TestCallerAuthOnEveryRPC(t *testing.T) {
	ts, iss := authServer(t)
	aliceToken := iss.UserToken(t, alice)
	reader := iss.ServiceToken(t, "svc-reader", "read:profiles")
	writer := iss.ServiceToken(t, "svc-writer", "read:profiles write:profiles")
	nothing := iss.ServiceToken(t, "svc-none")
	invalid := iss.InvalidTokens(t, alice)
	ctx := context.Background()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			for _, r := range rpcs {
				t.Run(r.name, func(t *testing.T) {
					expect := func(what, token, target string, want codes.Code) {
						t.Helper()
						err := r.call(ctx, tr.client(ts, token), target)
						if got := status.Code(err); got != want {
							t.Errorf("%s: code %v (%v), want %v", what, got, err, want)
						}
					}
					expect("own user id", aliceToken, alice, codes.OK)
					expect("me", aliceToken, "me", codes.OK)
					expect("another user's id", aliceToken, bob, codes.PermissionDenied)
					expect("no token", "", alice, codes.Unauthenticated)
					for _, bad := range invalid {
						expect("token "+bad.Name, bad.Token, alice, codes.Unauthenticated)
					}
					expect("service with write:profiles", writer, bob, codes.OK)
					expect("service without scopes", nothing, bob, codes.PermissionDenied)
					if r.write {
						expect("service with only read:profiles", reader, bob, codes.PermissionDenied)
					} else {
						expect("service with read:profiles", reader, bob, codes.OK)
					}
					expect("service with me", writer, "me", codes.InvalidArgument)
				})
			}
			t.Run("ListFields", func(t *testing.T) {
				if _, err := tr.client(ts, aliceToken).ListFields(ctx, &profilev1.ListFieldsRequest{}); err != nil {
					t.Errorf("ListFields with a valid token: %v", err)
				}
				if _, err := tr.client(ts, "").ListFields(ctx, &profilev1.ListFieldsRequest{}); status.Code(err) != codes.Unauthenticated {
					t.Errorf("ListFields without a token: %v, want Unauthenticated", err)
				}
			})
		})
	}
}

// TestEndUsersCannotWriteAppMetadata: app_metadata fields are for services only, and end users
// are not even asked them.
func TestEndUsersCannotWriteAppMetadata(t *testing.T) {
	ts, iss := authServer(t)
	ctx := context.Background()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			alice := alice + "-" + tr.name
			_, err := tr.client(ts, iss.UserToken(t, alice)).SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: "me", Values: mustStruct(t, map[string]any{"plan": "enterprise"})})
			if status.Code(err) != codes.PermissionDenied {
				t.Errorf("end user writing app_metadata: %v, want PermissionDenied", err)
			}
			p, _ := ts.store.Get(ctx, alice)
			if p.AppMetadata["plan"] != nil {
				t.Errorf("app_metadata.plan = %v after a denied write", p.AppMetadata["plan"])
			}
			if _, err := tr.client(ts, iss.ServiceToken(t, "svc", "write:profiles")).SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: alice, Values: mustStruct(t, map[string]any{"plan": "pro"})}); err != nil {
				t.Errorf("service writing app_metadata: %v", err)
			}
			resp, err := tr.client(ts, iss.UserToken(t, alice)).GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: "me", MaxFields: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range resp.GetPrompt().GetFields() {
				if f.GetStore() == profilev1.FieldStore_FIELD_STORE_APP_METADATA {
					t.Errorf("an end user is asked the service-only field %s", f.GetKey())
				}
			}
		})
	}
}

// TestRESTUnauthenticatedCarriesABearerChallenge: 401 responses tell browsers how to
// authenticate, without saying which check failed.
func TestRESTUnauthenticatedCarriesABearerChallenge(t *testing.T) {
	ts, iss := authServer(t)
	for _, tt := range []struct{ name, token, want string }{
		{"no token", "", `Bearer realm="` + authtest.Audience + `"`},
		{"expired token", iss.Token(t, map[string]any{"sub": alice, "exp": 1}), `Bearer realm="` + authtest.Audience + `", error="invalid_token"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &restClient{base: ts.httpURL, token: tt.token}
			_, err := c.GetProfile(context.Background(), &profilev1.GetProfileRequest{UserId: alice})
			if status.Code(err) != codes.Unauthenticated {
				t.Fatalf("code %v, want Unauthenticated", status.Code(err))
			}
			if got := c.header().Values("WWW-Authenticate"); len(got) != 1 || got[0] != tt.want {
				t.Errorf("WWW-Authenticate = %q, want just %q", got, tt.want)
			}
			if got := c.header().Get("Grpc-Metadata-Www-Authenticate"); got != "" {
				t.Errorf("a second challenge is sent as Grpc-Metadata-Www-Authenticate: %q", got)
			}
			if msg := status.Convert(err).Message(); strings.Contains(msg, "exp") || strings.Contains(msg, "signature") {
				t.Errorf("message %q says which check failed", msg)
			}
		})
	}
}

// TestCORSPreflight: the configured browser origin may call with Authorization; others get
// no CORS headers.
func TestCORSPreflight(t *testing.T) {
	ts, _ := authServer(t)
	for _, tt := range []struct {
		origin string
		allow  bool
	}{{"https://app.example.com", true}, {"https://evil.example.com", false}} {
		req, _ := http.NewRequest(http.MethodOptions, ts.httpURL+"/v1/users/me/fields", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if tt.allow && (got != tt.origin || !strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization")) {
			t.Errorf("preflight from %s: Allow-Origin %q, Allow-Headers %q; want the origin and authorization", tt.origin, got, resp.Header.Get("Access-Control-Allow-Headers"))
		}
		if !tt.allow && got != "" {
			t.Errorf("preflight from %s: Allow-Origin %q, want none", tt.origin, got)
		}
	}
}
