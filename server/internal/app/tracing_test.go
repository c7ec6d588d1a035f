package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
	"github.com/acme/progressive-profiling/server/internal/testlog"
)

// TestRESTCallsAreTraced: with tracing on, a REST call continues the caller's trace: its RPC
// log line carries the trace id of the traceparent the browser sent.
func TestRESTCallsAreTraced(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "console") // spans go to stdout, shown with -v
	logs := &testlog.Buffer{}
	ts := startServer(t, serverOptions{logs: logs, cfg: func(c *config.Config) {
		c.Tracing = telemetry.Tracing{Enabled: true, ServiceName: telemetry.DefaultServiceName}
	}})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodGet, ts.httpURL+"/v1/users/auth0%7Ctraced/missing-fields", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "rpc" {
			if rec["trace_id"] != traceID {
				t.Errorf("rpc log trace_id = %v, want the caller's %s", rec["trace_id"], traceID)
			}
			return
		}
	}
	t.Errorf("no rpc log line in %s", logs.String())
}
