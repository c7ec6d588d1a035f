package rest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// TestRESTJSONMatchesProtojson: the prompt fast path writes what protojson would, key for key,
// except an unset explanation, which it leaves out where protojson writes null.
func TestRESTJSONMatchesProtojson(t *testing.T) {
	maxLen := int32(100)
	spec := &profilev1.FieldSpec{Key: "title", Label: "Job \"title\" <b>", Type: profilev1.FieldType_FIELD_TYPE_TEXT, MaxLength: &maxLen, Store: profilev1.FieldStore_FIELD_STORE_USER_METADATA,
		Options: []*profilev1.FieldOption{{Value: "a", Label: "Ä"}}}
	topic := &profilev1.TopicSpec{Topic: "weekly-digest", Label: "Weekly digest"}
	prompt := &profilev1.Prompt{Fields: []*profilev1.FieldSpec{spec, spec}, Topics: []*profilev1.TopicSpec{topic}, Complete: false, KnownCount: 3, ApplicableCount: 7}
	explained := proto.Clone(prompt).(*profilev1.Prompt)
	explained.Explanation = &profilev1.Explanation{
		Fields: []*profilev1.FieldExplanation{
			{Key: "title", Reason: profilev1.PromptReason_PROMPT_REASON_ASKED, Message: "Asked: \"position\" 1.",
				Details: &profilev1.FieldExplanation_Asked{Asked: &profilev1.AskedDetails{Rank: 1, Priority: 50}}},
			{Key: "plan", Reason: profilev1.PromptReason_PROMPT_REASON_HIDDEN},
		},
		Topics: []*profilev1.TopicExplanation{{Topic: "weekly-digest", Reason: profilev1.PromptReason_PROMPT_REASON_SUBSCRIBED,
			Details: &profilev1.TopicExplanation_Subscribed{Subscribed: &profilev1.Subscription{Topic: "weekly-digest", Since: timestamppb.New(time.Unix(1764064800, 0))}}}},
		LoginsCount: 2, MaxFields: 2,
	}
	claims, err := structpb.NewStruct(map[string]any{"profile_step": map[string]any{"v": 1, "context": "login"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  proto.Message
	}{
		{"prompt with fields and topics", &profilev1.GetMissingFieldsResponse{Prompt: prompt}},
		{"explained prompt", &profilev1.GetMissingFieldsResponse{Prompt: explained}},
		{"explained prompt after a submission", &profilev1.SubmitFieldsResponse{Prompt: explained, ChangedFields: []string{"title"}}},
		{"empty prompt", &profilev1.GetMissingFieldsResponse{Prompt: &profilev1.Prompt{Complete: true}}},
		{"no prompt", &profilev1.GetMissingFieldsResponse{}},
		{"submit with changes", &profilev1.SubmitFieldsResponse{Prompt: prompt, ChangedFields: []string{"title", "company"}}},
		{"submit without changes", &profilev1.SubmitFieldsResponse{Prompt: prompt}},
		{"login prompt, not due", &profilev1.GetLoginPromptResponse{Prompt: &profilev1.Prompt{Complete: true}}},
		{"login prompt, due", &profilev1.GetLoginPromptResponse{Due: true, Prompt: prompt, SessionTokenClaims: claims}},
		{"explained login prompt", &profilev1.GetLoginPromptResponse{Due: true, Prompt: explained, SessionTokenClaims: claims}},
	}
	m := newRESTJSON()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second time from cached fragments
				fast, err := m.Marshal(tt.msg)
				if err != nil {
					t.Fatal(err)
				}
				slow, err := m.JSONPb.Marshal(tt.msg)
				if err != nil {
					t.Fatal(err)
				}
				var gotJSON, wantJSON any
				if err := json.Unmarshal(fast, &gotJSON); err != nil {
					t.Fatalf("fast path wrote invalid JSON %s: %v", fast, err)
				}
				_ = json.Unmarshal(slow, &wantJSON)
				dropNullExplanation(wantJSON)
				if diff := cmp.Diff(wantJSON, gotJSON); diff != "" {
					t.Errorf("JSON (-protojson +fast):\n%s", diff)
				}
				back := tt.msg.ProtoReflect().New().Interface()
				if err := protojson.Unmarshal(fast, back); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.msg, back, protocmp.Transform()); diff != "" {
					t.Errorf("decoded message (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// dropNullExplanation removes "explanation": null from the prompt of a decoded response.
func dropNullExplanation(resp any) {
	r, _ := resp.(map[string]any)
	p, _ := r["prompt"].(map[string]any)
	if x, ok := p["explanation"]; ok && x == nil {
		delete(p, "explanation")
	}
}

// TestRESTJSONLeavesOutAnUnsetExplanation: a prompt without explain carries no explanation key
// at all, so that REST callers that did not ask see no change; one with it carries the object.
func TestRESTJSONLeavesOutAnUnsetExplanation(t *testing.T) {
	plain := &profilev1.Prompt{KnownCount: 1, ApplicableCount: 2}
	explained := &profilev1.Prompt{Explanation: &profilev1.Explanation{MaxFields: 2}}
	tests := []struct {
		name string
		msg  proto.Message
		want bool
	}{
		{"GetMissingFields", &profilev1.GetMissingFieldsResponse{Prompt: plain}, false},
		{"SubmitFields", &profilev1.SubmitFieldsResponse{Prompt: plain, ChangedFields: []string{"title"}}, false},
		{"GetMissingFields with explain", &profilev1.GetMissingFieldsResponse{Prompt: explained}, true},
		{"SubmitFields with explain", &profilev1.SubmitFieldsResponse{Prompt: explained}, true},
		{"GetLoginPrompt", &profilev1.GetLoginPromptResponse{Prompt: plain}, false},
		{"GetLoginPrompt with explain", &profilev1.GetLoginPromptResponse{Due: true, Prompt: explained}, true},
	}
	m := newRESTJSON()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := m.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			var resp struct{ Prompt map[string]json.RawMessage }
			if err := json.Unmarshal(b, &resp); err != nil {
				t.Fatalf("response %s: %v", b, err)
			}
			x, ok := resp.Prompt["explanation"]
			if ok != tt.want || (ok && string(x) == "null") {
				t.Errorf("prompt %s: explanation present = %v, want %v (and never null)", b, ok, tt.want)
			}
		})
	}
}
