package rest

import (
	"context"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// TestEveryRPCHasARESTRoute walks the service's descriptor: each RPC must have an HTTP binding
// (proto/profile/v1/profile_http.yaml) and the gateway must route a request on that binding
// to that RPC, in-process. A new RPC without a binding fails here instead of being absent from
// REST.
func TestEveryRPCHasARESTRoute(t *testing.T) {
	rules := httpRules(t)
	var reached string
	record := func(_ context.Context, _ any, info *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
		reached = info.FullMethod
		return nil, status.Error(codes.Aborted, "recorded")
	}
	gw, err := newGateway(context.Background(), Config{Service: profilev1.UnimplementedProfileServiceServer{}, Interceptor: record})
	if err != nil {
		t.Fatal(err)
	}
	services := profilev1.File_profile_v1_profile_proto.Services()
	if services.Len() == 0 {
		t.Fatal("no service in profile.proto")
	}
	param := regexp.MustCompile(`\{[^}]*\}`)
	for i := range services.Len() {
		methods := services.Get(i).Methods()
		for j := range methods.Len() {
			m := methods.Get(j)
			selector := string(m.FullName())
			t.Run(selector, func(t *testing.T) {
				rule, ok := rules[selector]
				if !ok {
					t.Fatalf("%s has no HTTP binding in profile_http.yaml: it is not served over REST", selector)
				}
				verb, path := ruleRoute(rule)
				if verb == "" {
					t.Fatalf("the HTTP binding of %s has no method and path: %v", selector, rule)
				}
				reached = ""
				req := httptest.NewRequest(verb, param.ReplaceAllString(path, "auth0%7C1"), strings.NewReader("{}"))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				gw.ServeHTTP(rec, req)
				want := "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
				if reached != want {
					t.Errorf("%s %s reached %q (HTTP %d %s), want %s", verb, path, reached, rec.Code, rec.Body, want)
				}
			})
		}
	}
}

// httpRules returns the HTTP bindings of profile_http.yaml by selector.
func httpRules(t *testing.T) map[string]map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../../proto/profile/v1/profile_http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var bindings struct {
		HTTP struct {
			Rules []map[string]string `yaml:"rules"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(raw, &bindings); err != nil {
		t.Fatal(err)
	}
	rules := map[string]map[string]string{}
	for _, r := range bindings.HTTP.Rules {
		rules[r["selector"]] = r
	}
	return rules
}

// ruleRoute returns the HTTP method and path pattern of a binding.
func ruleRoute(rule map[string]string) (verb, path string) {
	for _, v := range []string{"get", "post", "put", "patch", "delete"} {
		if p, ok := rule[v]; ok {
			return strings.ToUpper(v), p
		}
	}
	return "", ""
}
