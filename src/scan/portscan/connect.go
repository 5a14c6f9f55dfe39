package portscan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"picket.dev/picket/src/base/clock"
	"picket.dev/picket/src/scan/result"
	"picket.dev/picket/src/scan/targets"
)

// Dialer opens TCP connections (a *net.Dialer bound to the job's
// interface).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// ConnectOptions are a connect scan's settings.
type ConnectOptions struct {
	Rate    int // connection attempts per second (default 2000)
	Retries int // attempts after a timeout
	// Workers bounds the attempts in flight (default 256).
	Workers int
	// Timeout of one attempt (default 1 s).
	Timeout time.Duration
	Key     [16]byte
	Guard   func(netip.Addr) bool
	Clock   clock.Clock
}

// ConnectScan is the scan for a process that may not open raw sockets:
// a full TCP connect to each port, in the same keyed random order,
// paced by the same rate control. Connected: open; refused: closed;
// host or network unreachable: filtered; no answer: not listed
// (filtered). Cancelled, it returns at once with what it found so far.
func ConnectScan(ctx context.Context, d Dialer, hosts Hosts, ports []uint16, opt ConnectOptions) ([]Found, error) {
	if opt.Rate <= 0 {
		opt.Rate = 2000
	}
	if opt.Workers <= 0 {
		opt.Workers = 256
	}
	if opt.Timeout <= 0 {
		opt.Timeout = time.Second
	}
	if opt.Clock == nil {
		opt.Clock = clock.System{}
	}
	nh := hosts.Len()
	total := nh * uint64(len(ports))
	if total == 0 {
		return nil, nil
	}
	rc := newRateControl(opt.Rate)
	perm := targets.NewPerm(total, opt.Key)
	type job struct {
		host uint64
		addr netip.Addr
		port uint16
	}
	jobs := make(chan job)
	var mu sync.Mutex
	found := map[uint64]*Found{}
	record := func(j job, p result.Port, rtt time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		f := found[j.host]
		if f == nil {
			f = &Found{Addr: j.addr}
			found[j.host] = f
		}
		f.Ports = append(f.Ports, p)
		if rtt > 0 && (f.RTT == 0 || rtt < f.RTT) {
			f.RTT = rtt
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				for try := 0; try <= opt.Retries && ctx.Err() == nil; try++ {
					p, rtt, settled := connectOnce(ctx, d, j.addr, j.port, opt.Timeout, opt.Clock)
					if settled {
						if p.State != "" {
							record(j, p, rtt)
						}
						break
					}
				}
			}
		}()
	}
	var err error
feed:
	for i := uint64(0); i < total; i++ {
		x := perm.At(i)
		j := job{host: x % nh, port: ports[x/nh]}
		j.addr = hosts.At(j.host)
		if opt.Guard == nil || !opt.Guard(j.addr) {
			continue
		}
		for {
			w := rc.wait(opt.Clock.Now(), j.addr)
			if w == 0 {
				break
			}
			if err = clock.Sleep(ctx, opt.Clock, max(w, 200*time.Microsecond)); err != nil {
				break feed
			}
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return sorted(found), err
}

// connectOnce tries one connection; settled is false after a timeout
// (worth another try).
func connectOnce(ctx context.Context, d Dialer, addr netip.Addr, port uint16, timeout time.Duration, clk clock.Clock) (result.Port, time.Duration, bool) {
	p := result.Port{Proto: result.TCP, Port: port}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := clk.Now()
	c, err := d.DialContext(cctx, "tcp", net.JoinHostPort(addr.String(), strconv.Itoa(int(port))))
	rtt := clk.Now().Sub(start)
	switch {
	case err == nil:
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with RST: no TIME_WAIT per port
		}
		c.Close()
		p.State, p.Reason = result.Open, result.ReasonConnect
		return p, rtt, true
	case errors.Is(err, syscall.ECONNREFUSED):
		p.State, p.Reason = result.Closed, result.ReasonRefused
		return p, rtt, true
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		p.State, p.Reason = result.Filtered, result.ReasonUnreach
		return p, 0, true
	case ctx.Err() != nil:
		return p, 0, true // cancelled: nothing to record
	default:
		return p, 0, false // timed out: filtered unless a retry answers
	}
}
