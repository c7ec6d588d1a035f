package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// config is what a client of the double needs to reach it as the service does.
type config struct {
	Domain       string `json:"domain"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// controlAPI fills and steers dbl:
//
//	GET  /config      the double's domain and client credentials
//	GET  /calls       the requests it received (auth0test.Counts)
//	POST /users       adds the users of a JSON array of user objects, each with its user_id
//	PUT  /latency     sets the added latency to the body's duration ("50ms")
//	PUT  /rate-limit  sets the tenant's rate limits to the body's auth0test.RateLimit
func controlAPI(dbl *auth0test.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, config{Domain: dbl.URL(), ClientID: auth0test.ClientID, ClientSecret: auth0test.ClientSecret})
	})
	mux.HandleFunc("GET /calls", func(w http.ResponseWriter, _ *http.Request) { reply(w, dbl.Calls()) })
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		var users []map[string]any
		if err := json.NewDecoder(r.Body).Decode(&users); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for i, u := range users {
			if id, ok := u["user_id"].(string); !ok || id == "" {
				http.Error(w, fmt.Sprintf("user %d has no user_id", i), http.StatusBadRequest)
				return
			}
		}
		for _, u := range users {
			dbl.AddUser(u["user_id"].(string), u)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /latency", func(w http.ResponseWriter, r *http.Request) {
		var s string
		d, err := time.Duration(0), json.NewDecoder(r.Body).Decode(&s)
		if err == nil {
			d, err = time.ParseDuration(s)
		}
		if err != nil || d < 0 {
			http.Error(w, fmt.Sprintf("want a JSON string of a duration not negative: %v", err), http.StatusBadRequest)
			return
		}
		dbl.SetLatency(d)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /rate-limit", func(w http.ResponseWriter, r *http.Request) {
		var l auth0test.RateLimit
		if err := json.NewDecoder(r.Body).Decode(&l); err != nil || l.Burst < 1 || l.PerSecond <= 0 {
			http.Error(w, fmt.Sprintf("want a rate limit with a positive Burst and PerSecond: %v", err), http.StatusBadRequest)
			return
		}
		dbl.SetRateLimit(l)
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
