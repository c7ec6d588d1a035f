package rest

import (
	"html/template"
	"net/http"
)

// indexPage is what a browser sees at the root of the HTTP port: where the API and its docs are.
var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Progressive profiling service</title></head>
<body>
<h1>Progressive profiling service</h1>
<p>REST facade of <code>profile.v1.ProfileService</code>{{if .Auth}}; every call needs an Auth0 access token (<code>Authorization: Bearer</code>){{else}}; caller authentication is off (loopback only){{end}}.</p>
<ul>
<li><code>GET /v1/users/{user_id}/missing-fields?context=&amp;max_fields=&amp;locale=</code>: what to ask now</li>
<li><code>POST /v1/users/{user_id}/fields</code>: store answers and declines</li>
<li><code>POST /v1/users/{user_id}/subscriptions</code>: subscribe or unsubscribe a topic</li>
<li><code>GET /v1/users/{user_id}/profile</code>: known values and subscriptions</li>
<li><a href="/v1/fields">GET /v1/fields</a>: the field catalog</li>
<li><code>POST /v1/users/{user_id}/login-prompt</code>: what to ask at login, for the Auth0 Action{{if not .Step}} (the login step is off){{end}}</li>
{{if .Step}}<li><code>GET/POST /login/profile</code>: the hosted login step, opened by the Auth0 Action</li>
{{end}}</ul>
<p>User ids are percent-encoded in paths (<code>auth0%7C123</code>); <code>me</code> is the caller.</p>
<p><a href="/openapi.json">OpenAPI document</a> · <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>
</body></html>
`))

// indexHandler serves indexPage for a server with caller authentication on or off (auth) and
// the login step on or off (step).
func indexHandler(auth, step bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = indexPage.Execute(w, struct{ Auth, Step bool }{auth, step})
	})
}
