package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// errNoExplanation: the server answered without an explanation, as a server that predates
// explain does (it ignores the request's field).
var errNoExplanation = errors.New("the server returned no explanation; it may predate explain")

// printExplanation writes the explanation of a prompt as a table: one row per catalog field,
// then one per topic, each with its reason and the server's sentence, then what the prompt
// asks. With logins it adds the
// user's login count and the fields that wait for a later login, by login.
func printExplanation(w io.Writer, p *profilev1.Prompt, logins bool) error {
	x := p.GetExplanation()
	if x == nil {
		return errNoExplanation
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tKEY\tREASON\tWHY")
	for _, f := range x.GetFields() {
		fmt.Fprintf(tw, "field\t%s\t%s\t%s\n", f.GetKey(), reasonName(f.GetReason()), f.GetMessage())
	}
	for _, t := range x.GetTopics() {
		fmt.Fprintf(tw, "topic\t%s\t%s\t%s\n", t.GetTopic(), reasonName(t.GetReason()), t.GetMessage())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAsked now: %s. Topics offered: %s.\n", listOrNone(promptFields(p)), listOrNone(promptTopics(p)))
	fmt.Fprintf(w, "Known: %d of the %d fields that apply; the prompt holds at most %d.\n",
		p.GetKnownCount(), p.GetApplicableCount(), x.GetMaxFields())
	if logins {
		printLogins(w, x)
	}
	return nil
}

// printLogins writes the login count the server used and, from the not-yet fields' details,
// which fields each later login brings.
func printLogins(w io.Writer, x *profilev1.Explanation) {
	fmt.Fprintf(w, "\nLogins: %d (logins_count).\n", x.GetLoginsCount())
	byLogin := map[int32][]string{}
	for _, f := range x.GetFields() {
		if ny := f.GetNotYet(); ny != nil {
			byLogin[ny.GetMinLogins()] = append(byLogin[ny.GetMinLogins()], f.GetKey())
		}
	}
	if len(byLogin) == 0 {
		fmt.Fprintln(w, "No field waits for a later login.")
		return
	}
	at := make([]int32, 0, len(byLogin))
	for n := range byLogin {
		at = append(at, n)
	}
	sort.Slice(at, func(i, j int) bool { return at[i] < at[j] })
	for _, n := range at {
		fmt.Fprintf(w, "From login %d: %s.\n", n, strings.Join(byLogin[n], ", "))
	}
}

// reasonName reads PROMPT_REASON_OUT_OF_CONTEXT as "out of context".
func reasonName(r profilev1.PromptReason) string {
	name := strings.TrimPrefix(r.String(), "PROMPT_REASON_")
	return strings.ToLower(strings.ReplaceAll(name, "_", " "))
}

func promptFields(p *profilev1.Prompt) []string {
	var keys []string
	for _, f := range p.GetFields() {
		keys = append(keys, f.GetKey())
	}
	return keys
}

func promptTopics(p *profilev1.Prompt) []string {
	var keys []string
	for _, t := range p.GetTopics() {
		keys = append(keys, t.GetTopic())
	}
	return keys
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "nothing"
	}
	return strings.Join(items, ", ")
}
