package loginclaims

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

func TestTicketRoundTrip(t *testing.T) {
	in := Ticket{Context: "login", Locale: "fr-CA", MaxFields: 3, Profile: &store.Profile{
		Attributes:   map[string]any{"given_name": "Ada", "logins_count": 2.0},
		UserMetadata: map[string]any{"subscribed": map[string]any{"digest": map[string]any{"since": "2026-01-01T00:00:00Z"}}},
		AppMetadata:  map[string]any{"plan": "pro"},
	}}
	claims, err := in.Claims()
	if err != nil {
		t.Fatal(err)
	}
	// As a token carries them: JSON there and back.
	raw, _ := json.Marshal(claims)
	var decoded map[string]any
	_ = json.Unmarshal(raw, &decoded)
	got, err := ParseTicket("auth0|ada", decoded[TicketClaim])
	if err != nil {
		t.Fatal(err)
	}
	in.Profile.UserID = "auth0|ada"
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("ticket (-sent +read):\n%s", diff)
	}
}

func TestTicketTooLarge(t *testing.T) {
	big := Ticket{Context: "login", Profile: &store.Profile{UserMetadata: map[string]any{"bio": strings.Repeat("x", MaxTicketBytes)}}}
	if _, err := big.Claims(); !errors.Is(err, ErrTicketTooLarge) {
		t.Errorf("Claims of a %d-byte ticket: error %v, want ErrTicketTooLarge", MaxTicketBytes, err)
	}
}

func TestParseTicketRefusesMalformedClaims(t *testing.T) {
	for name, claim := range map[string]any{
		"missing":         nil,
		"not an object":   "profile",
		"other version":   map[string]any{"v": 2.0, "context": "login"},
		"no version":      map[string]any{"context": "login"},
		"unknown member":  map[string]any{"v": 1.0, "context": "login", "user_id": "auth0|eve"},
		"wrong type":      map[string]any{"v": 1.0, "context": 7.0},
		"negative max":    map[string]any{"v": 1.0, "context": "login", "max_fields": -1.0},
		"metadata a list": map[string]any{"v": 1.0, "context": "login", "user_metadata": []any{}},
	} {
		if _, err := ParseTicket("auth0|a", claim); err == nil {
			t.Errorf("%s: ParseTicket accepted %v", name, claim)
		}
	}
}

func TestChangesTouchOnlyWhatChanged(t *testing.T) {
	before := &store.Profile{
		UserMetadata: map[string]any{
			"first_name": "Ada", "theme": "dark",
			"subscribed": map[string]any{"news": map[string]any{"since": "2026-01-01T00:00:00Z", "source": "app"}},
		},
		AppMetadata: map[string]any{"profiling_declines": map[string]any{"fields": map[string]any{"title": "2026-11-01T00:00:00Z"}}},
	}
	after := &store.Profile{
		UserMetadata: map[string]any{
			"first_name": "Ada", "last_name": "Lovelace", "theme": "dark",
			"subscribed": map[string]any{
				"news":   map[string]any{"since": "2026-01-01T00:00:00Z", "source": "app"},
				"digest": map[string]any{"since": "2026-11-25T10:00:00Z", "source": "login"},
			},
		},
		AppMetadata: map[string]any{},
	}
	want := []Op{
		{Op: OpSet, In: UserMetadata, Path: []string{"last_name"}, Value: "Lovelace"},
		{Op: OpSet, In: UserMetadata, Path: []string{"subscribed", "digest", "since"}, Value: "2026-11-25T10:00:00Z"},
		{Op: OpSet, In: UserMetadata, Path: []string{"subscribed", "digest", "source"}, Value: "login"},
		{Op: OpRemove, In: AppMetadata, Path: []string{"profiling_declines", "fields", "title"}},
	}
	got := Changes(before, after)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Changes (-want +got):\n%s", diff)
	}
	if got := Changes(before, before); len(got) != 0 {
		t.Errorf("Changes of an unchanged profile = %v, want none", got)
	}
	claims := ChangesClaims(nil)
	if diff := cmp.Diff(map[string]any{ChangesClaim: map[string]any{"v": Version, "ops": []Op{}}}, claims); diff != "" {
		t.Errorf("ChangesClaims(nil) (-want +got):\n%s", diff)
	}
}
