package app

import (
	"context"
	"net/http"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

func auth0Server(t *testing.T) (*testServer, *auth0test.Server) {
	t.Helper()
	mgmt := auth0test.NewServer()
	t.Cleanup(mgmt.Close)
	ts := startServer(t, serverOptions{cfg: func(c *config.Config) {
		c.Store = config.StoreAuth0
		c.Auth0Domain = mgmt.URL()
		c.Auth0ClientID = auth0test.ClientID
		c.Auth0ClientSecret = auth0test.ClientSecret
		c.Auth0ReadsPerSecond, c.Auth0ReadBurst = 100, 100
		c.Auth0WritesPerSecond, c.Auth0WriteBurst = 100, 100
	}})
	return ts, mgmt
}

// TestAuth0JourneyUpstreamBudget: the seed journey on the Auth0 store costs at most two GETs
// and two PATCHes (the subscription rebuilds user_metadata.subscribed from what Auth0 holds,
// read under the user's lock), and lands in user_metadata as Auth0 would hold it.
func TestAuth0JourneyUpstreamBudget(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts, mgmt := auth0Server(t)
			user := "google-oauth2|ada/" + tr.name
			mgmt.AddUser(user, map[string]any{"given_name": "Ada", "logins_count": 2.0})
			c := tr.client(ts, "")
			ctx := context.Background()
			before := mgmt.Calls()
			get := func() []string {
				resp, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: user, Context: "article"})
				if err != nil {
					t.Fatalf("GetMissingFields: %v", err)
				}
				f, top := promptKeys(resp.GetPrompt())
				return append(f, top...)
			}
			if got := get(); len(got) != 3 || got[0] != "last_name" {
				t.Errorf("first prompt = %v, want last_name, title and the weekly-digest topic (first_name is known from given_name)", got)
			}
			if _, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"last_name": "Lovelace", "title": "Engineer"})}); err != nil {
				t.Fatal(err)
			}
			get()
			if _, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: user, Topic: "weekly-digest", Subscribed: true, Source: "article:x"}); err != nil {
				t.Fatal(err)
			}
			if got := get(); len(got) != 1 || got[0] != "company" {
				t.Errorf("last prompt = %v, want only company", got)
			}
			calls := mgmt.Calls()
			if gets, patches := calls.Get-before.Get, calls.Patch-before.Patch; gets > 2 || patches > 2 {
				t.Errorf("journey cost %d GET and %d PATCH, want at most 2 and 2", gets, patches)
			}
			u, _ := mgmt.User(user)
			um, _ := u["user_metadata"].(map[string]any)
			if um["last_name"] != "Lovelace" || um["title"] != "Engineer" || um["subscribed"] == nil || u["given_name"] != "Ada" {
				t.Errorf("user in Auth0 = %v, want the answers and subscription in user_metadata and given_name untouched", u)
			}
		})
	}
}

// TestAuth0FaultsBecomeCleanStatuses: upstream failures reach callers as retryable statuses
// with RetryInfo (and Retry-After on REST), an unknown user as NOT_FOUND, and nothing is
// half-written.
func TestAuth0FaultsBecomeCleanStatuses(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts, mgmt := auth0Server(t)
			user := "auth0|faulty-" + tr.name
			mgmt.AddUser(user, map[string]any{"logins_count": 2.0})
			c := tr.client(ts, "")
			submit := func(ctx context.Context) error {
				_, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"title": "Pilot", "company": "Air"})})
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()

			mgmt.FailNext(100, http.StatusServiceUnavailable)
			checkRetryable(t, "503", submit(ctx), codes.Unavailable)
			mgmt.FailNext(0, 0)
			u, _ := mgmt.User(user)
			if u["user_metadata"] != nil {
				t.Errorf("user_metadata after failed writes = %v, want nothing written", u["user_metadata"])
			}

			_, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: "auth0|nobody"})
			if status.Code(err) != codes.NotFound {
				t.Errorf("unknown user: %v, want NotFound", err)
			}

			if err := submit(ctx); err != nil {
				t.Fatalf("after the faults cleared: %v", err)
			}

			// Auth0 asks to wait longer than the caller's deadline: no wait, a clean
			// RESOURCE_EXHAUSTED, and the earlier answers still whole.
			mgmt.Throttle(100, time.Now().Add(time.Hour))
			_, err = c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"title": "Captain", "company": "Sky"})})
			checkRetryable(t, "throttled", err, codes.ResourceExhausted)
			if rc, ok := c.(*restClient); ok && rc.header().Get("Retry-After") == "" {
				t.Errorf("REST 429 without Retry-After")
			}
			u, _ = mgmt.User(user)
			um, _ := u["user_metadata"].(map[string]any)
			if um["title"] != "Pilot" || um["company"] != "Air" {
				t.Errorf("user_metadata = %v, want both earlier answers", um)
			}
		})
	}
}

// TestAuth0DeadlineIsHonoured: a slow Auth0 makes the call fail at the caller's deadline.
func TestAuth0DeadlineIsHonoured(t *testing.T) {
	ts, mgmt := auth0Server(t)
	mgmt.AddUser("auth0|slow", nil)
	mgmt.SetLatency(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := profilev1.NewProfileServiceClient(ts.conn).GetProfile(ctx, &profilev1.GetProfileRequest{UserId: "auth0|slow"})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("slow Auth0: %v, want DeadlineExceeded", err)
	}
}

func checkRetryable(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want {
		t.Errorf("%s: code %v (%v), want %v", what, st.Code(), err, want)
		return
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
			return
		}
	}
	t.Errorf("%s: no google.rpc.RetryInfo in %v", what, st.Details())
}
