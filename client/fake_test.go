package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// fakeService is a test double of the server: it fails its first failFirst calls with
// failCode, and records every call's authorization metadata.
type fakeService struct {
	profilev1.UnimplementedProfileServiceServer

	failFirst int
	failCode  codes.Code
	// slowFirst calls take slow before answering (or until their context ends).
	slowFirst int
	slow      time.Duration

	mu             sync.Mutex
	authorizations []string
	userAgents     []string
}

func (f *fakeService) record(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	f.authorizations = append(f.authorizations, strings.Join(md.Get("authorization"), ","))
	f.userAgents = append(f.userAgents, strings.Join(md.Get("user-agent"), ","))
	if len(f.authorizations) <= f.slowFirst {
		f.mu.Unlock()
		select {
		case <-time.After(f.slow):
		case <-ctx.Done():
			f.mu.Lock()
			return status.FromContextError(ctx.Err()).Err()
		}
		f.mu.Lock()
	}
	if len(f.authorizations) <= f.failFirst {
		return status.Error(f.failCode, "injected failure")
	}
	return nil
}

// agents returns the user agent of every call received so far.
func (f *fakeService) agents() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.userAgents...)
}

// calls returns the authorization metadata of every call received so far.
func (f *fakeService) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.authorizations...)
}

func (f *fakeService) GetMissingFields(ctx context.Context, _ *profilev1.GetMissingFieldsRequest) (*profilev1.GetMissingFieldsResponse, error) {
	return &profilev1.GetMissingFieldsResponse{Prompt: &profilev1.Prompt{Complete: true}}, f.record(ctx)
}

func (f *fakeService) SubmitFields(ctx context.Context, _ *profilev1.SubmitFieldsRequest) (*profilev1.SubmitFieldsResponse, error) {
	return &profilev1.SubmitFieldsResponse{}, f.record(ctx)
}

func (f *fakeService) MarkSubscribed(ctx context.Context, _ *profilev1.MarkSubscribedRequest) (*profilev1.MarkSubscribedResponse, error) {
	return &profilev1.MarkSubscribedResponse{}, f.record(ctx)
}

func (f *fakeService) ListFields(ctx context.Context, _ *profilev1.ListFieldsRequest) (*profilev1.ListFieldsResponse, error) {
	return &profilev1.ListFieldsResponse{DefaultMaxFields: 2}, f.record(ctx)
}

// startFake serves svc on a loopback port, in plaintext when creds is nil, and returns the
// address. The server stops when the test ends.
func startFake(t *testing.T, svc profilev1.ProfileServiceServer, creds credentials.TransportCredentials) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(opts...)
	profilev1.RegisterProfileServiceServer(srv, svc)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String()
}

// selfSignedTLS returns a server certificate for 127.0.0.1 and localhost, and a pool that
// trusts it.
func selfSignedTLS(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "profile test server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
