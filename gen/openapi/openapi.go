// Package openapi embeds the OpenAPI document generated from proto/ by protoc-gen-openapiv2.
// This file is written by hand; the JSON beside it is generated.
package openapi

import _ "embed"

// Document is the OpenAPI (Swagger 2.0) description of the REST API.
//
//go:embed profile.swagger.json
var Document []byte
