package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenTimeout bounds one token request when the context does not supply its own HTTP client.
const tokenTimeout = 10 * time.Second

// Auth0TokenSource returns a token source for an Auth0 machine-to-machine application: it
// posts the client credentials and the API identifier (audience) to https://{domain}/oauth/token
// and caches the access token until shortly before it expires. domain is the tenant domain,
// such as "acme.eu.auth0.com"; a full URL is accepted too, with http only for loopback hosts
// (local test servers). ctx must live as long as the token source: it is used for every token
// request, with its oauth2.HTTPClient when it holds one (otherwise a client with a 10 s timeout).
// Configuration errors are returned by the source's Token method.
func Auth0TokenSource(ctx context.Context, domain, clientID, clientSecret, audience string) oauth2.TokenSource {
	tokenURL, err := auth0TokenURL(domain)
	if err == nil && (clientID == "" || clientSecret == "" || audience == "") {
		err = errors.New("client: Auth0 client id, client secret and audience are all required")
	}
	if err != nil {
		return failingTokenSource{err: err}
	}
	if _, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); !ok {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: tokenTimeout})
	}
	config := clientcredentials.Config{
		ClientID:       clientID,
		ClientSecret:   clientSecret,
		TokenURL:       tokenURL,
		EndpointParams: url.Values{"audience": {audience}},
		// Auth0's default for machine-to-machine applications is client_secret_post.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	return config.TokenSource(ctx)
}

// auth0TokenURL returns the token endpoint of an Auth0 tenant domain or base URL.
func auth0TokenURL(domain string) (string, error) {
	domain = strings.TrimSuffix(strings.TrimSpace(domain), "/")
	if domain == "" {
		return "", errors.New("client: Auth0 domain is required")
	}
	if !strings.Contains(domain, "://") {
		domain = "https://" + domain
	}
	u, err := url.Parse(domain)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("client: Auth0 domain %q is not a host name or base URL", domain)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackTarget(u.Host):
	default:
		return "", fmt.Errorf("client: Auth0 domain %q must use https (http only for loopback hosts)", domain)
	}
	return u.Scheme + "://" + u.Host + "/oauth/token", nil
}

// failingTokenSource reports a configuration error on every call.
type failingTokenSource struct{ err error }

// Token returns the configuration error.
func (f failingTokenSource) Token() (*oauth2.Token, error) { return nil, f.err }
