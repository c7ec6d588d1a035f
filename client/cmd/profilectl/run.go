package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/acme/progressive-profiling/client"
	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"golang.org/x/oauth2"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	// Registered so that error details (BadRequest, RetryInfo) print as JSON.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
)

// run executes one command line and returns the exit code: 0 on success, 1 when the call
// fails, 2 for a usage error.
func run(ctx context.Context, args []string, token string, stdout, stderr io.Writer) int {
	inv, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "profilectl: %v\n\n%s", err, usage)
		return 2
	}
	opts := []client.Option{client.WithUserAgent("profilectl")}
	if inv.insecure {
		opts = append(opts, client.WithInsecure())
	}
	if token != "" {
		opts = append(opts, client.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
	}
	c, err := client.New(inv.addr, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "profilectl: %v\n", err)
		return 1
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	resp, err := call(ctx, c, inv.request)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	if inv.table {
		if err := printExplanation(stdout, resp.(*profilev1.GetMissingFieldsResponse).GetPrompt(), inv.logins); err != nil {
			fmt.Fprintf(stderr, "profilectl: %v\n", err)
			return 1
		}
		return 0
	}
	return printJSON(stdout, stderr, resp)
}

// call sends req with the RPC its type belongs to.
func call(ctx context.Context, c *client.Client, req proto.Message) (proto.Message, error) {
	switch r := req.(type) {
	case *profilev1.GetMissingFieldsRequest:
		return c.GetMissingFields(ctx, r)
	case *profilev1.SubmitFieldsRequest:
		return c.SubmitFields(ctx, r)
	case *profilev1.MarkSubscribedRequest:
		return c.MarkSubscribed(ctx, r)
	case *profilev1.GetProfileRequest:
		return c.GetProfile(ctx, r)
	case *profilev1.ListFieldsRequest:
		return c.ListFields(ctx, r)
	default:
		return nil, fmt.Errorf("no RPC for %T", req)
	}
}

// printJSON writes m as multiline protojson.
func printJSON(stdout, stderr io.Writer, m proto.Message) int {
	out, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	if err != nil {
		fmt.Fprintf(stderr, "profilectl: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

// printError writes a failed call's code and message, then its status with details as JSON
// when there are details.
func printError(stderr io.Writer, err error) {
	st := status.Convert(err)
	fmt.Fprintf(stderr, "profilectl: %s: %s\n", code.Code(st.Code()), st.Message())
	if strings.Contains(st.Message(), "does not look like a TLS handshake") {
		fmt.Fprintln(stderr, "profilectl: the server speaks plaintext; use --insecure for a loopback development server")
	}
	if len(st.Proto().GetDetails()) > 0 {
		printJSON(stderr, stderr, st.Proto())
	}
}
