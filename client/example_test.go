package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/acme/progressive-profiling/client"
	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/servertest"
	"google.golang.org/protobuf/types/known/structpb"
)

// ExampleNew connects to a development server on a loopback address and lists the catalog.
func ExampleNew() {
	srv, err := servertest.Start("")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// In production: client.New("profiles.example.com:443", client.WithTokenSource(ts)).
	c, err := client.New(srv.GRPCAddr, client.WithInsecure())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.ListFields(ctx, &profilev1.ListFieldsRequest{Locale: "fr"})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range resp.GetFields() {
		fmt.Printf("%s (%s): %s\n", f.GetKey(), f.GetLabel(), f.GetType())
	}
	fmt.Println("default max fields:", resp.GetDefaultMaxFields())
	// Output:
	// first_name (Prénom): FIELD_TYPE_TEXT
	// last_name (Nom): FIELD_TYPE_TEXT
	// title (Fonction): FIELD_TYPE_TEXT
	// company (Entreprise): FIELD_TYPE_TEXT
	// default max fields: 2
}

// Example_progressiveProfiling asks what is missing for a user whose identity provider gave
// only a first name, stores the answer, and subscribes them to the topic offered on articles.
func Example_progressiveProfiling() {
	srv, err := servertest.Start("", servertest.User{
		ID:         "auth0|123",
		Attributes: map[string]any{"given_name": "Ada", "logins_count": 1},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(srv.GRPCAddr, client.WithInsecure())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	missing, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: "auth0|123", Context: "article"})
	if err != nil {
		log.Fatal(err)
	}
	printPrompt("asked", missing.GetPrompt())

	values, err := structpb.NewStruct(map[string]any{"last_name": "Lovelace"})
	if err != nil {
		log.Fatal(err)
	}
	submitted, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: "auth0|123", Values: values, Context: "article"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("changed:", strings.Join(submitted.GetChangedFields(), ", "))
	printPrompt("then asked", submitted.GetPrompt())

	subscribed, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{
		UserId: "auth0|123", Topic: "weekly-digest", Subscribed: true, Source: "article:how-to-x",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range subscribed.GetSubscriptions() {
		fmt.Printf("subscribed to %s from %s\n", s.GetTopic(), s.GetSource())
	}
	// Output:
	// asked: fields [last_name] topics [weekly-digest], 1 of 2 known, complete false
	// changed: last_name
	// then asked: fields [] topics [weekly-digest], 2 of 2 known, complete true
	// subscribed to weekly-digest from article:how-to-x
}

// printPrompt prints a prompt on one line.
func printPrompt(label string, p *profilev1.Prompt) {
	var fields, topics []string
	for _, f := range p.GetFields() {
		fields = append(fields, f.GetKey())
	}
	for _, t := range p.GetTopics() {
		topics = append(topics, t.GetTopic())
	}
	fmt.Printf("%s: fields %v topics %v, %d of %d known, complete %v\n",
		label, fields, topics, p.GetKnownCount(), p.GetApplicableCount(), p.GetComplete())
}

// ExampleAuth0TokenSource calls a production server as a machine-to-machine application. It
// is compiled but not run, since it needs an Auth0 tenant.
func ExampleAuth0TokenSource() {
	ctx := context.Background()
	ts := client.Auth0TokenSource(ctx, "acme.eu.auth0.com",
		os.Getenv("AUTH0_CLIENT_ID"), os.Getenv("AUTH0_CLIENT_SECRET"), "https://profiles.example.com")
	c, err := client.New("profiles.example.com:443", client.WithTokenSource(ts))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.GetProfile(ctx, &profilev1.GetProfileRequest{UserId: "auth0|123"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(resp.GetValues()), "known values")
}
