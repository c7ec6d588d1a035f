package app

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

func promptKeys(p *profilev1.Prompt) (fields, topics []string) {
	for _, f := range p.GetFields() {
		fields = append(fields, f.GetKey())
	}
	for _, t := range p.GetTopics() {
		topics = append(topics, t.GetTopic())
	}
	return fields, topics
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJourney follows the classic progressive-profiling journey over each transport: sign-up
// gives the names, a later visit asks title and company, an article page subscribes the user,
// and nothing known is ever asked again.
func TestJourney(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			c := tr.client(ts, "")
			ctx := context.Background()
			user := "samlp|acme/conn|ada@example.com"
			ts.seed(t, user, map[string]any{"email": "ada@example.com", "logins_count": 1})

			askedEver := map[string]int{}
			ask := func(step, context string, wantFields, wantTopics []string) *profilev1.Prompt {
				t.Helper()
				resp, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: user, Context: context})
				if err != nil {
					t.Fatalf("%s: GetMissingFields: %v", step, err)
				}
				fields, topics := promptKeys(resp.GetPrompt())
				if diff := cmp.Diff(wantFields, fields); diff != "" {
					t.Errorf("%s: fields asked (-want +got):\n%s", step, diff)
				}
				if diff := cmp.Diff(wantTopics, topics); diff != "" {
					t.Errorf("%s: topics offered (-want +got):\n%s", step, diff)
				}
				for _, f := range fields {
					askedEver[f]++
				}
				return resp.GetPrompt()
			}

			// Sign-up: no names from the identity provider, so they are asked first.
			p := ask("sign-up", "", []string{"first_name", "last_name"}, nil)
			if p.GetComplete() || p.GetKnownCount() != 0 || p.GetApplicableCount() != 2 {
				t.Errorf("sign-up progress = complete %v, %d/%d, want incomplete 0/2", p.GetComplete(), p.GetKnownCount(), p.GetApplicableCount())
			}
			sub, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{
				UserId: user,
				Values: mustStruct(t, map[string]any{"first_name": "  Ada ", "last_name": "Lovelace"}),
			})
			if err != nil {
				t.Fatalf("SubmitFields names: %v", err)
			}
			if diff := cmp.Diff([]string{"first_name", "last_name"}, sub.GetChangedFields()); diff != "" {
				t.Errorf("changed fields (-want +got):\n%s", diff)
			}
			if f, _ := promptKeys(sub.GetPrompt()); len(f) != 0 || !sub.GetPrompt().GetComplete() {
				t.Errorf("after names on first login: prompt %v complete %v, want nothing more to ask", f, sub.GetPrompt().GetComplete())
			}
			ask("same visit", "", nil, nil)

			// A later visit: the second login unlocks title and company.
			ts.seed(t, user, map[string]any{"email": "ada@example.com", "logins_count": 2})
			p = ask("second login", "", []string{"title", "company"}, nil)
			if p.GetKnownCount() != 2 || p.GetApplicableCount() != 4 {
				t.Errorf("second login progress = %d/%d, want 2/4", p.GetKnownCount(), p.GetApplicableCount())
			}
			if _, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{
				UserId: user,
				Values: mustStruct(t, map[string]any{"title": "Engineer", "company": "Analytical Engines"}),
			}); err != nil {
				t.Fatalf("SubmitFields title/company: %v", err)
			}

			// An article page offers the digest; subscribing stops the offer.
			ask("article", "article", nil, []string{"weekly-digest"})
			ms, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: user, Topic: "weekly-digest", Subscribed: true, Source: "article:how-to-x"})
			if err != nil {
				t.Fatalf("MarkSubscribed: %v", err)
			}
			if len(ms.GetSubscriptions()) != 1 || ms.GetSubscriptions()[0].GetTopic() != "weekly-digest" || ms.GetSubscriptions()[0].GetSource() != "article:how-to-x" || ms.GetSubscriptions()[0].GetSince() == nil {
				t.Errorf("subscriptions = %v, want weekly-digest from article:how-to-x with a since", ms.GetSubscriptions())
			}
			p = ask("article after subscribing", "article", nil, nil)
			if !p.GetComplete() {
				t.Errorf("profile not complete after the journey: %d/%d", p.GetKnownCount(), p.GetApplicableCount())
			}
			for f, n := range askedEver {
				if n > 1 {
					t.Errorf("field %s was asked %d times; a known field must never be asked again", f, n)
				}
			}

			prof, err := c.GetProfile(ctx, &profilev1.GetProfileRequest{UserId: user})
			if err != nil {
				t.Fatalf("GetProfile: %v", err)
			}
			want := &profilev1.GetProfileResponse{
				Values: []*profilev1.FieldValue{
					{Key: "first_name", Value: structpb.NewStringValue("Ada"), Source: profilev1.ValueSource_VALUE_SOURCE_USER_METADATA},
					{Key: "last_name", Value: structpb.NewStringValue("Lovelace"), Source: profilev1.ValueSource_VALUE_SOURCE_USER_METADATA},
					{Key: "title", Value: structpb.NewStringValue("Engineer"), Source: profilev1.ValueSource_VALUE_SOURCE_USER_METADATA},
					{Key: "company", Value: structpb.NewStringValue("Analytical Engines"), Source: profilev1.ValueSource_VALUE_SOURCE_USER_METADATA},
				},
				Subscriptions: ms.GetSubscriptions(),
			}
			if diff := cmp.Diff(want, prof, protocmp.Transform()); diff != "" {
				t.Errorf("GetProfile (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIdentityProviderNamesAreNeverAsked: a Google user brings given_name and family_name, so
// the names are known from the start and only count as progress.
func TestIdentityProviderNamesAreNeverAsked(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			c := tr.client(ts, "")
			user := "google-oauth2|1234567890"
			ts.seed(t, user, map[string]any{"given_name": "Grace", "family_name": "Hopper", "logins_count": 3})
			resp, err := c.GetMissingFields(context.Background(), &profilev1.GetMissingFieldsRequest{UserId: user, MaxFields: 5})
			if err != nil {
				t.Fatal(err)
			}
			fields, _ := promptKeys(resp.GetPrompt())
			if diff := cmp.Diff([]string{"title", "company"}, fields); diff != "" {
				t.Errorf("fields asked (-want +got):\n%s", diff)
			}
			prof, err := c.GetProfile(context.Background(), &profilev1.GetProfileRequest{UserId: user})
			if err != nil {
				t.Fatal(err)
			}
			if len(prof.GetValues()) != 2 || prof.GetValues()[0].GetSource() != profilev1.ValueSource_VALUE_SOURCE_IDENTITY_PROVIDER || prof.GetValues()[0].GetAttribute() != "given_name" {
				t.Errorf("GetProfile values = %v, want first_name from given_name and last_name from family_name", prof.GetValues())
			}
		})
	}
}

// TestListFieldsDescribesTheCatalog: a frontend can build a form from ListFields alone.
func TestListFieldsDescribesTheCatalog(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			resp, err := tr.client(ts, "").ListFields(context.Background(), &profilev1.ListFieldsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, f := range resp.GetFields() {
				keys = append(keys, f.GetKey())
				if f.GetLabel() == "" || f.GetType() == profilev1.FieldType_FIELD_TYPE_UNSPECIFIED || f.GetStore() == profilev1.FieldStore_FIELD_STORE_UNSPECIFIED {
					t.Errorf("field %s lacks a label, type or store: %v", f.GetKey(), f)
				}
			}
			if diff := cmp.Diff([]string{"first_name", "last_name", "title", "company"}, keys); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if resp.GetDefaultMaxFields() != 2 || len(resp.GetTopics()) != 1 {
				t.Errorf("default_max_fields = %d, topics = %v; want 2 and weekly-digest", resp.GetDefaultMaxFields(), resp.GetTopics())
			}
		})
	}
}

func mustStructNoT(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(err)
	}
	return s
}
