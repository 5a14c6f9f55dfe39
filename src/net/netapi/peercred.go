package netapi

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// peer is who is on the other end of a connection, from SO_PEERCRED: the
// credentials the caller had when it connected, which it cannot forge.
type peer struct {
	uid, gid uint32
	pid      int32
	err      error // why the credentials could not be read
}

// peerCred reads the peer credentials of a unix socket connection. Any other
// connection has none, and is refused by the server.
func peerCred(c net.Conn) peer {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return peer{err: fmt.Errorf("peer credentials: %T is not a socket", c)}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return peer{err: fmt.Errorf("peer credentials: %w", err)}
	}
	var (
		cred *unix.Ucred
		gerr error
	)
	if err := raw.Control(func(fd uintptr) {
		cred, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return peer{err: fmt.Errorf("peer credentials: %w", err)}
	}
	if gerr != nil {
		return peer{err: fmt.Errorf("peer credentials: SO_PEERCRED: %w", gerr)}
	}
	if cred == nil {
		return peer{err: errors.New("peer credentials: SO_PEERCRED returned none")}
	}
	return peer{uid: cred.Uid, gid: cred.Gid, pid: cred.Pid}
}
