// Package config holds the server's configuration: one struct filled from flags with
// environment fallbacks and validated once at start, with errors that name the variable. It
// opens nothing and starts nothing.
package config
