package auth0test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	usersPrefix = "/api/v2/users/"
	maxBody     = 1 << 20
)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		s.serveToken(w, r)
	case strings.HasPrefix(r.URL.EscapedPath(), usersPrefix):
		s.serveUser(w, r)
	default:
		writeAPIError(w, http.StatusNotFound, "Not Found", "")
	}
}

// serveToken implements the client-credentials grant of /oauth/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls.Token++
	failing := s.tokenFailure
	s.mu.Unlock()
	if failing {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "temporarily_unavailable", "error_description": "The service is unavailable"})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})
		return
	}
	id, secret := clientCredentials(r)
	if id != ClientID || secret != ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "access_denied", "error_description": "Unauthorized"})
		return
	}
	if aud := r.PostForm.Get("audience"); aud != s.URL()+"/api/v2/" {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "access_denied", "error_description": "Service not enabled within domain: " + aud})
		return
	}
	tok := newToken()
	s.mu.Lock()
	s.issued[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 86400, "token_type": "Bearer", "scope": "read:users update:users"})
}

// clientCredentials reads the client's id and secret from HTTP Basic auth (form-encoded, as
// RFC 6749 asks) or from the form.
func clientCredentials(r *http.Request) (string, string) {
	if id, secret, ok := r.BasicAuth(); ok {
		uid, err1 := url.QueryUnescape(id)
		usecret, err2 := url.QueryUnescape(secret)
		if err1 == nil && err2 == nil {
			return uid, usecret
		}
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
}

// serveUser implements GET and PATCH /api/v2/users/{id}, after authentication and faults.
func (s *Server) serveUser(w http.ResponseWriter, r *http.Request) {
	// Reading the body first lets the server notice a client that hangs up during the latency.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	if !s.countAndAuthorize(w, r) || !s.injectFaults(w, r) {
		return
	}
	// Route on the escaped path: an id holding '/' arrives as %2F.
	escaped := strings.TrimPrefix(r.URL.EscapedPath(), usersPrefix)
	id, uerr := url.PathUnescape(escaped)
	if escaped == "" || strings.Contains(escaped, "/") || uerr != nil {
		writeAPIError(w, http.StatusNotFound, "Not Found", "")
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.getUser(w, id)
	case http.MethodPatch:
		s.patchUser(w, body, id)
	default:
		writeAPIError(w, http.StatusNotFound, "Not Found", "")
	}
}

// countAndAuthorize counts the request, applies the tenant's rate limit and checks the token.
func (s *Server) countAndAuthorize(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		s.calls.Get++
	case http.MethodPatch:
		s.calls.Patch++
	}
	if !s.limitRequest(w, r) {
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.issued[tok] {
		writeAPIError(w, http.StatusUnauthorized, "Invalid token", "")
		return false
	}
	return true
}

// injectFaults applies latency, throttling and failures; it reports whether to go on.
func (s *Server) injectFaults(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.throttleNext > 0:
		s.throttleNext--
		setRateHeaders(w.Header(), s.limit.Burst, 0, s.throttleTill)
		writeAPIError(w, http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests")
		return false
	case s.failNext > 0:
		s.failNext--
		writeAPIError(w, s.failStatus, http.StatusText(s.failStatus), "")
		return false
	}
	return true
}

func (s *Server) getUser(w http.ResponseWriter, id string) {
	u, ok := s.User(id)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "The user does not exist.", "inexistent_user")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) patchUser(w http.ResponseWriter, raw []byte, id string) {
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		writeAPIError(w, http.StatusBadRequest, "Payload validation error: 'Expected type object' on the request body.", "invalid_body")
		return
	}
	if msg := validatePatch(body); msg != "" {
		writeAPIError(w, http.StatusBadRequest, msg, "invalid_body")
		return
	}
	s.mu.Lock()
	u, ok := s.users[id]
	if ok {
		applyPatch(u, body)
		u = deepCopy(u)
	}
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, http.StatusNotFound, "The user does not exist.", "inexistent_user")
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// writeAPIError writes a Management API error body.
func writeAPIError(w http.ResponseWriter, status int, message, errorCode string) {
	body := map[string]any{"statusCode": status, "error": http.StatusText(status), "message": message}
	if errorCode != "" {
		body["errorCode"] = errorCode
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
