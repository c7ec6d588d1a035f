package loginclaims

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Claim names and the version of their content.
const (
	// TicketClaim holds the ticket in the token the Action sends to the step.
	TicketClaim = "profile_step"
	// ChangesClaim holds the changes in the token the step sends back to Auth0's /continue.
	ChangesClaim = "profile_changes"
	// Version is the version of both claims' content; a token of another version is refused.
	Version = 1
)

// MaxTicketBytes bounds a ticket as JSON. The ticket travels in the redirect URL's query, which
// browsers, proxies and servers cap at a few kilobytes to a few tens of kilobytes.
const MaxTicketBytes = 8 << 10

// ErrTicketTooLarge is returned (wrapped, with the size) by Ticket.Claims for a ticket over
// MaxTicketBytes.
var ErrTicketTooLarge = errors.New("the profile's part that the catalog reads is too large to carry in the login step's token")

// Ticket is what the hosted step needs to ask a user at login, without reading the store.
type Ticket struct {
	// Context is the prompt's context, "login" unless the Action asked for another.
	Context string
	// Locale is the user's locale; empty means the catalog's default language.
	Locale string
	// MaxFields caps the prompt; 0 means the catalog's default.
	MaxFields int
	// Profile is the part of the user's profile that the catalog reads (engine.Relevant). Its
	// UserID is not carried: the token's sub names the user.
	Profile *store.Profile
}

type ticketJSON struct {
	V         int            `json:"v"`
	Context   string         `json:"context"`
	Locale    string         `json:"locale,omitempty"`
	MaxFields int            `json:"max_fields,omitempty"`
	Attrs     map[string]any `json:"attributes,omitempty"`
	User      map[string]any `json:"user_metadata,omitempty"`
	App       map[string]any `json:"app_metadata,omitempty"`
}

// Claims returns the token claims carrying t, {"profile_step": {...}}, as JSON values. It
// returns an error wrapping ErrTicketTooLarge when t is over MaxTicketBytes as JSON.
func (t Ticket) Claims() (map[string]any, error) {
	p := t.Profile
	if p == nil {
		p = &store.Profile{}
	}
	raw, err := json.Marshal(ticketJSON{V: Version, Context: t.Context, Locale: t.Locale, MaxFields: t.MaxFields,
		Attrs: p.Attributes, User: p.UserMetadata, App: p.AppMetadata})
	if err != nil {
		return nil, fmt.Errorf("encode ticket: %w", err)
	}
	if len(raw) > MaxTicketBytes {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrTicketTooLarge, len(raw), MaxTicketBytes)
	}
	// Round-trip so that the claims hold plain JSON values, as a verifier would decode them.
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return map[string]any{TicketClaim: v}, nil
}

// ParseTicket reads the ticket from the value of the TicketClaim claim of a verified token,
// for the user sub. It refuses anything but a well-formed ticket of this Version.
func ParseTicket(sub string, claim any) (Ticket, error) {
	raw, err := json.Marshal(claim)
	if err != nil || claim == nil {
		return Ticket{}, errors.New("no ticket claim")
	}
	var tj ticketJSON
	if err := strictUnmarshal(raw, &tj); err != nil {
		return Ticket{}, fmt.Errorf("malformed ticket: %w", err)
	}
	if tj.V != Version {
		return Ticket{}, fmt.Errorf("ticket version %d, want %d", tj.V, Version)
	}
	if tj.MaxFields < 0 {
		return Ticket{}, errors.New("negative max_fields")
	}
	return Ticket{
		Context: tj.Context, Locale: tj.Locale, MaxFields: tj.MaxFields,
		Profile: &store.Profile{UserID: sub, Attributes: tj.Attrs, UserMetadata: tj.User, AppMetadata: tj.App},
	}, nil
}

func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
