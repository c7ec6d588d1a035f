package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/config"
)

// explainNow is the server's clock in the explain tests.
var explainNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// explainServer runs the service with caller auth on (so that end users and services differ),
// the explain catalog and a fixed clock.
func explainServer(t *testing.T) (*testServer, *authtest.Issuer) {
	t.Helper()
	iss := authtest.NewIssuer(t)
	ts := startServer(t, serverOptions{
		now: func() time.Time { return explainNow },
		cfg: func(c *config.Config) {
			c.CatalogPath = "testdata/explain.yaml"
			c.Auth0Domain = iss.URL()
			c.Auth0Issuer = iss.Issuer()
			c.Auth0Audience = authtest.Audience
		},
	})
	return ts, iss
}

// Expected field explanations, one helper per reason; messages are compared separately.
type (
	fieldX = profilev1.FieldExplanation
	topicX = profilev1.TopicExplanation
)

func xAsked(key string, rank, priority int32) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_ASKED,
		Details: &profilev1.FieldExplanation_Asked{Asked: &profilev1.AskedDetails{Rank: rank, Priority: priority}}}
}

func xKnown(key string, source profilev1.ValueSource, attribute string) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_KNOWN,
		Details: &profilev1.FieldExplanation_Known{Known: &profilev1.KnownDetails{Source: source, Attribute: attribute}}}
}

func xDeclined(key string, cooldown time.Duration) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_DECLINED,
		Details: &profilev1.FieldExplanation_Declined{Declined: declinedDetails(cooldown)}}
}

func xNotYet(key string, minLogins, logins int32) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_NOT_YET,
		Details: &profilev1.FieldExplanation_NotYet{NotYet: &profilev1.NotYetDetails{MinLogins: minLogins, LoginsCount: logins}}}
}

func xOutOfContext(key string, contexts ...string) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_OUT_OF_CONTEXT,
		Details: &profilev1.FieldExplanation_OutOfContext{OutOfContext: &profilev1.OutOfContextDetails{Contexts: contexts}}}
}

func xWaitingOn(key string, hidden int32, fields ...string) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_WAITING_ON,
		Details: &profilev1.FieldExplanation_WaitingOn{WaitingOn: &profilev1.WaitingOnDetails{Fields: fields, HiddenCount: hidden}}}
}

func xOverLimit(key string, rank, maxFields int32) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_OVER_LIMIT,
		Details: &profilev1.FieldExplanation_OverLimit{OverLimit: &profilev1.OverLimitDetails{Rank: rank, MaxFields: maxFields}}}
}

func xHidden(key string) *fieldX {
	return &fieldX{Key: key, Reason: profilev1.PromptReason_PROMPT_REASON_HIDDEN}
}

func declinedDetails(cooldown time.Duration) *profilev1.DeclinedDetails {
	return &profilev1.DeclinedDetails{DeclinedAt: timestamppb.New(explainNow), Until: timestamppb.New(explainNow.Add(cooldown))}
}

const day = 24 * time.Hour

// explainTopics is what every explanation below says of the topics without a context.
func explainTopics(offered string) []*topicX {
	return []*topicX{
		{Topic: "weekly-digest", Reason: profilev1.PromptReason_PROMPT_REASON_OUT_OF_CONTEXT,
			Details: &profilev1.TopicExplanation_OutOfContext{OutOfContext: &profilev1.OutOfContextDetails{Contexts: []string{"article"}}}},
		{Topic: "product-news", Reason: profilev1.PromptReason_PROMPT_REASON_SUBSCRIBED,
			Details: &profilev1.TopicExplanation_Subscribed{Subscribed: &profilev1.Subscription{Topic: "product-news", Since: timestamppb.New(explainNow), Source: "article:how-to-x"}}},
		{Topic: "offers", Reason: profilev1.PromptReason_PROMPT_REASON_DECLINED,
			Details: &profilev1.TopicExplanation_Declined{Declined: declinedDetails(14 * day)}},
		{Topic: offered, Reason: profilev1.PromptReason_PROMPT_REASON_ASKED,
			Details: &profilev1.TopicExplanation_Asked{Asked: &profilev1.AskedDetails{Rank: 1}}},
	}
}

// checkExplanation compares an explanation with the expected one, messages aside, and checks
// that every entry has a message.
func checkExplanation(t *testing.T, want, got *profilev1.Explanation) {
	t.Helper()
	ignoreMessages := []cmp.Option{
		protocmp.Transform(),
		protocmp.IgnoreFields(&profilev1.FieldExplanation{}, "message"),
		protocmp.IgnoreFields(&profilev1.TopicExplanation{}, "message"),
	}
	if diff := cmp.Diff(want, got, ignoreMessages...); diff != "" {
		t.Errorf("explanation (-want +got):\n%s", diff)
	}
	for _, f := range got.GetFields() {
		if f.GetMessage() == "" {
			t.Errorf("field %s: no message", f.GetKey())
		}
	}
	for _, tp := range got.GetTopics() {
		if tp.GetMessage() == "" {
			t.Errorf("topic %s: no message", tp.GetTopic())
		}
	}
}

// TestExplainEveryReason gives, over gRPC and REST, every reason a field or topic can have,
// with its details, to an end user and to a service.
func TestExplainEveryReason(t *testing.T) {
	ts, iss := explainServer(t)
	service := iss.ServiceToken(t, "svc@clients", "read:profiles write:profiles")
	ctx := context.Background()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			user := "auth0|ada-" + tr.name
			ts.seed(t, user, map[string]any{"given_name": "Ada", "logins_count": 2})
			svc := tr.client(ts, service)
			enduser := tr.client(ts, iss.UserToken(t, user))
			// Earlier visits: a nickname given, phone and plan declined (plan by the
			// application), the offers topic declined, product news subscribed.
			if _, err := svc.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{
				UserId: user, Values: mustStruct(t, map[string]any{"nickname": "ada"}),
				DeclinedFields: []string{"phone", "plan"}, DeclinedTopics: []string{"offers"},
			}); err != nil {
				t.Fatalf("SubmitFields: %v", err)
			}
			if _, err := svc.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: user, Topic: "product-news", Subscribed: true, Source: "article:how-to-x"}); err != nil {
				t.Fatalf("MarkSubscribed: %v", err)
			}
			idp := profilev1.ValueSource_VALUE_SOURCE_IDENTITY_PROVIDER
			userMeta := profilev1.ValueSource_VALUE_SOURCE_USER_METADATA

			t.Run("end user", func(t *testing.T) {
				resp, err := enduser.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: "me", Explain: true})
				if err != nil {
					t.Fatal(err)
				}
				checkExplanation(t, &profilev1.Explanation{
					Fields: []*fieldX{
						xKnown("first_name", idp, "given_name"),
						xHidden("plan"),
						xKnown("nickname", userMeta, ""),
						xDeclined("phone", 7*day),
						xAsked("title", 1, 80),
						xAsked("company", 2, 70),
						xOverLimit("city", 3, 2),
						xNotYet("team_size", 3, 2),
						xOutOfContext("site", "article", "blog"),
						xWaitingOn("role", 1, "city"),
					},
					Topics:      explainTopics("tips"),
					LoginsCount: 2, MaxFields: 2,
				}, resp.GetPrompt().GetExplanation())
				if msg := resp.GetPrompt().GetExplanation().GetFields()[1].GetMessage(); strings.Contains(msg, "declined") {
					t.Errorf("an end user learns that the application declined plan: %q", msg)
				}
				if diff := cmp.Diff([]string{"title", "company"}, keysOf(resp.GetPrompt())); diff != "" {
					t.Errorf("prompt fields (-want +got):\n%s", diff)
				}
			})

			t.Run("service", func(t *testing.T) {
				resp, err := svc.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: user, Explain: true})
				if err != nil {
					t.Fatal(err)
				}
				checkExplanation(t, &profilev1.Explanation{
					Fields: []*fieldX{
						xKnown("first_name", idp, "given_name"),
						xDeclined("plan", 30*day),
						xKnown("nickname", userMeta, ""),
						xDeclined("phone", 7*day),
						xAsked("title", 1, 80),
						xAsked("company", 2, 70),
						xOverLimit("city", 3, 2),
						xNotYet("team_size", 3, 2),
						xOutOfContext("site", "article", "blog"),
						xWaitingOn("role", 0, "city", "plan"),
					},
					Topics:      explainTopics("tips"),
					LoginsCount: 2, MaxFields: 2,
				}, resp.GetPrompt().GetExplanation())
			})

			t.Run("SubmitFields explains the prompt it returns", func(t *testing.T) {
				resp, err := svc.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{
					UserId: user, Values: mustStruct(t, map[string]any{"city": "Paris", "plan": "enterprise-secret"}),
					Context: "blog", MaxFields: 3, Explain: true,
				})
				if err != nil {
					t.Fatal(err)
				}
				checkExplanation(t, &profilev1.Explanation{
					Fields: []*fieldX{
						xKnown("first_name", idp, "given_name"),
						xKnown("plan", profilev1.ValueSource_VALUE_SOURCE_APP_METADATA, ""),
						xKnown("nickname", userMeta, ""),
						xDeclined("phone", 7*day),
						xAsked("title", 1, 80),
						xAsked("company", 2, 70),
						xKnown("city", userMeta, ""),
						xNotYet("team_size", 3, 2),
						xAsked("site", 3, 40),
						xOverLimit("role", 4, 3),
					},
					Topics:      explainTopics("tips"),
					LoginsCount: 2, MaxFields: 3,
				}, resp.GetPrompt().GetExplanation())
			})

			t.Run("an end user never sees an app_metadata value", func(t *testing.T) {
				resp, err := enduser.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: "me", Context: "article", MaxFields: 10, Explain: true})
				if err != nil {
					t.Fatal(err)
				}
				x := resp.GetPrompt().GetExplanation()
				if diff := cmp.Diff(xHidden("plan"), x.GetFields()[1], protocmp.Transform(), protocmp.IgnoreFields(&fieldX{}, "message")); diff != "" {
					t.Errorf("plan (-want +got):\n%s", diff)
				}
				if s := x.String(); strings.Contains(s, "enterprise-secret") {
					t.Errorf("the explanation holds the app_metadata value: %s", s)
				}
				// role no longer waits: city is known and plan (hidden) is set.
				if diff := cmp.Diff(xAsked("role", 4, 30), x.GetFields()[9], protocmp.Transform(), protocmp.IgnoreFields(&fieldX{}, "message")); diff != "" {
					t.Errorf("role (-want +got):\n%s", diff)
				}
			})

			t.Run("no explanation unless asked", func(t *testing.T) {
				resp, err := svc.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: user})
				if err != nil {
					t.Fatal(err)
				}
				sub, err := svc.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStruct(t, map[string]any{"title": "CTO"})})
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetPrompt().GetExplanation() != nil || sub.GetPrompt().GetExplanation() != nil {
					t.Errorf("explanations %v and %v without explain", resp.GetPrompt().GetExplanation(), sub.GetPrompt().GetExplanation())
				}
			})
		})
	}
}

func keysOf(p *profilev1.Prompt) []string {
	fields, _ := promptKeys(p)
	return fields
}

// TestExplainOverREST: explain is a query parameter of GET missing-fields, a body field of POST
// fields, and a malformed value is a 400.
func TestExplainOverREST(t *testing.T) {
	ts := startServer(t, serverOptions{})
	// The REST body as JSON values: protojson's spacing varies from build to build on purpose,
	// so the text is not compared.
	type explained struct {
		Prompt struct {
			Explanation *struct {
				Fields []struct{ Key, Reason string }
			} `json:"explanation"`
		} `json:"prompt"`
	}
	decode := func(resp *http.Response) (int, explained, string) {
		t.Helper()
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var out explained
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
		}
		return resp.StatusCode, out, string(body)
	}
	reason := func(e explained, key string) string {
		if e.Prompt.Explanation == nil {
			return ""
		}
		for _, f := range e.Prompt.Explanation.Fields {
			if f.Key == key {
				return f.Reason
			}
		}
		return ""
	}
	get := func(query string) (int, explained, string) {
		t.Helper()
		resp, err := http.Get(ts.httpURL + "/v1/users/auth0%7C1/missing-fields" + query)
		if err != nil {
			t.Fatal(err)
		}
		return decode(resp)
	}
	if code, e, body := get("?explain=true"); code != http.StatusOK || e.Prompt.Explanation == nil || e.Prompt.Explanation.Fields[0].Key != "first_name" || reason(e, "first_name") != "PROMPT_REASON_ASKED" {
		t.Errorf("?explain=true: HTTP %d %s; want an explanation, first_name asked first", code, body)
	}
	if code, _, body := get(""); code != http.StatusOK {
		t.Errorf("no explain: HTTP %d %s; want 200", code, body)
	} else if raw, ok := restExplanation(t, []byte(body)); ok {
		t.Errorf("no explain: explanation %s in %s; want no explanation key", raw, body)
	}
	if code, _, body := get("?explain=maybe"); code != http.StatusBadRequest {
		t.Errorf("?explain=maybe: HTTP %d %s; want 400", code, body)
	}
	resp, err := http.Post(ts.httpURL+"/v1/users/auth0%7C1/fields", "application/json", strings.NewReader(`{"values": {"title": "CTO"}, "explain": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if code, e, body := decode(resp); code != http.StatusOK || reason(e, "title") != "PROMPT_REASON_KNOWN" {
		t.Errorf("POST with explain: HTTP %d %s; want title explained as known", code, body)
	}
}

// restExplanation returns the raw JSON of prompt.explanation in a REST response body, and
// whether the key is there at all.
func restExplanation(t *testing.T, body []byte) (json.RawMessage, bool) {
	t.Helper()
	var resp struct {
		Prompt map[string]json.RawMessage `json:"prompt"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("response %s: %v", body, err)
	}
	raw, ok := resp.Prompt["explanation"]
	return raw, ok
}

// TestExplainRequestIsValidatedAsBefore: explain changes no validation.
func TestExplainRequestIsValidatedAsBefore(t *testing.T) {
	ts := startServer(t, serverOptions{})
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			_, err := tr.client(ts, "").GetMissingFields(context.Background(), &profilev1.GetMissingFieldsRequest{UserId: "auth0|1", MaxFields: 99, Explain: true})
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("max_fields 99 with explain: %v, want InvalidArgument", err)
			}
		})
	}
}
