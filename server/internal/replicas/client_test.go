package replicas

import (
	"strings"
	"testing"
	"time"
)

func TestNewClientFailsFastUnlessTheURLSaysOtherwise(t *testing.T) {
	rdb, err := NewClient("redis://127.0.0.1:6379/2")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	o := rdb.Options()
	// go-redis reads MaxRetries -1 as no retries and reports it as 0 (its default is 3).
	if o.DialTimeout != dialTimeout || o.ReadTimeout != callTimeout || o.WriteTimeout != callTimeout || o.PoolTimeout != callTimeout || o.MaxRetries != 0 {
		t.Errorf("dial %v, read %v, write %v, pool %v, retries %d; want %v, %v, %v, %v and no retries",
			o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries, dialTimeout, callTimeout, callTimeout, callTimeout)
	}
	if o.DB != 2 || o.ClientName != "profile-service" {
		t.Errorf("database %d, client name %q; want 2 and profile-service", o.DB, o.ClientName)
	}

	rdb2, err := NewClient("redis://127.0.0.1:6379/0?dial_timeout=3s&read_timeout=2s&write_timeout=2s&pool_timeout=4s&max_retries=2")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb2.Close()
	o = rdb2.Options()
	if o.DialTimeout != 3*time.Second || o.ReadTimeout != 2*time.Second || o.WriteTimeout != 2*time.Second || o.PoolTimeout != 4*time.Second || o.MaxRetries != 2 {
		t.Errorf("dial %v, read %v, write %v, pool %v, retries %d; want the URL's", o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout, o.MaxRetries)
	}
}

func TestRedisURLsNeverRepeatTheirPassword(t *testing.T) {
	const secret = "Xy9-hunter2"
	if _, err := NewClient("redis://:" + secret + "@cache:6379/notadb"); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("NewClient error = %v, want a refusal without the password", err)
	}
	if got, want := Describe("rediss://default:"+secret+"@cache.internal:6380/2"), "rediss://cache.internal:6380/2"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}
