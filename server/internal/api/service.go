package api

import (
	"context"
	"errors"
	"log/slog"
	"sort"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// Service serves profile.v1.ProfileService over an engine and a store.
type Service struct {
	profilev1.UnimplementedProfileServiceServer
	engine *engine.Engine
	store  store.Store
	logger *slog.Logger
	specs  *specCache
	// authRequired: caller auth is on, so a call without a principal is refused rather than
	// trusted (a route that skipped the auth interceptor fails closed).
	authRequired bool
	// loginStep: the server hosts the login step, so GetLoginPrompt answers.
	loginStep bool
}

// New returns the service. The logger receives internal causes of failures; callers only ever
// see the mapped status. With authRequired, every call must carry the principal the auth
// interceptor puts in its context; without, callers are trusted services (loopback only).
func New(e *engine.Engine, s store.Store, logger *slog.Logger, authRequired bool, opts ...Option) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	svc := &Service{engine: e, store: s, logger: logger, specs: newSpecCache(e.Catalog()), authRequired: authRequired}
	for _, o := range opts {
		o(svc)
	}
	return svc
}

// GetMissingFields returns the next prompt for a user.
func (s *Service) GetMissingFields(ctx context.Context, req *profilev1.GetMissingFieldsRequest) (*profilev1.GetMissingFieldsResponse, error) {
	preq := engine.PromptRequest{Context: req.GetContext(), MaxFields: int(req.GetMaxFields()), Explain: req.GetExplain()}
	if err := invalid(req.GetUserId(), s.engine.CheckPromptRequest(preq)); err != nil {
		return nil, s.status(ctx, err)
	}
	userID, principal, err := s.target(ctx, req.GetUserId(), auth.Read)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	preq.IncludeAppMetadata = auth.MayWriteAppMetadata(principal)
	p, err := s.store.Get(ctx, userID)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	prompt := s.engine.PromptChecked(p, preq)
	return &profilev1.GetMissingFieldsResponse{Prompt: s.specs.forLocale(req.GetLocale()).prompt(prompt)}, nil
}

// SubmitFields validates and stores answers and declines, then returns the next prompt.
func (s *Service) SubmitFields(ctx context.Context, req *profilev1.SubmitFieldsRequest) (*profilev1.SubmitFieldsResponse, error) {
	preq := engine.PromptRequest{Context: req.GetContext(), MaxFields: int(req.GetMaxFields()), Explain: req.GetExplain()}
	sub := engine.Submission{
		Values:        structToMap(req.GetValues()),
		Declines:      req.GetDeclinedFields(),
		DeclineTopics: req.GetDeclinedTopics(),
	}
	// Every violation at once, before the profile is read: a bad submission costs no store
	// call. What needs the profile is checked when the submission is applied to it.
	checked, serr := s.engine.CheckSubmission(sub)
	if err := invalid(req.GetUserId(), s.engine.CheckPromptRequest(preq), serr); err != nil {
		return nil, s.status(ctx, err)
	}
	userID, principal, err := s.target(ctx, req.GetUserId(), auth.Write)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	preq.IncludeAppMetadata = auth.MayWriteAppMetadata(principal)
	sub.AllowAppMetadata = preq.IncludeAppMetadata
	// An end user touching a service-only field is refused before the profile is read.
	if err := s.engine.CheckForbidden(sub); err != nil {
		return nil, s.status(ctx, err)
	}
	var changed []string
	p, err := s.store.Update(ctx, userID, func(current *store.Profile) (store.Patch, error) {
		patch, err := s.engine.ApplySubmission(current, checked)
		changed = changedFields(store.Changes(current, patch), sub)
		return patch, err
	})
	if err != nil {
		return nil, s.status(ctx, err)
	}
	prompt := s.engine.PromptChecked(p, preq)
	return &profilev1.SubmitFieldsResponse{Prompt: s.specs.forLocale(req.GetLocale()).prompt(prompt), ChangedFields: changed}, nil
}

// MarkSubscribed subscribes a user to a topic or unsubscribes them.
func (s *Service) MarkSubscribed(ctx context.Context, req *profilev1.MarkSubscribedRequest) (*profilev1.MarkSubscribedResponse, error) {
	change := engine.SubscriptionChange{Topic: req.GetTopic(), Subscribe: req.GetSubscribed(), Source: req.GetSource()}
	if err := invalid(req.GetUserId(), s.engine.CheckSubscriptionChange(change)); err != nil {
		return nil, s.status(ctx, err)
	}
	userID, _, err := s.target(ctx, req.GetUserId(), auth.Write)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	p, err := s.store.Update(ctx, userID, func(current *store.Profile) (store.Patch, error) {
		return s.engine.Subscribe(current, change)
	})
	if err != nil {
		return nil, s.status(ctx, err)
	}
	return &profilev1.MarkSubscribedResponse{Subscriptions: subscriptionsToProto(s.engine.Subscriptions(p))}, nil
}

// GetProfile returns the effective values of the catalog's fields for a user.
func (s *Service) GetProfile(ctx context.Context, req *profilev1.GetProfileRequest) (*profilev1.GetProfileResponse, error) {
	if err := invalid(req.GetUserId()); err != nil {
		return nil, s.status(ctx, err)
	}
	userID, _, err := s.target(ctx, req.GetUserId(), auth.Read)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	p, err := s.store.Get(ctx, userID)
	if err != nil {
		return nil, s.status(ctx, err)
	}
	values := s.engine.Effective(p)
	out := &profilev1.GetProfileResponse{
		Values:        make([]*profilev1.FieldValue, 0, len(values)),
		Subscriptions: subscriptionsToProto(s.engine.Subscriptions(p)),
	}
	for _, v := range values {
		pv, err := structpb.NewValue(v.Value)
		if err != nil {
			// A stored value that is not JSON-shaped cannot be returned faithfully; skip it
			// rather than fail the whole read, and say so in the logs.
			s.logger.WarnContext(ctx, "stored value is not representable as JSON", "field", v.Field.Key)
			continue
		}
		out.Values = append(out.Values, &profilev1.FieldValue{
			Key:       v.Field.Key,
			Value:     pv,
			Source:    sourceToProto(v.Source),
			Attribute: v.Attribute,
		})
	}
	return out, nil
}

// ListFields returns the catalog.
func (s *Service) ListFields(_ context.Context, req *profilev1.ListFieldsRequest) (*profilev1.ListFieldsResponse, error) {
	return s.specs.forLocale(req.GetLocale()).list, nil
}

// invalid gathers every violation of a request that can be found before reading the profile:
// the user id's and those of the checks given (each nil or an *engine.ValidationError). It
// returns nil when there are none.
func invalid(userID string, checks ...error) error {
	var vs []engine.Violation
	if msg := store.CheckUserID(userID); msg != "" {
		vs = append(vs, engine.Violation{Field: "user_id", Description: msg})
	}
	for _, err := range checks {
		if err == nil {
			continue
		}
		var verr *engine.ValidationError
		if !errors.As(err, &verr) {
			return err
		}
		vs = append(vs, verr.Violations...)
	}
	if len(vs) == 0 {
		return nil
	}
	return &engine.ValidationError{Violations: vs}
}

// target checks that the caller may act on the user, and returns the user id to use ("me"
// resolved) with the caller's principal (nil when caller auth is off). The user id was checked
// by invalid.
func (s *Service) target(ctx context.Context, userID string, access auth.Access) (string, *auth.Principal, error) {
	principal, _ := auth.PrincipalFrom(ctx)
	if principal == nil && s.authRequired {
		return "", nil, auth.ErrUnauthenticated
	}
	resolved, err := auth.Authorize(principal, userID, access)
	if err != nil {
		return "", nil, err
	}
	return resolved, principal, nil
}

func structToMap(s *structpb.Struct) map[string]any {
	if s == nil || len(s.GetFields()) == 0 {
		return nil
	}
	return s.AsMap()
}

// changedFields lists the submitted keys the patch changes, sorted.
func changedFields(patch store.Patch, sub engine.Submission) []string {
	var out []string
	for k := range sub.Values {
		if _, ok := patch.UserMetadata[k]; ok {
			out = append(out, k)
		} else if _, ok := patch.AppMetadata[k]; ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func subscriptionsToProto(subs map[string]engine.Subscription) []*profilev1.Subscription {
	out := make([]*profilev1.Subscription, 0, len(subs))
	for topic, sub := range subs {
		out = append(out, subscriptionToProto(topic, sub))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}

// subscriptionToProto translates one subscription; an unreadable stored time leaves since unset.
func subscriptionToProto(topic string, sub engine.Subscription) *profilev1.Subscription {
	ps := &profilev1.Subscription{Topic: topic, Source: sub.Source}
	if !sub.Since.IsZero() {
		ps.Since = timestamppb.New(sub.Since)
	}
	return ps
}
