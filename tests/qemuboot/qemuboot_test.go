package qemuboot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConsoleWait(t *testing.T) {
	c := (&Boots{}).New("test boot")
	go func() {
		for _, s := range []string{"UEFI\r\n", "picket: booting ", "slot a\r\n", "init: marked good\r\n"} {
			time.Sleep(10 * time.Millisecond)
			c.Write([]byte(s))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at, err := c.Wait(ctx, nil, 0, "booting slot a")
	if err != nil {
		t.Fatal(err)
	}
	if want := len("UEFI\npicket: booting slot a"); at != want {
		t.Errorf("offset after the first line = %d, want %d (carriage returns do not count)", at, want)
	}
	if _, err := c.Wait(ctx, nil, at, "init: marked good"); err != nil {
		t.Fatal(err)
	}
	// Text before the offset does not count.
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c.Wait(short, nil, at, "booting slot a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait for text before the offset = %v, want a deadline error", err)
	}
	done := make(chan struct{})
	close(done)
	if _, err := c.Wait(ctx, done, 0, "never printed"); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("Wait after the emulator exited = %v", err)
	}
}
