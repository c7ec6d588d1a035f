package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/servertest"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runCLI runs a command line and returns its exit code, standard output and standard error.
func runCLI(t *testing.T, token string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, token, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunSubmitsThenPrintsTheProfile(t *testing.T) {
	srv, err := servertest.Start("", servertest.User{ID: "auth0|123", Attributes: map[string]any{"given_name": "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	code, _, stderr := runCLI(t, "", "--addr", srv.GRPCAddr, "--insecure", "submit", "auth0|123", "last_name=Lovelace")
	if code != 0 {
		t.Fatalf("submit exit code = %d, want 0; stderr:\n%s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "", "--addr", srv.GRPCAddr, "--insecure", "profile", "auth0|123")
	if code != 0 {
		t.Fatalf("profile exit code = %d, want 0; stderr:\n%s", code, stderr)
	}

	var got profilev1.GetProfileResponse
	if err := protojson.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("profile output is not a GetProfileResponse: %v\n%s", err, stdout)
	}
	want := &profilev1.GetProfileResponse{Values: []*profilev1.FieldValue{
		{Key: "first_name", Value: structpb.NewStringValue("Ada"), Source: profilev1.ValueSource_VALUE_SOURCE_IDENTITY_PROVIDER, Attribute: "given_name"},
		{Key: "last_name", Value: structpb.NewStringValue("Lovelace"), Source: profilev1.ValueSource_VALUE_SOURCE_USER_METADATA},
	}}
	if diff := cmp.Diff(want, &got, protocmp.Transform()); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
}

func TestRunReportsFailures(t *testing.T) {
	srv, err := servertest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name       string
		token      string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{
			name:       "rejected submission prints the code and the violations",
			args:       []string{"--addr", srv.GRPCAddr, "--insecure", "submit", "auth0|123", "shoe_size=44"},
			wantCode:   1,
			wantStderr: []string{"INVALID_ARGUMENT", "google.rpc.BadRequest", "shoe_size"},
		},
		{
			name:       "token over plaintext to a remote address is refused",
			token:      "secret-token",
			args:       []string{"--addr", "profiles.example.com:9090", "--insecure", "fields"},
			wantCode:   1,
			wantStderr: []string{"refusing to send access tokens in plaintext"},
		},
		{
			name:       "usage error",
			args:       []string{"missing"},
			wantCode:   2,
			wantStderr: []string{"one USER", "Usage:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.token, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "secret-token") {
				t.Errorf("stderr shows the token:\n%s", stderr)
			}
		})
	}
}

func TestRunExplainPrintsATable(t *testing.T) {
	srv, err := servertest.Start("", servertest.User{ID: "auth0|123", Attributes: map[string]any{"given_name": "Ada", "logins_count": 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "without a context",
			args: []string{"explain", "auth0|123"},
			want: `KIND   KEY            REASON          WHY
field  first_name     known           Not asked: already known from the root attribute given_name, supplied by the identity provider.
field  last_name      asked           Asked: position 1 in the prompt (priority 90).
field  title          not yet         Not asked yet: needs 2 logins (min_logins), the user has 1.
field  company        not yet         Not asked yet: needs 2 logins (min_logins), the user has 1.
topic  weekly-digest  out of context  Not offered: offered only in the contexts "article", "login"; this prompt names no context.

Asked now: last_name. Topics offered: nothing.
Known: 1 of the 2 fields that apply; the prompt holds at most 2.
`,
		},
		{
			name: "in a context, with the login section",
			args: []string{"explain", "auth0|123", "--context", "article", "--max", "3", "--logins"},
			want: `KIND   KEY            REASON   WHY
field  first_name     known    Not asked: already known from the root attribute given_name, supplied by the identity provider.
field  last_name      asked    Asked: position 1 in the prompt (priority 90).
field  title          not yet  Not asked yet: needs 2 logins (min_logins), the user has 1.
field  company        not yet  Not asked yet: needs 2 logins (min_logins), the user has 1.
topic  weekly-digest  asked    Offered: position 1 in the prompt's topics.

Asked now: last_name. Topics offered: weekly-digest.
Known: 1 of the 2 fields that apply; the prompt holds at most 3.

Logins: 1 (logins_count).
From login 2: title, company.
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append([]string{"--addr", srv.GRPCAddr, "--insecure"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit code = %d, want 0; stderr:\n%s", code, stderr)
			}
			if diff := cmp.Diff(tt.want, stdout); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrintExplanation(t *testing.T) {
	t.Run("a prompt without explanation is an error", func(t *testing.T) {
		var out bytes.Buffer
		if err := printExplanation(&out, &profilev1.Prompt{}, false); !errors.Is(err, errNoExplanation) {
			t.Errorf("error = %v, want errNoExplanation", err)
		}
	})
	t.Run("no field waits for a later login", func(t *testing.T) {
		var out bytes.Buffer
		x := &profilev1.Explanation{LoginsCount: 4, MaxFields: 2, Fields: []*profilev1.FieldExplanation{
			{Key: "title", Reason: profilev1.PromptReason_PROMPT_REASON_OVER_LIMIT, Message: "Not asked now."},
		}}
		if err := printExplanation(&out, &profilev1.Prompt{Explanation: x}, true); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "field  title  over limit  Not asked now.\n") || !strings.HasSuffix(out.String(), "Logins: 4 (logins_count).\nNo field waits for a later login.\n") {
			t.Errorf("output:\n%s", out.String())
		}
	})
}
