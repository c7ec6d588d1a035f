package loginstep

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/engine"
)

// The server's time to render the step (GET) and to accept an answer (POST: verify, validate
// with the engine, record the token's use, sign the return token, render the continue page),
// measured on the handler alone over the built-in catalog; each run reports the mean (ns/op)
// and the p50 and p99 of the requests timed. Run with:
//
//	go test ./server/internal/loginstep -run '^$' -bench . -benchtime 2000x
func BenchmarkRenderStep(b *testing.B) {
	h, tok := benchStep(b)
	u := Path + "?" + url.Values{"session_token": {tok}, "state": {testState}}.Encode()
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, u, nil)
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		durations = append(durations, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("GET: %d", w.Code)
		}
	}
	reportPercentiles(b, durations)
}

func BenchmarkAcceptStep(b *testing.B) {
	h, _ := benchStep(b)
	const nonce = "bench-nonce-0000000000000000000000000000000"
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// A token per answer, as each login gets its own; minting it is the Action's work.
		tok := benchToken(b, h)
		st, err := h.verify(tok)
		if err != nil {
			b.Fatal(err)
		}
		form := url.Values{"session_token": {tok}, "state": {testState}, "binding": {h.binding(nonce, st.id)}, "action": {actionSave},
			"f:last_name": {"Lovelace"}, "f:title": {"Engineer"}, "t:weekly-digest": {"yes"}}
		req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: nonceCookieName(req), Value: nonce})
		w := httptest.NewRecorder()
		b.StartTimer()
		start := time.Now()
		h.ServeHTTP(w, req)
		durations = append(durations, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("POST: %d\n%s", w.Code, w.Body)
		}
	}
	reportPercentiles(b, durations)
}

func benchStep(b *testing.B) (*Handler, string) {
	h, err := New(Config{Secret: []byte(testSecret), Tenant: &url.URL{Scheme: "https", Host: tenantHost}, Engine: engine.New(engine.DefaultCatalog(), nil)})
	if err != nil {
		b.Fatal(err)
	}
	return h, benchToken(b, h)
}

var benchSeq int

// benchToken signs a fresh Action token for Ada at her second login, now.
func benchToken(b *testing.B, h *Handler) string {
	benchSeq++
	claims := ticketClaims(b, adaProfile(), "en")
	tok, err := encodeNow(claims, benchSeq)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[min(len(d)-1, int(q*float64(len(d))))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
