package loginstep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/acme/progressive-profiling/server/internal/loginclaims"
)

// Limits on what a request may carry.
const (
	// maxTokenBytes bounds a session token: the ticket is at most loginclaims.MaxTicketBytes.
	maxTokenBytes = 16 << 10
	// maxStateBytes bounds Auth0's opaque state parameter.
	maxStateBytes = 2 << 10
	// clockSkew is tolerated on exp, nbf and iat.
	clockSkew = 30 * time.Second
)

// Why a token is refused; the reasons are logged, never the token.
var (
	errNoToken       = errors.New("no session_token")
	errTokenTooLarge = errors.New("session_token too large")
	errTokenExpired  = errors.New("session_token expired")
	errTokenInvalid  = errors.New("session_token invalid")
)

// stepToken is a verified token from the Action.
type stepToken struct {
	// id identifies the token for one-time use: the SHA-256 of its signed part (header and
	// payload as sent). Not of the whole text: the parser trims spaces around it, and base64url
	// spells a signature several ways (trailing bits, padding) that all verify; each of those
	// would pass for a new token.
	id string
	// sub is the user the step is for.
	sub string
	// expires is the token's exp.
	expires time.Time
	ticket  loginclaims.Ticket
}

// verify checks a session token from the Action: HS256 only, signed with the shared secret,
// not expired (exp required), issued by the tenant (iss, see acceptedIssuers), naming a user
// (sub) and carrying a ticket. Any failure returns an error safe to log.
func (h *Handler) verify(raw string) (*stepToken, error) {
	switch {
	case raw == "":
		return nil, errNoToken
	case len(raw) > maxTokenBytes:
		return nil, errTokenTooLarge
	}
	tok, err := jwt.ParseString(raw,
		jwt.WithKey(jwa.HS256(), h.secret),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(h.now)),
		jwt.WithAcceptableSkew(clockSkew),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
	)
	if err != nil {
		if errors.Is(err, jwt.TokenExpiredError()) {
			return nil, errTokenExpired
		}
		return nil, fmt.Errorf("%w: %s", errTokenInvalid, reason(err))
	}
	if iss, _ := tok.Issuer(); !h.issuers[iss] {
		return nil, fmt.Errorf("%w: wrong issuer", errTokenInvalid)
	}
	sub, _ := tok.Subject()
	if sub == "" {
		return nil, fmt.Errorf("%w: empty sub", errTokenInvalid)
	}
	var claim any
	if err := tok.Get(loginclaims.TicketClaim, &claim); err != nil {
		return nil, fmt.Errorf("%w: no %s claim", errTokenInvalid, loginclaims.TicketClaim)
	}
	ticket, err := loginclaims.ParseTicket(sub, claim)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errTokenInvalid, err)
	}
	exp, _ := tok.Expiration()
	// The signature is an HMAC of header.payload (after the spaces jwx trims), so that part
	// names the token whatever way the signature is spelled.
	signed := strings.TrimSpace(raw)
	sum := sha256.Sum256([]byte(signed[:strings.LastIndexByte(signed, '.')]))
	return &stepToken{id: hex.EncodeToString(sum[:]), sub: sub, expires: exp, ticket: ticket}, nil
}

// reason turns a jwx error into a fixed reason: jwx messages may quote claim values.
func reason(err error) string {
	switch {
	case errors.Is(err, jws.VerificationError()):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return "not yet valid"
	case errors.Is(err, jwt.InvalidIssuedAtError()):
		return "issued in the future"
	case errors.Is(err, jwt.MissingRequiredClaimError()):
		return "missing exp or sub"
	case errors.Is(err, jwt.ValidateError()):
		return "invalid claims"
	}
	return "malformed"
}

// ReturnIssuer is the iss of the tokens the step sends back to /continue. It is fixed (never the
// request's Host header, which the client chooses) and is no tenant host, so a returned token
// can never pass for one of the Action's.
const ReturnIssuer = "urn:progressive-profiling:login-step"

// sign returns the token the step sends back to /continue: HS256 with the shared secret, the
// state Auth0 gave (which validateToken compares), the user (sub), a short exp, and the
// changes for the Action to apply.
func (h *Handler) sign(sub, state string, ops []loginclaims.Op) (string, error) {
	now := h.now()
	b := jwt.NewBuilder().
		Issuer(ReturnIssuer).
		Subject(sub).
		IssuedAt(now).
		Expiration(now.Add(h.ttl)).
		Claim("state", state)
	for k, v := range loginclaims.ChangesClaims(ops) {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), h.secret))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}
