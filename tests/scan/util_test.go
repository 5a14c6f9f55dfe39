package scan_test

import (
	"errors"
	"sync"
)

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }

// lockedBuf is a buffer a running command writes while the test reads.
type lockedBuf struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
