package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

func TestControlAPISteersTheDouble(t *testing.T) {
	dbl := auth0test.NewServer()
	defer dbl.Close()
	api := httptest.NewServer(controlAPI(dbl))
	defer api.Close()
	tests := []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, "/users", `[{"user_id":"auth0|a","user_metadata":{"title":"Engineer"}}]`, http.StatusNoContent},
		{http.MethodPost, "/users", `[{"email":"x@example.com"}]`, http.StatusBadRequest},
		{http.MethodPut, "/latency", `"5ms"`, http.StatusNoContent},
		{http.MethodPut, "/latency", `"-5ms"`, http.StatusBadRequest},
		{http.MethodPut, "/latency", `5`, http.StatusBadRequest},
		{http.MethodPut, "/rate-limit", `{"Burst":10,"PerSecond":5}`, http.StatusNoContent},
		{http.MethodPut, "/rate-limit", `{"Burst":0,"PerSecond":5}`, http.StatusBadRequest},
		{http.MethodGet, "/calls", "", http.StatusOK},
		{http.MethodGet, "/config", "", http.StatusOK},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, api.URL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s %s: %s, want %d", tt.method, tt.path, tt.body, resp.Status, tt.want)
		}
	}
	if u, ok := dbl.User("auth0|a"); !ok || u["user_metadata"].(map[string]any)["title"] != "Engineer" {
		t.Errorf("user added through the control API = %v, %v; want its metadata", u, ok)
	}
	resp, err := http.Get(dbl.URL() + "/api/v2/users/auth0%7Ca") // no token: 401, counted all the same
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := dbl.Calls(); got.Get != 1 {
		t.Errorf("calls = %+v, want the one GET", got)
	}
}

func TestRunWantsALoopbackControlAddress(t *testing.T) {
	if err := run(t.Context(), "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("run on 0.0.0.0 = %v, want an error asking for a loopback address", err)
	}
}
