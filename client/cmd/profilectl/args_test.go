package main

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestParseArgs(t *testing.T) {
	local := func(req proto.Message) invocation {
		return invocation{addr: "127.0.0.1:9090", insecure: true, timeout: 10 * time.Second, request: req}
	}
	tests := []struct {
		name string
		args []string
		want invocation
	}{
		{
			name: "missing with flags after the user",
			args: []string{"--insecure", "missing", "auth0|123", "--context", "article", "--max", "3"},
			want: local(&profilev1.GetMissingFieldsRequest{UserId: "auth0|123", Context: "article", MaxFields: 3}),
		},
		{
			name: "global flags set address and timeout",
			args: []string{"--addr", "profiles.example.com:443", "--timeout", "3s", "profile", "me"},
			want: invocation{addr: "profiles.example.com:443", timeout: 3 * time.Second, request: &profilev1.GetProfileRequest{UserId: "me"}},
		},
		{
			name: "submit reads JSON values and falls back to text",
			args: []string{"--insecure", "submit", "auth0|123", "first_name=Ada", "age=36", "admin=true", `tags=["a","b"]`, `zip="01234"`, "note=", "title=null"},
			want: local(&profilev1.SubmitFieldsRequest{UserId: "auth0|123", Values: &structpb.Struct{Fields: map[string]*structpb.Value{
				"first_name": structpb.NewStringValue("Ada"),
				"age":        structpb.NewNumberValue(36),
				"admin":      structpb.NewBoolValue(true),
				"tags":       structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("a"), structpb.NewStringValue("b")}}),
				"zip":        structpb.NewStringValue("01234"),
				"note":       structpb.NewStringValue(""),
				"title":      structpb.NewNullValue(),
			}}}),
		},
		{
			name: "submit a value containing an equals sign",
			args: []string{"--insecure", "submit", "auth0|123", "bio=a=b"},
			want: local(&profilev1.SubmitFieldsRequest{UserId: "auth0|123", Values: &structpb.Struct{Fields: map[string]*structpb.Value{
				"bio": structpb.NewStringValue("a=b"),
			}}}),
		},
		{
			name: "submit only declines",
			args: []string{"--insecure", "submit", "auth0|123", "--decline", "title", "--decline", "company", "--decline-topic", "weekly-digest", "--context", "article"},
			want: local(&profilev1.SubmitFieldsRequest{UserId: "auth0|123", DeclinedFields: []string{"title", "company"}, DeclinedTopics: []string{"weekly-digest"}, Context: "article"}),
		},
		{
			name: "arguments after -- are positional",
			args: []string{"--insecure", "submit", "auth0|123", "--", "--weird=x"},
			want: local(&profilev1.SubmitFieldsRequest{UserId: "auth0|123", Values: &structpb.Struct{Fields: map[string]*structpb.Value{
				"--weird": structpb.NewStringValue("x"),
			}}}),
		},
		{
			name: "subscribe with a source",
			args: []string{"--insecure", "subscribe", "auth0|123", "weekly-digest", "--source", "article:how-to-x"},
			want: local(&profilev1.MarkSubscribedRequest{UserId: "auth0|123", Topic: "weekly-digest", Subscribed: true, Source: "article:how-to-x"}),
		},
		{
			name: "unsubscribe",
			args: []string{"--insecure", "subscribe", "--unsubscribe", "auth0|123", "weekly-digest"},
			want: local(&profilev1.MarkSubscribedRequest{UserId: "auth0|123", Topic: "weekly-digest"}),
		},
		{
			name: "missing with its explanation",
			args: []string{"--insecure", "missing", "auth0|123", "--explain"},
			want: local(&profilev1.GetMissingFieldsRequest{UserId: "auth0|123", Explain: true}),
		},
		{
			name: "explain asks for an explanation and prints a table",
			args: []string{"--insecure", "explain", "auth0|123", "--context", "article", "--max", "5"},
			want: invocation{addr: "127.0.0.1:9090", insecure: true, timeout: 10 * time.Second, table: true,
				request: &profilev1.GetMissingFieldsRequest{UserId: "auth0|123", Context: "article", MaxFields: 5, Explain: true}},
		},
		{
			name: "explain with the login section",
			args: []string{"--insecure", "explain", "--logins", "me"},
			want: invocation{addr: "127.0.0.1:9090", insecure: true, timeout: 10 * time.Second, table: true, logins: true,
				request: &profilev1.GetMissingFieldsRequest{UserId: "me", Explain: true}},
		},
		{
			name: "submit explaining the next prompt",
			args: []string{"--insecure", "submit", "auth0|123", "title=CTO", "--explain"},
			want: local(&profilev1.SubmitFieldsRequest{UserId: "auth0|123", Explain: true, Values: &structpb.Struct{Fields: map[string]*structpb.Value{
				"title": structpb.NewStringValue("CTO"),
			}}}),
		},
		{
			name: "fields with a locale",
			args: []string{"--insecure", "fields", "--locale", "fr"},
			want: local(&profilev1.ListFieldsRequest{Locale: "fr"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("parseArgs(%q) error: %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(invocation{}), protocmp.Transform()); diff != "" {
				t.Errorf("parseArgs(%q) (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestParseArgsRejectsBadCommandLines(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no command", args: []string{"--insecure"}, wantErr: "no command"},
		{name: "unknown command", args: []string{"frobnicate"}, wantErr: "unknown command"},
		{name: "missing without user", args: []string{"missing"}, wantErr: "one USER"},
		{name: "missing with two users", args: []string{"missing", "a", "b"}, wantErr: "one USER"},
		{name: "max is not a number", args: []string{"missing", "a", "--max", "3x"}, wantErr: "not a whole number"},
		{name: "submit nothing", args: []string{"submit", "auth0|1"}, wantErr: "nothing to submit"},
		{name: "submit without equals sign", args: []string{"submit", "auth0|1", "first_name"}, wantErr: "not key=value"},
		{name: "submit empty key", args: []string{"submit", "auth0|1", "=Ada"}, wantErr: "not key=value"},
		{name: "submit a key twice", args: []string{"submit", "auth0|1", "a=1", "a=2"}, wantErr: "given twice"},
		{name: "subscribe without topic", args: []string{"subscribe", "auth0|1"}, wantErr: "USER and TOPIC"},
		{name: "unknown flag", args: []string{"profile", "auth0|1", "--verbose"}, wantErr: "verbose"},
		{name: "fields with an argument", args: []string{"fields", "extra"}, wantErr: "unexpected argument"},
		{name: "explain without user", args: []string{"explain", "--logins"}, wantErr: "explain: want exactly one USER"},
		{name: "explain with two users", args: []string{"explain", "a", "b"}, wantErr: "one USER"},
		{name: "explain with a locale", args: []string{"explain", "a", "--locale", "fr"}, wantErr: "locale"},
		{name: "explain max is not a number", args: []string{"explain", "a", "--max", "two"}, wantErr: "not a whole number"},
		{name: "non-positive timeout", args: []string{"--timeout", "0s", "fields"}, wantErr: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseArgs(tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseArgs(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

func TestParseArgsReportsHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"missing", "--help"}, {"explain", "-h"}} {
		if _, err := parseArgs(args); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("parseArgs(%q) error = %v, want flag.ErrHelp", args, err)
		}
	}
}
