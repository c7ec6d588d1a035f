package app

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/config"
)

const badUser = "auth0|bad-input"

// violations returns the fields named by a status's google.rpc.BadRequest, sorted.
func violations(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetDescription() == "" {
					t.Errorf("violation of %s has no description", v.GetField())
				}
				out = append(out, v.GetField())
			}
		}
	}
	sort.Strings(out)
	return out
}

func allTypesServer(t *testing.T) *testServer {
	ts := startServer(t, serverOptions{cfg: func(c *config.Config) { c.CatalogPath = "testdata/all-types.yaml" }})
	ts.seed(t, badUser, map[string]any{"logins_count": 1})
	return ts
}

// TestBadSubmissionsAreRejectedAndChangeNothing: every kind of bad value is INVALID_ARGUMENT
// with a field violation naming it, over both transports, and the stored profile is unchanged.
func TestBadSubmissionsAreRejectedAndChangeNothing(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"unknown key", map[string]any{"favourite_colour": "red"}, []string{"values.favourite_colour"}},
		{"key with a dot", map[string]any{"a.b": "x"}, []string{"values.a.b"}},
		{"key with a dollar", map[string]any{"$set": "x"}, []string{"values.$set"}},
		{"text as a number", map[string]any{"nickname_text": 12.0}, []string{"values.nickname_text"}},
		{"over-long text", map[string]any{"nickname_text": "abcdefghijklmnop"}, []string{"values.nickname_text"}},
		{"pattern miss", map[string]any{"nickname_text": "UPPER"}, []string{"values.nickname_text"}},
		{"invalid email", map[string]any{"work_email": "not-an-email"}, []string{"values.work_email"}},
		{"email as a bool", map[string]any{"work_email": true}, []string{"values.work_email"}},
		{"invalid url", map[string]any{"homepage": "javascript:alert(1)"}, []string{"values.homepage"}},
		{"invalid phone", map[string]any{"mobile": "12"}, []string{"values.mobile"}},
		{"invalid date", map[string]any{"birthday": "2026-02-30"}, []string{"values.birthday"}},
		{"date in another format", map[string]any{"birthday": "25/11/2026"}, []string{"values.birthday"}},
		{"integer with a fraction", map[string]any{"team_size": 2.5}, []string{"values.team_size"}},
		{"integer as a string", map[string]any{"team_size": "12"}, []string{"values.team_size"}},
		{"integer over its maximum", map[string]any{"team_size": 5000.0}, []string{"values.team_size"}},
		{"number as a string", map[string]any{"score": "high"}, []string{"values.score"}},
		{"boolean as a string", map[string]any{"newsletter_ok": "yes"}, []string{"values.newsletter_ok"}},
		{"option not in list", map[string]any{"role": "ceo"}, []string{"values.role"}},
		{"multi choice with an unknown option", map[string]any{"languages": []any{"go", "cobol"}}, []string{"values.languages"}},
		{"multi choice as a string", map[string]any{"languages": "go"}, []string{"values.languages"}},
		{"all violations at once", map[string]any{"role": "ceo", "birthday": "yesterday", "team_size": -1.0, "homepage": "http://ok.example.com"},
			[]string{"values.birthday", "values.role", "values.team_size"}},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := allTypesServer(t)
			c := tr.client(ts, "")
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before, err := ts.store.Get(context.Background(), badUser)
					if err != nil {
						t.Fatal(err)
					}
					_, err = c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: badUser, Values: mustStruct(t, tt.values)})
					if got := status.Code(err); got != codes.InvalidArgument {
						t.Fatalf("code = %v (%v), want InvalidArgument", got, err)
					}
					if diff := cmp.Diff(tt.want, violations(t, err)); diff != "" {
						t.Errorf("field violations (-want +got):\n%s", diff)
					}
					after, err := ts.store.Get(context.Background(), badUser)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(before, after); diff != "" {
						t.Errorf("the store changed on a rejected submission (-before +after):\n%s", diff)
					}
				})
			}
		})
	}
}

// TestBadRequestsAreRejected covers request-level mistakes over both transports.
func TestBadRequestsAreRejected(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := allTypesServer(t)
			c := tr.client(ts, "")
			ctx := context.Background()
			tests := []struct {
				name string
				call func() error
				want []string
			}{
				{"absurd max_fields", func() error {
					_, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: badUser, MaxFields: 100000})
					return err
				}, []string{"max_fields"}},
				{"negative max_fields", func() error {
					_, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: badUser, MaxFields: -1})
					return err
				}, []string{"max_fields"}},
				{"decline of an unknown field", func() error {
					_, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: badUser, DeclinedFields: []string{"nope"}})
					return err
				}, []string{"declined_fields[0]"}},
				{"malformed topic", func() error {
					_, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: badUser, Topic: "Weekly Digest!", Subscribed: true})
					return err
				}, []string{"topic"}},
				{"me without caller auth", func() error {
					_, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: "me"})
					return err
				}, []string{"user_id"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := tt.call()
					if got := status.Code(err); got != codes.InvalidArgument {
						t.Fatalf("code = %v (%v), want InvalidArgument", got, err)
					}
					if diff := cmp.Diff(tt.want, violations(t, err)); diff != "" {
						t.Errorf("field violations (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

func TestEmptyUserIDIsInvalid(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := profilev1.NewProfileServiceClient(ts.conn)
	_, err := c.GetMissingFields(context.Background(), &profilev1.GetMissingFieldsRequest{})
	if got := status.Code(err); got != codes.InvalidArgument {
		t.Fatalf("code = %v, want InvalidArgument", got)
	}
	if diff := cmp.Diff([]string{"user_id"}, violations(t, err)); diff != "" {
		t.Errorf("field violations (-want +got):\n%s", diff)
	}
}

// TestRESTRejectsBadBodies: bodies that cannot be decoded never reach the store.
func TestRESTRejectsBadBodies(t *testing.T) {
	ts := allTypesServer(t)
	tests := []struct {
		name     string
		body     string
		wantHTTP int
	}{
		{"malformed JSON", `{"values": {"role": "dev"`, http.StatusBadRequest},
		{"data after the JSON object", `{"values": {"role": "dev"}} {"values": {"role": "ops"}}`, http.StatusBadRequest},
		{"unknown request field", `{"valuez": {"role": "dev"}}`, http.StatusBadRequest},
		{"values not an object", `{"values": "dev"}`, http.StatusBadRequest},
		{"oversize body", `{"values": {"nickname_text": "` + strings.Repeat("a", 70<<10) + `"}}`, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := ts.store.Get(context.Background(), badUser)
			resp, err := http.Post(ts.httpURL+userPath(badUser)+"/fields", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantHTTP {
				t.Errorf("HTTP status = %d, want %d", resp.StatusCode, tt.wantHTTP)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want a JSON google.rpc.Status", ct)
			}
			after, _ := ts.store.Get(context.Background(), badUser)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("the store changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestEndUsersCannotWriteAppMetadataButServicesCan: with auth off every caller is a trusted
// service, so an app_metadata field is accepted and lands in app_metadata.
func TestAppMetadataFieldsLandInAppMetadata(t *testing.T) {
	ts := allTypesServer(t)
	c := profilev1.NewProfileServiceClient(ts.conn)
	if _, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: badUser, Values: mustStruct(t, map[string]any{"plan": "pro", "role": "dev"})}); err != nil {
		t.Fatal(err)
	}
	p, err := ts.store.Get(context.Background(), badUser)
	if err != nil {
		t.Fatal(err)
	}
	if p.AppMetadata["plan"] != "pro" || p.UserMetadata["role"] != "dev" || p.UserMetadata["plan"] != nil {
		t.Errorf("app_metadata = %v, user_metadata = %v; want plan in app_metadata and role in user_metadata", p.AppMetadata, p.UserMetadata)
	}
}

// TestRESTRoutingMistakes: precise statuses for requests the gateway cannot route or parse.
func TestRESTRoutingMistakes(t *testing.T) {
	ts := startServer(t, serverOptions{})
	tests := []struct {
		name, method, path string
		wantHTTP           int
		wantCode           codes.Code
	}{
		{"unknown query parameter", http.MethodGet, "/v1/users/auth0%7C1/missing-fields?max_field=3", http.StatusBadRequest, codes.InvalidArgument},
		{"query parameter of the wrong type", http.MethodGet, "/v1/users/auth0%7C1/missing-fields?max_fields=many", http.StatusBadRequest, codes.InvalidArgument},
		{"empty user id", http.MethodGet, "/v1/users//missing-fields", http.StatusBadRequest, codes.InvalidArgument},
		{"wrong method", http.MethodDelete, "/v1/users/auth0%7C1/fields", http.StatusMethodNotAllowed, codes.Unimplemented},
		{"unknown route", http.MethodGet, "/v1/users/auth0%7C1/nothing", http.StatusNotFound, codes.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.httpURL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var st spb.Status
			body, _ := io.ReadAll(resp.Body)
			if err := protojson.Unmarshal(body, &st); err != nil {
				t.Fatalf("body %q is not a google.rpc.Status: %v", body, err)
			}
			if strings.Contains(st.GetMessage(), "rpc error") {
				t.Errorf("message %q wraps a gRPC error's text", st.GetMessage())
			}
			if resp.StatusCode != tt.wantHTTP || codes.Code(st.GetCode()) != tt.wantCode {
				t.Errorf("got HTTP %d code %v (%s), want HTTP %d code %v", resp.StatusCode, codes.Code(st.GetCode()), st.GetMessage(), tt.wantHTTP, tt.wantCode)
			}
		})
	}
}

// TestRequestAndValueViolationsAreReportedTogether: one answer lists every mistake of the
// request, its options as well as its values, and nothing is read or written.
func TestRequestAndValueViolationsAreReportedTogether(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := allTypesServer(t)
			before, _ := ts.store.Get(context.Background(), badUser)
			_, err := tr.client(ts, "").SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{
				UserId: badUser, MaxFields: 99, Context: "bad context!",
				Values:         mustStruct(t, map[string]any{"role": "ceo", "colour": "red"}),
				DeclinedFields: []string{"nope"},
			})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("code %v, want InvalidArgument", status.Code(err))
			}
			want := []string{"context", "declined_fields[0]", "max_fields", "values.colour", "values.role"}
			if diff := cmp.Diff(want, violations(t, err)); diff != "" {
				t.Errorf("field violations (-want +got):\n%s", diff)
			}
			after, _ := ts.store.Get(context.Background(), badUser)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("the store changed (-before +after):\n%s", diff)
			}
		})
	}
	ts := startServer(t, serverOptions{})
	_, err := profilev1.NewProfileServiceClient(ts.conn).MarkSubscribed(context.Background(), &profilev1.MarkSubscribedRequest{Topic: "Bad Topic"})
	if diff := cmp.Diff([]string{"topic", "user_id"}, violations(t, err)); diff != "" {
		t.Errorf("MarkSubscribed violations (-want +got):\n%s", diff)
	}
}
