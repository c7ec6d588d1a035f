// Command profilectl makes the common profile.v1.ProfileService calls from a terminal, through
// the Go client, and prints the responses as JSON (explain prints a prompt's explanation as a
// table). It is a convenience for developers; grpcurl (with server reflection) stays the
// documented debugging tool, and profilectl must not grow logic of its own beyond turning
// arguments into requests and responses into text: the reasons and their sentences come from
// the server.
//
// Usage:
//
//	profilectl [--addr host:port] [--insecure] [--timeout 10s] COMMAND ARGS...
//
// Run it with --help for the commands. The access token, if any, is read from PROFILE_TOKEN.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv("PROFILE_TOKEN"), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
