package app

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/loginclaims"
	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/embedded"
)

const testLoginSecret = "login-step-secret-for-tests-0123456789"

// countingStore counts the calls a store gets.
type countingStore struct {
	store.Store
	calls atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, id string) (*store.Profile, error) {
	c.calls.Add(1)
	return c.Store.Get(ctx, id)
}

func (c *countingStore) Update(ctx context.Context, id string, fn store.UpdateFunc) (*store.Profile, error) {
	c.calls.Add(1)
	return c.Store.Update(ctx, id, fn)
}

// loginPromptServer serves the built-in catalog with caller auth and the login step on (or off),
// over a store that counts its calls.
func loginPromptServer(t *testing.T, step bool) (*testServer, *authtest.Issuer) {
	t.Helper()
	iss := authtest.NewIssuer(t)
	st, err := embedded.Open(embedded.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, serverOptions{store: &countingStore{Store: st}, cfg: func(c *config.Config) {
		c.Auth0Domain = iss.URL()
		c.Auth0Issuer = iss.Issuer()
		c.Auth0Audience = authtest.Audience
		c.LoginStep = step
		if step {
			c.LoginSecret = testLoginSecret
		}
	}})
	return ts, iss
}

// adaAtLogin is what the Action sends for Ada at her second login: Google gave her given name,
// another application stored a theme, she subscribed to nothing.
func adaAtLogin(t *testing.T) *profilev1.GetLoginPromptRequest {
	two := int32(2)
	return &profilev1.GetLoginPromptRequest{
		UserId: "google-oauth2|ada/1",
		Locale: "fr-CA",
		Profile: &profilev1.LoginProfile{
			Attributes:   mustStruct(t, map[string]any{"given_name": "Ada", "email": "ada@example.com", "logins_count": 1.0}),
			UserMetadata: mustStruct(t, map[string]any{"theme": "dark"}),
			AppMetadata:  mustStruct(t, map[string]any{"plan": "pro"}),
			LoginsCount:  &two,
		},
	}
}

// TestGetLoginPromptFromTheSuppliedProfile: the verdict comes from the profile in the request,
// in the user's locale, with the claims of the step's token; nothing is read from the store.
func TestGetLoginPromptFromTheSuppliedProfile(t *testing.T) {
	ts, iss := loginPromptServer(t, true)
	svc := iss.ServiceToken(t, "login-action", "read:profiles")
	ctx := context.Background()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			resp, err := tr.client(ts, svc).GetLoginPrompt(ctx, adaAtLogin(t))
			if err != nil {
				t.Fatalf("GetLoginPrompt: %v", err)
			}
			fields, topics := promptKeys(resp.GetPrompt())
			// Second login (event.stats wins over the stale attribute): last name, then the title
			// (two fields by default); the digest is offered at login.
			if !resp.GetDue() || !cmp.Equal(fields, []string{"last_name", "title"}) || !cmp.Equal(topics, []string{"weekly-digest"}) {
				t.Fatalf("due %v, fields %v, topics %v; want due with last_name, title and weekly-digest", resp.GetDue(), fields, topics)
			}
			if got := resp.GetPrompt().GetFields()[0].GetLabel(); got != "Nom" {
				t.Errorf("label in fr-CA = %q, want Nom", got)
			}
			if resp.GetPrompt().GetExplanation() != nil {
				t.Errorf("explanation = %v, want none: the request did not ask for it", resp.GetPrompt().GetExplanation())
			}
			claims := resp.GetSessionTokenClaims().AsMap()
			ticket, err := loginclaims.ParseTicket("google-oauth2|ada/1", claims[loginclaims.TicketClaim])
			if err != nil {
				t.Fatalf("claims %v: %v", claims, err)
			}
			if ticket.Context != "login" || ticket.Locale != "fr-CA" {
				t.Errorf("ticket context %q, locale %q; want login, fr-CA", ticket.Context, ticket.Locale)
			}
			wantAttrs := map[string]any{"given_name": "Ada", "logins_count": 2.0}
			if diff := cmp.Diff(wantAttrs, ticket.Profile.Attributes); diff != "" || ticket.Profile.UserMetadata != nil || ticket.Profile.AppMetadata != nil {
				t.Errorf("ticket profile = %+v, want only what the catalog reads (attributes diff -want +got:\n%s)", ticket.Profile, diff)
			}
		})
	}
	if n := ts.store.(*countingStore).calls.Load(); n != 0 {
		t.Errorf("the store got %d calls, want 0 (GetLoginPrompt never reads nor writes it)", n)
	}
}

// TestGetLoginPromptExplains: with explain, the prompt says why each field and topic is, or is
// not, asked at this login; the verdict and the claims are those of the same request without it.
func TestGetLoginPromptExplains(t *testing.T) {
	ts, iss := loginPromptServer(t, true)
	svc := iss.ServiceToken(t, "login-action", "read:profiles")
	ctx := context.Background()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			plain, err := tr.client(ts, svc).GetLoginPrompt(ctx, adaAtLogin(t))
			if err != nil {
				t.Fatal(err)
			}
			req := adaAtLogin(t)
			req.Explain = true
			resp, err := tr.client(ts, svc).GetLoginPrompt(ctx, req)
			if err != nil {
				t.Fatalf("GetLoginPrompt with explain: %v", err)
			}
			x := resp.GetPrompt().GetExplanation()
			reasons := map[string]profilev1.PromptReason{}
			for _, f := range x.GetFields() {
				reasons[f.GetKey()] = f.GetReason()
			}
			for _, tp := range x.GetTopics() {
				reasons[tp.GetTopic()] = tp.GetReason()
			}
			want := map[string]profilev1.PromptReason{
				"first_name":    profilev1.PromptReason_PROMPT_REASON_KNOWN,
				"last_name":     profilev1.PromptReason_PROMPT_REASON_ASKED,
				"title":         profilev1.PromptReason_PROMPT_REASON_ASKED,
				"company":       profilev1.PromptReason_PROMPT_REASON_OVER_LIMIT,
				"weekly-digest": profilev1.PromptReason_PROMPT_REASON_ASKED,
			}
			if diff := cmp.Diff(want, reasons); diff != "" || x.GetLoginsCount() != 2 {
				t.Errorf("explanation reasons (-want +got):\n%s\nlogins_count %d, want 2 (event.stats)", diff, x.GetLoginsCount())
			}
			if resp.GetDue() != plain.GetDue() || !cmp.Equal(resp.GetSessionTokenClaims().AsMap(), plain.GetSessionTokenClaims().AsMap()) {
				t.Errorf("explain changed the verdict or the claims: %v / %v", resp, plain)
			}
		})
	}
}

// TestGetLoginPromptNothingDue: a complete profile gets due=false and no claims.
func TestGetLoginPromptNothingDue(t *testing.T) {
	ts, iss := loginPromptServer(t, true)
	svc := iss.ServiceToken(t, "login-action", "read:profiles")
	one := int32(1)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			resp, err := tr.client(ts, svc).GetLoginPrompt(context.Background(), &profilev1.GetLoginPromptRequest{
				UserId: "auth0|done",
				Profile: &profilev1.LoginProfile{
					Attributes:   mustStruct(t, map[string]any{"given_name": "Grace", "family_name": "Hopper"}),
					UserMetadata: mustStruct(t, map[string]any{"subscribed": map[string]any{"weekly-digest": map[string]any{"since": "2026-01-01T00:00:00Z"}}}),
					LoginsCount:  &one,
				},
			})
			if err != nil || resp.GetDue() || resp.GetSessionTokenClaims() != nil || !resp.GetPrompt().GetComplete() {
				t.Errorf("GetLoginPrompt = %v, %v; want not due, complete, without claims", resp, err)
			}
		})
	}
}

// TestGetLoginPromptIsForServicesOnly: end users may not call it, not even for themselves; a
// service needs read:profiles; a server without the step says so.
func TestGetLoginPromptIsForServicesOnly(t *testing.T) {
	ts, iss := loginPromptServer(t, true)
	off, offIss := loginPromptServer(t, false)
	ctx := context.Background()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			for _, tt := range []struct {
				name   string
				srv    *testServer
				token  string
				userID string
				want   codes.Code
			}{
				{"end user for themselves", ts, iss.UserToken(t, "google-oauth2|ada/1"), "google-oauth2|ada/1", codes.PermissionDenied},
				{"end user through me", ts, iss.UserToken(t, "google-oauth2|ada/1"), "me", codes.PermissionDenied},
				{"end user for someone else", ts, iss.UserToken(t, "auth0|eve"), "google-oauth2|ada/1", codes.PermissionDenied},
				{"service with only write:profiles", ts, iss.ServiceToken(t, "svc", "write:profiles"), "google-oauth2|ada/1", codes.PermissionDenied},
				{"no token", ts, "", "google-oauth2|ada/1", codes.Unauthenticated},
				{"service on a server without the step", off, offIss.ServiceToken(t, "svc", "read:profiles"), "google-oauth2|ada/1", codes.FailedPrecondition},
			} {
				req := adaAtLogin(t)
				req.UserId = tt.userID
				_, err := tr.client(tt.srv, tt.token).GetLoginPrompt(ctx, req)
				if got := status.Code(err); got != tt.want {
					t.Errorf("%s: code %v (%v), want %v", tt.name, got, err, tt.want)
				}
			}
		})
	}
}

// TestGetLoginPromptRejectsBadRequests: every bad part is named at once.
func TestGetLoginPromptRejectsBadRequests(t *testing.T) {
	ts, iss := loginPromptServer(t, true)
	svc := iss.ServiceToken(t, "login-action", "read:profiles")
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			_, err := tr.client(ts, svc).GetLoginPrompt(context.Background(), &profilev1.GetLoginPromptRequest{
				UserId: "auth0|x", Locale: "fr<script>", Context: "bad context", MaxFields: 99,
			})
			want := []string{"context", "locale", "max_fields", "profile"}
			if got := violations(t, err); status.Code(err) != codes.InvalidArgument || !cmp.Equal(got, want) {
				t.Errorf("error %v with violations %v, want INVALID_ARGUMENT naming %v", err, got, want)
			}
		})
	}
}
