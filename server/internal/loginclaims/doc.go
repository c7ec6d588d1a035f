// Package loginclaims defines what the two HS256 session tokens of Auth0's redirect flow carry
// for the hosted login step: the ticket that the post-login Action signs for the step (where and
// in which language to ask, from which profile) and the changes that the step signs back for
// the Action to apply. It neither signs nor verifies tokens, and knows no HTTP.
package loginclaims
