package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

const usage = `Usage: profilectl [--addr host:port] [--insecure] [--timeout 10s] COMMAND ARGS...

Commands:
  missing USER [--context C] [--max N] [--locale L] [--explain]
                                                      the fields to ask USER now
  explain USER [--context C] [--max N] [--logins]     why each field and topic is, or is
                                                      not, asked of USER now, as a table
  submit USER [key=value ...] [--decline KEY ...] [--decline-topic TOPIC ...]
                [--context C] [--max N] [--locale L] [--explain]
                                                      store answers and declines
  subscribe USER TOPIC [--source S] [--unsubscribe]   subscribe USER to TOPIC, or unsubscribe
  profile USER                                        USER's known values and subscriptions
  fields [--locale L]                                 the field catalog

Values are JSON when they parse as JSON (42, true, ["a","b"], "quoted"), text otherwise;
key=null clears a stored value. USER may be "me". The access token is read from PROFILE_TOKEN.
--explain adds the explanation to the JSON of missing and submit. explain prints one row per
catalog field and topic: its reason and the server's sentence for it; --logins adds the user's
login count and, grouped by login, the fields that wait for a later login (min_logins).
Without --insecure the connection uses TLS with the system's root certificates.
`

// invocation is a parsed command line: where to connect and the request to send.
type invocation struct {
	addr     string
	insecure bool
	timeout  time.Duration
	request  proto.Message
	// table prints the response's explanation as a table instead of the response as JSON;
	// logins adds the login section to it.
	table, logins bool
}

// parseArgs parses the command line (without the program name). It returns flag.ErrHelp when
// help was asked for.
func parseArgs(args []string) (invocation, error) {
	inv := invocation{}
	global := newFlagSet("profilectl")
	global.StringVar(&inv.addr, "addr", "127.0.0.1:9090", "gRPC target")
	global.BoolVar(&inv.insecure, "insecure", false, "plaintext connection (loopback dev servers)")
	global.DurationVar(&inv.timeout, "timeout", 10*time.Second, "deadline of the call")
	if err := global.Parse(args); err != nil {
		return inv, err
	}
	if global.NArg() == 0 {
		return inv, errors.New("no command given")
	}
	if inv.timeout <= 0 {
		return inv, errors.New("--timeout must be positive")
	}
	cmd, rest := global.Arg(0), global.Args()[1:]
	parse, ok := commands[cmd]
	if !ok {
		return inv, fmt.Errorf("unknown command %q", cmd)
	}
	err := parse(rest, &inv)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		err = fmt.Errorf("%s: %w", cmd, err)
	}
	return inv, err
}

// commands parse each command's arguments into the invocation's request (and output).
var commands = map[string]func([]string, *invocation) error{
	"missing":   request(parseMissing),
	"explain":   parseExplain,
	"submit":    request(parseSubmit),
	"subscribe": request(parseSubscribe),
	"profile":   request(parseProfile),
	"fields":    request(parseFields),
}

// request adapts a parser of a request printed as JSON.
func request(parse func([]string) (proto.Message, error)) func([]string, *invocation) error {
	return func(args []string, inv *invocation) error {
		req, err := parse(args)
		inv.request = req
		return err
	}
}

func parseMissing(args []string) (proto.Message, error) {
	req := &profilev1.GetMissingFieldsRequest{}
	fs := newFlagSet("missing")
	promptFlags(fs, &req.Context, &req.MaxFields, &req.Locale, &req.Explain)
	user, err := parseUser(fs, args)
	if err != nil {
		return nil, err
	}
	req.UserId = user
	return req, nil
}

// parseExplain reads the explain command: a GetMissingFields request with explain set, its
// explanation printed as a table.
func parseExplain(args []string, inv *invocation) error {
	req := &profilev1.GetMissingFieldsRequest{Explain: true}
	fs := newFlagSet("explain")
	fs.StringVar(&req.Context, "context", "", "prompt context, such as article")
	fs.Func("max", "most fields in the prompt", int32Flag(&req.MaxFields))
	fs.BoolVar(&inv.logins, "logins", false, "add the login count and the fields waiting for a later login")
	user, err := parseUser(fs, args)
	if err != nil {
		return err
	}
	req.UserId = user
	inv.request, inv.table = req, true
	return nil
}

func parseSubmit(args []string) (proto.Message, error) {
	req := &profilev1.SubmitFieldsRequest{}
	fs := newFlagSet("submit")
	fs.Func("decline", "field the user declines (repeatable)", appendFlag(&req.DeclinedFields))
	fs.Func("decline-topic", "topic the user declines (repeatable)", appendFlag(&req.DeclinedTopics))
	promptFlags(fs, &req.Context, &req.MaxFields, &req.Locale, &req.Explain)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, errors.New("want USER then key=value pairs")
	}
	req.UserId = pos[0]
	if req.Values, err = parseValues(pos[1:]); err != nil {
		return nil, err
	}
	if req.Values == nil && len(req.DeclinedFields) == 0 && len(req.DeclinedTopics) == 0 {
		return nil, errors.New("nothing to submit: give key=value pairs or --decline")
	}
	return req, nil
}

func parseSubscribe(args []string) (proto.Message, error) {
	req := &profilev1.MarkSubscribedRequest{}
	var unsubscribe bool
	fs := newFlagSet("subscribe")
	fs.StringVar(&req.Source, "source", "", "where the subscription comes from, such as article:how-to-x")
	fs.BoolVar(&unsubscribe, "unsubscribe", false, "unsubscribe instead")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 2 {
		return nil, errors.New("want USER and TOPIC")
	}
	req.UserId, req.Topic, req.Subscribed = pos[0], pos[1], !unsubscribe
	return req, nil
}

func parseProfile(args []string) (proto.Message, error) {
	user, err := parseUser(newFlagSet("profile"), args)
	if err != nil {
		return nil, err
	}
	return &profilev1.GetProfileRequest{UserId: user}, nil
}

func parseFields(args []string) (proto.Message, error) {
	req := &profilev1.ListFieldsRequest{}
	fs := newFlagSet("fields")
	fs.StringVar(&req.Locale, "locale", "", "locale of labels")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 0 {
		return nil, fmt.Errorf("unexpected argument %q", pos[0])
	}
	return req, nil
}

// parseValues turns key=value pairs into a Struct, or nil when there are none. A value is
// taken as JSON when it is valid JSON, as text otherwise.
func parseValues(pairs []string) (*structpb.Struct, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	fields := make(map[string]*structpb.Value, len(pairs))
	for _, pair := range pairs {
		key, raw, ok := strings.Cut(pair, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("%q is not key=value", pair)
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("key %q given twice", key)
		}
		v, err := parseValue(raw)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		fields[key] = v
	}
	return &structpb.Struct{Fields: fields}, nil
}

// parseValue reads raw as JSON when it is valid JSON, and as a string otherwise.
func parseValue(raw string) (*structpb.Value, error) {
	if !json.Valid([]byte(raw)) {
		return structpb.NewStringValue(raw), nil
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, err
	}
	return structpb.NewValue(v)
}

// parseInterleaved parses fs from args, letting flags and positional arguments mix, and
// returns the positional ones. Everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// promptFlags defines the flags that shape the prompt a command asks for (submit: the prompt
// returned after the write): its context, size, locale and explanation.
func promptFlags(fs *flag.FlagSet, context *string, maxFields *int32, locale *string, explain *bool) {
	fs.StringVar(context, "context", "", "prompt context, such as article")
	fs.Func("max", "most fields in the prompt", int32Flag(maxFields))
	fs.StringVar(locale, "locale", "", "locale of the prompt's labels")
	fs.BoolVar(explain, "explain", false, "add the explanation of every decision")
}

// parseUser parses the arguments of a command that takes exactly one USER, and returns it.
func parseUser(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", errors.New("want exactly one USER")
	}
	return pos[0], nil
}

// newFlagSet returns a silent flag set that reports errors instead of exiting.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// appendFlag returns a flag function that appends each occurrence to list.
func appendFlag(list *[]string) func(string) error {
	return func(s string) error {
		if s == "" {
			return errors.New("empty value")
		}
		*list = append(*list, s)
		return nil
	}
}

// int32Flag returns a flag function that parses an int32 into dst.
func int32Flag(dst *int32) func(string) error {
	return func(s string) error {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		*dst = int32(n)
		return nil
	}
}
