// Package h2flood opens gRPC streams that never send their request over raw HTTP/2
// connections, without any token, as an attacker exhausting a server's memory would. It is for
// the server's tests and the benchmark's flood scenario; production code must never use it.
package h2flood

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Conn is one raw HTTP/2 connection to a gRPC server. It answers the server's SETTINGS and
// PING frames, as a client must to keep the connection, and counts the streams the server
// refuses.
type Conn struct {
	conn net.Conn

	wmu    sync.Mutex // guards writes: fr's writer, enc, buf and next
	fr     *http2.Framer
	enc    *hpack.Encoder
	buf    bytes.Buffer
	next   uint32
	opened int

	served     chan struct{} // closed on the server's first SETTINGS
	servedOnce sync.Once
	done       chan struct{} // closed when the connection is gone
	maxStreams atomic.Uint32
	refused    atomic.Int64
	answered   atomic.Int64
	goAway     atomic.Bool
}

// Dial connects to a gRPC server at addr (host:port, plaintext) and sends the HTTP/2 client
// preface and SETTINGS.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &Conn{conn: nc, next: 1, served: make(chan struct{}), done: make(chan struct{})}
	c.fr = http2.NewFramer(nc, nc)
	c.enc = hpack.NewEncoder(&c.buf)
	if _, err := nc.Write([]byte(http2.ClientPreface)); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.fr.WriteSettings(); err != nil {
		nc.Close()
		return nil, err
	}
	go c.read()
	return c, nil
}

// read handles the server's frames until the connection fails or closes.
func (c *Conn) read() {
	defer close(c.done)
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() {
				continue
			}
			if v, ok := f.Value(http2.SettingMaxConcurrentStreams); ok {
				c.maxStreams.Store(v)
			}
			c.write(func() error { return c.fr.WriteSettingsAck() })
			c.servedOnce.Do(func() { close(c.served) })
		case *http2.PingFrame:
			if !f.IsAck() {
				c.write(func() error { return c.fr.WritePing(true, f.Data) })
			}
		case *http2.HeadersFrame:
			if f.StreamEnded() {
				c.answered.Add(1)
			}
		case *http2.RSTStreamFrame:
			if f.ErrCode == http2.ErrCodeRefusedStream {
				c.refused.Add(1)
			}
		case *http2.GoAwayFrame:
			c.goAway.Store(true)
		}
	}
}

func (c *Conn) write(fn func() error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = fn()
}

// OpenStreams starts n streams calling method (such as "/profile.v1.ProfileService/GetProfile")
// that send their headers and nothing else: no token, no request message, no end of stream.
func (c *Conn) OpenStreams(n int, method string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for range n {
		c.buf.Reset()
		for _, h := range [][2]string{
			{":method", "POST"}, {":scheme", "http"}, {":path", method}, {":authority", c.conn.RemoteAddr().String()},
			{"content-type", "application/grpc"}, {"te", "trailers"},
		} {
			if err := c.enc.WriteField(hpack.HeaderField{Name: h[0], Value: h[1]}); err != nil {
				return err
			}
		}
		if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: c.next, BlockFragment: c.buf.Bytes(), EndHeaders: true}); err != nil {
			return err
		}
		c.next += 2
		c.opened++
	}
	return nil
}

// Opened is how many streams OpenStreams has opened.
func (c *Conn) Opened() int {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.opened
}

// Served is closed once the server has sent its SETTINGS: it accepted the connection and serves
// it.
func (c *Conn) Served() <-chan struct{} { return c.served }

// Done is closed when the connection is gone (closed by either side).
func (c *Conn) Done() <-chan struct{} { return c.done }

// MaxConcurrentStreams is the limit the server announced; 0 before its SETTINGS or when it
// announced none (no limit).
func (c *Conn) MaxConcurrentStreams() uint32 { return c.maxStreams.Load() }

// Refused is how many streams the server refused (RST_STREAM with REFUSED_STREAM).
func (c *Conn) Refused() int { return int(c.refused.Load()) }

// Answered is how many streams the server ended with a response (a trailers-only status, such
// as UNAVAILABLE when it has too many calls in flight), although their request never came.
func (c *Conn) Answered() int { return int(c.answered.Load()) }

// GoAway reports whether the server sent GOAWAY.
func (c *Conn) GoAway() bool { return c.goAway.Load() }

// Close closes the connection and waits for its reader to stop.
func (c *Conn) Close() error {
	err := c.conn.Close()
	<-c.done
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
