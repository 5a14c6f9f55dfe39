package keypad

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/i2c/i2ctest"
	"periph.io/x/conn/v3/pin"
	"periph.io/x/devices/v3/mcp23xxx"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/panel/keyevent"
)

// panel is the armv7 keypad on gpiotest pins, keys active low.
type panel struct {
	pins map[string]*gpiotest.Pin
	kp   *Keypad
	t0   time.Time
}

func armv7Keys(t *testing.T) board.Keys {
	t.Helper()
	b, err := board.Lookup("armv7")
	if err != nil {
		t.Fatal(err)
	}
	return b.Keys // Up GPIO5, Down GPIO6, Left GPIO13, Right GPIO19, Enter GPIO26
}

func newPanel(t *testing.T) *panel {
	t.Helper()
	p := &panel{pins: map[string]*gpiotest.Pin{}, t0: time.Unix(1700000000, 0)}
	s, err := FromPins(armv7Keys(t), func(name string) (gpio.PinIO, error) {
		pin := &gpiotest.Pin{N: name}
		p.pins[name] = pin
		return pin, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, pin := range p.pins {
		if pin.P != gpio.PullUp || pin.L != gpio.High {
			t.Fatalf("%s: pull %s level %s, want the pull-up on and the line high", name, pin.P, pin.L)
		}
	}
	p.kp = New(s, Config{}) // defaults: debounce 20ms, chord 80ms, repeat 500ms then 150ms
	return p
}

// run plays a script, one sample every 5 ms. Each step is the set of keys
// held ("" for none, "LR" for LEFT and RIGHT) for n samples: "U*4" holds
// UP for 4 samples. It returns the events with the sample time (ms from
// the start) at which each came out: "UP@25".
func (p *panel) run(t *testing.T, script string) []string {
	t.Helper()
	keyPin := map[string]string{"U": "GPIO5", "D": "GPIO6", "L": "GPIO13", "R": "GPIO19", "E": "GPIO26"}
	var out []string
	ms := 0
	for _, step := range strings.Fields(script) {
		held, count, _ := strings.Cut(step, "*")
		if held == "-" {
			held = ""
		}
		n := 1
		if count != "" {
			if _, err := fmt.Sscan(count, &n); err != nil {
				t.Fatalf("bad step %q", step)
			}
		}
		for name, pin := range keyPin {
			l := gpio.High // released: pulled up
			if strings.Contains(held, name) {
				l = gpio.Low
			}
			p.pins[pin].L = l
		}
		for i := 0; i < n; i++ {
			ev, err := p.kp.Poll(p.t0.Add(time.Duration(ms) * time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ev {
				if !e.Valid() {
					t.Fatalf("invalid event %v", e)
				}
				out = append(out, fmt.Sprintf("%s@%d", e, ms))
			}
			ms += 5
		}
	}
	return out
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name   string
		repeat bool
		script string
		want   []string
	}{
		{"idle", false, "-*20", nil},
		// Bounce: the line flickers for 15 ms, then stays down. One press,
		// 20 ms after the last flicker.
		{"bouncy press is one UP", false, "- U - U U - U*10 -*10", []string{"UP@50"}},
		{"bouncy release adds nothing", false, "E*10 - E - E -*10", []string{"ENTER@20"}},
		{"glitch shorter than debounce", false, "-*2 D*3 -*10", nil},
		{"each key", false, "U*5 -*5 D*5 -*5 E*5 -*5", []string{"UP@20", "DOWN@70", "ENTER@120"}},
		// LEFT waits for a possible partner: a tap comes out on release, a
		// hold when the chord window ends.
		{"LEFT tap", false, "L*6 -*10", []string{"LEFT@50"}},
		{"RIGHT held", false, "R*30 -*5", []string{"RIGHT@100"}},
		// LEFT+RIGHT: CLEAR, and nothing else until both are up.
		{"CLEAR together", false, "LR*30 -*10", []string{"CLEAR@20"}},
		{"CLEAR staggered", false, "L*4 LR*30 R*5 -*10", []string{"CLEAR@40"}},
		{"CLEAR late", false, "L*25 LR*10 -*10", []string{"LEFT@100", "CLEAR@145"}},
		{"CLEAR then one key re-pressed", false, "LR*10 R*5 LR*5 -*10 L*6 -*5", []string{"CLEAR@20", "LEFT@200"}},
		// Auto-repeat: only in text fields, only UP and DOWN.
		{"no repeat outside text", false, "U*200 -*5", []string{"UP@20"}},
		{"UP repeats in text", true, "U*200 -*5", []string{"UP@20", "UP@520", "UP@670", "UP@820", "UP@970"}},
		{"DOWN repeats in text", true, "D*140 -*5", []string{"DOWN@20", "DOWN@520", "DOWN@670"}},
		{"ENTER never repeats", true, "E*200 -*5", []string{"ENTER@20"}},
		{"LEFT never repeats", true, "L*200 -*5", []string{"LEFT@100"}},
		{"release stops repeat", true, "U*110 -*100", []string{"UP@20", "UP@520"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPanel(t)
			p.kp.SetRepeat(tt.repeat)
			if got := p.run(t, tt.script); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRepeatToggled checks that turning repeat on while UP is held starts
// it a full delay later, and turning it off stops it.
func TestRepeatToggled(t *testing.T) {
	q := newPanel(t)
	var all []string
	ms := 0
	poll := func(held bool, n int) {
		if held {
			q.pins["GPIO5"].L = gpio.Low
		} else {
			q.pins["GPIO5"].L = gpio.High
		}
		for i := 0; i < n; i++ {
			ev, err := q.kp.Poll(q.t0.Add(time.Duration(ms) * time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ev {
				all = append(all, fmt.Sprintf("%s@%d", e, ms))
			}
			ms += 5
		}
	}
	poll(true, 100) // to 495 ms
	q.kp.SetRepeat(true)
	poll(true, 120) // 500..1095: first repeat at 495+500=995
	q.kp.SetRepeat(false)
	poll(true, 100)
	poll(false, 5)
	want := []string{"UP@20", "UP@995"}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("got %v, want %v", all, want)
	}
}

// TestRun drives Run with a hand-fed tick channel: one bouncy press on a
// gpiotest pin reaches the callback as exactly one event.
func TestRun(t *testing.T) {
	p := newPanel(t)
	ticks := make(chan time.Time)
	events := make(chan keyevent.Event, 10)
	done := make(chan error)
	go func() { done <- p.kp.Run(context.Background(), ticks, func(e keyevent.Event) { events <- e }) }()
	enter := p.pins["GPIO26"]
	for i, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low, gpio.Low, gpio.Low, gpio.Low, gpio.Low, gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.High, gpio.High, gpio.High, gpio.High, gpio.High} {
		enter.Out(l)
		ticks <- p.t0.Add(time.Duration(i) * 5 * time.Millisecond)
	}
	close(ticks)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(events)
	var got []keyevent.Event
	for e := range events {
		got = append(got, e)
	}
	if !reflect.DeepEqual(got, []keyevent.Event{keyevent.Press(keyevent.Enter)}) {
		t.Fatalf("got %v, want one ENTER", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.kp.Run(ctx, make(chan time.Time), func(keyevent.Event) {}); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
}

type fourPins struct{ gpio.Group }

func (f fourPins) Pins() []pin.Pin { return f.Group.Pins()[:4] }

type failGroup struct {
	gpio.Group
}

func (failGroup) Read(gpio.GPIOValue) (gpio.GPIOValue, error) { return 0, errors.New("bus gone") }

// plateGroup is the rpi4 plate's key group on periph's mcp23xxx over an
// i2ctest.Playback that answers n GPIOA reads with the given values.
func plateGroup(t *testing.T, reads ...byte) (gpio.Group, *i2ctest.Playback) {
	t.Helper()
	ops := []i2ctest.IO{{Addr: 0x20, W: []byte{0x00}, R: []byte{0xff}}, {Addr: 0x20, W: []byte{0x01}, R: []byte{0xff}}}
	for _, v := range reads {
		ops = append(ops, i2ctest.IO{Addr: 0x20, W: []byte{0x12}, R: []byte{v}})
	}
	pb := &i2ctest.Playback{Ops: ops, DontPanic: true}
	dev, err := mcp23xxx.NewI2C(pb, mcp23xxx.MCP23017, 0x20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dev.Close() })
	// rpi4: Up GPA3, Down GPA2, Left GPA4, Right GPA1, Enter GPA0.
	return *dev.Group(0, []int{3, 2, 4, 1, 0}), pb
}

func TestFromGroup(t *testing.T) {
	// One I2C read per sample; bit 2 low is DOWN, bits 5-7 are not keys.
	g, pb := plateGroup(t, 0xff, 0x1b, 0xe0)
	s, err := FromGroup(g, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Set{0, Down, all} {
		got, err := s.Sample()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("sample %d = %05b, want %05b", i, got, want)
		}
	}
	if err := pb.Close(); err != nil {
		t.Fatal(err)
	}

	bad, err := FromGroup(failGroup{g}, true)
	if err != nil {
		t.Fatal(err)
	}
	kp := New(bad, Config{})
	if _, err := kp.Poll(time.Unix(0, 0)); err == nil {
		t.Fatal("Poll on a failing bus succeeded")
	}
	ticks := make(chan time.Time, 1)
	ticks <- time.Unix(0, 0)
	if err := kp.Run(context.Background(), ticks, func(keyevent.Event) {}); err == nil {
		t.Fatal("Run on a failing bus returned nil")
	}
	if _, err := FromGroup(fourPins{g}, true); err == nil {
		t.Fatal("a group of four pins was accepted")
	}
}

func TestFromPinsErrors(t *testing.T) {
	k := armv7Keys(t)
	ok := func(name string) (gpio.PinIO, error) { return &gpiotest.Pin{N: name}, nil }
	noEnter := k
	noEnter.Enter = ""
	if _, err := FromPins(noEnter, ok); err == nil {
		t.Error("a missing key pin was accepted")
	}
	if _, err := FromPins(k, func(string) (gpio.PinIO, error) { return nil, errors.New("no") }); err == nil {
		t.Error("a lookup failure was accepted")
	}
	virtual, _ := board.Lookup("virtual")
	if _, err := FromBoard(virtual, ok); !errors.Is(err, ErrNoKeys) {
		t.Errorf("virtual board: %v, want ErrNoKeys", err)
	}
	armv7, _ := board.Lookup("armv7")
	if _, err := FromBoard(armv7, ok); err != nil {
		t.Errorf("armv7 board: %v", err)
	}
	// Active-high keys get the pull-down and read pressed when high.
	k.ActiveLow = false
	pins := map[string]*gpiotest.Pin{}
	s, err := FromPins(k, func(name string) (gpio.PinIO, error) {
		pins[name] = &gpiotest.Pin{N: name}
		return pins[name], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pins["GPIO19"].L = gpio.High
	if got, _ := s.Sample(); got != Right || pins["GPIO19"].P != gpio.PullDown {
		t.Fatalf("active-high sample %05b, pull %s", got, pins["GPIO19"].P)
	}
}

// Reported keys (the serial module's press and release packets) count at
// once, with no debounce: a press and its release in the same instant is
// still one key, LEFT and RIGHT make CLEAR, a lone LEFT waits for its
// chord window, and UP repeats only with repeat on.
func TestReported(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	kp := NewReported(Config{})
	var got []string
	feed := func(ms int, held Set) {
		for _, ev := range kp.Feed(at(ms), held) {
			got = append(got, fmt.Sprintf("%d:%s", ms, ev))
		}
	}
	feed(0, Enter) // pressed and released in the same instant
	feed(0, 0)
	feed(10, Left) // LEFT then RIGHT 30 ms later: CLEAR, then nothing on release
	feed(40, Left|Right)
	feed(60, Right)
	feed(70, 0)
	feed(100, Left) // a lone LEFT held past the chord window
	feed(180, Left)
	feed(200, 0)
	feed(300, Up) // no repeat: one UP however long it is held
	feed(1000, Up)
	feed(1100, 0)
	kp.SetRepeat(true)
	feed(2000, Down)
	feed(2500, Down) // RepeatDelay
	feed(2650, Down) // RepeatEvery
	feed(2700, 0)
	want := []string{"0:ENTER", "40:CLEAR", "180:LEFT", "300:UP", "2000:DOWN", "2500:DOWN", "2650:DOWN"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %v\nwant %v", got, want)
	}
}
