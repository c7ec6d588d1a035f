package client

import (
	"fmt"
	"strconv"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// retryServiceConfig is the default gRPC service config: every ProfileService method is
// retried on UNAVAILABLE, at most 4 attempts, with backoff from 0.1 s to 1 s. See doc.go for
// why the writes are safe to retry.
var retryServiceConfig = fmt.Sprintf(`{
  "methodConfig": [{
    "name": [{"service": %s}],
    "retryPolicy": {
      "maxAttempts": 4,
      "initialBackoff": "0.1s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`, strconv.Quote(profilev1.ProfileService_ServiceDesc.ServiceName))
