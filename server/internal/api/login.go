package api

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/loginclaims"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// LoginContext is the prompt context of the hosted login step, used when a GetLoginPrompt
// request names none.
const LoginContext = "login"

// errLoginStepOff is returned by GetLoginPrompt when the server does not serve the step.
var errLoginStepOff = errors.New("the hosted login step is off on this server (PROFILE_LOGIN_STEP)")

// WithLoginStep tells the service that the server hosts the login step, so that
// GetLoginPrompt answers.
func WithLoginStep() Option { return func(s *Service) { s.loginStep = true } }

// Option configures a Service.
type Option func(*Service)

// GetLoginPrompt says whether to send a user to the hosted step, from the profile the Auth0
// Action supplies, and returns the claims of the step's token.
func (s *Service) GetLoginPrompt(ctx context.Context, req *profilev1.GetLoginPromptRequest) (*profilev1.GetLoginPromptResponse, error) {
	preq := engine.PromptRequest{Context: req.GetContext(), MaxFields: int(req.GetMaxFields()), Explain: req.GetExplain()}
	if preq.Context == "" {
		preq.Context = LoginContext
	}
	if err := invalid(req.GetUserId(), s.engine.CheckPromptRequest(preq), checkLoginRequest(req)); err != nil {
		return nil, s.status(ctx, err)
	}
	userID, _, err := s.target(ctx, req.GetUserId(), auth.ReadSupplied)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	if !s.loginStep {
		return nil, s.status(ctx, errLoginStepOff)
	}
	// The user answers the step: app_metadata fields are not asked (IncludeAppMetadata false).
	p := loginProfile(userID, req.GetProfile())
	prompt := s.engine.PromptChecked(p, preq)
	resp := &profilev1.GetLoginPromptResponse{
		Due:    len(prompt.Fields) > 0 || len(prompt.Topics) > 0,
		Prompt: s.specs.forLocale(req.GetLocale()).prompt(prompt),
	}
	if !resp.Due {
		return resp, nil
	}
	ticket := loginclaims.Ticket{Context: preq.Context, Locale: req.GetLocale(), MaxFields: preq.MaxFields, Profile: s.engine.Relevant(p)}
	ticket.Profile.UserID = ""
	claims, err := ticket.Claims()
	if errors.Is(err, loginclaims.ErrTicketTooLarge) {
		return nil, s.status(ctx, &engine.ValidationError{Violations: []engine.Violation{{Field: "profile", Description: err.Error()}}})
	}
	if err != nil {
		return nil, s.status(ctx, err)
	}
	if resp.SessionTokenClaims, err = structpb.NewStruct(claims); err != nil {
		return nil, s.status(ctx, err)
	}
	return resp, nil
}

// checkLoginRequest returns the violations of a GetLoginPrompt request's own fields.
func checkLoginRequest(req *profilev1.GetLoginPromptRequest) error {
	var vs []engine.Violation
	if l := req.GetLocale(); l != "" && !engine.ValidLocale(l) {
		vs = append(vs, engine.Violation{Field: "locale", Description: "must be a language tag such as fr or fr-CA: at most 35 letters, digits, '-' and '_'"})
	}
	if req.GetProfile() == nil {
		vs = append(vs, engine.Violation{Field: "profile", Description: "is required: the profile Auth0 hands the Action (event.user)"})
	}
	if len(vs) == 0 {
		return nil
	}
	return &engine.ValidationError{Violations: vs}
}

// loginProfile builds the profile of a GetLoginPrompt request: root attributes, metadata, and
// logins_count (from event.stats) as a JSON number, as Auth0 writes it.
func loginProfile(userID string, lp *profilev1.LoginProfile) *store.Profile {
	p := &store.Profile{
		UserID:       userID,
		Attributes:   structToMap(lp.GetAttributes()),
		UserMetadata: structToMap(lp.GetUserMetadata()),
		AppMetadata:  structToMap(lp.GetAppMetadata()),
	}
	if lp.LoginsCount != nil {
		if p.Attributes == nil {
			p.Attributes = map[string]any{}
		}
		p.Attributes[engine.LoginsCountAttribute] = float64(lp.GetLoginsCount())
	}
	return p
}
