package rest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestDecodingErrorsDoNotEchoTheRequest: a body or query parameter the gateway cannot decode gets
// 400 with a message that quotes at most maxErrorMessageBytes of it, in valid UTF-8, however
// long the request (protojson and strconv quote the value they refuse in full).
func TestDecodingErrorsDoNotEchoTheRequest(t *testing.T) {
	gw, err := newGateway(context.Background(), Config{Service: &recordingService{}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("z", 60<<10)
	for _, tt := range []struct {
		name string
		req  *http.Request
	}{
		{"unknown field", httptest.NewRequest(http.MethodPost, "/v1/users/auth0%7C1/fields", strings.NewReader(`{"`+long+`":1}`))},
		{"bad value", httptest.NewRequest(http.MethodPost, "/v1/users/auth0%7C1/fields", strings.NewReader(`{"max_fields":"`+long+`"}`))},
		{"bad value of invalid UTF-8", httptest.NewRequest(http.MethodPost, "/v1/users/auth0%7C1/fields", strings.NewReader(`{"max_fields":"`+strings.Repeat("é\xff", 20<<10)+`"}`))},
		{"bad query parameter", httptest.NewRequest(http.MethodGet, "/v1/users/auth0%7C1/missing-fields?max_fields="+strings.Repeat("9", 20<<10), nil)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, tt.req)
			var st spb.Status
			if err := protojson.Unmarshal(rec.Body.Bytes(), &st); err != nil {
				t.Fatalf("body %.200q: %v", rec.Body.String(), err)
			}
			if rec.Code != http.StatusBadRequest || len(st.GetMessage()) > maxErrorMessageBytes+len("…") || !utf8.ValidString(st.GetMessage()) {
				t.Errorf("got %d with a message of %d bytes (valid UTF-8: %v), want 400 with at most %d bytes of UTF-8",
					rec.Code, len(st.GetMessage()), utf8.ValidString(st.GetMessage()), maxErrorMessageBytes+len("…"))
			}
		})
	}
}
