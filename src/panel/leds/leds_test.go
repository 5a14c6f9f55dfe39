package leds

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"picket.dev/picket/platforms/board"
	"picket.dev/picket/src/panel/frame"
)

// recPin logs every Out of a gpiotest pin.
type recPin struct {
	*gpiotest.Pin
	log *[]string
}

func (p *recPin) Out(l gpio.Level) error {
	*p.log = append(*p.log, fmt.Sprintf("%s=%s", p.N, l))
	return p.Pin.Out(l)
}

func TestSet(t *testing.T) {
	var log []string
	lookup := func(name string) (gpio.PinIO, error) {
		return &recPin{Pin: &gpiotest.Pin{N: name, L: gpio.High}, log: &log}, nil
	}
	b, _ := board.Lookup("rpi4") // S1 GPIO23, S2 GPIO24
	d, err := New(b.LEDs, lookup)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		set  frame.LEDs
		want []string
	}{
		{frame.LEDs{}, nil},
		{frame.LEDs{S1: true}, []string{"GPIO23=High"}},
		{frame.LEDs{S1: true}, nil},
		{frame.LEDs{S1: true, S2: true}, []string{"GPIO24=High"}},
		{frame.LEDs{S2: true}, []string{"GPIO23=Low"}},
		{frame.LEDs{S1: true}, []string{"GPIO23=High", "GPIO24=Low"}},
	}
	if want := []string{"GPIO23=Low", "GPIO24=Low"}; !reflect.DeepEqual(log, want) {
		t.Fatalf("New wrote %v, want both off %v", log, want)
	}
	for i, s := range steps {
		log = nil
		if err := d.Set(s.set); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(log, s.want) {
			t.Errorf("step %d %+v: wrote %v, want %v", i, s.set, log, s.want)
		}
	}
	log = nil
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"GPIO23=Low"}; !reflect.DeepEqual(log, want) {
		t.Errorf("Close wrote %v, want %v", log, want)
	}
	if err := d.Set(frame.LEDs{S1: true}); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNoPins(t *testing.T) {
	d, err := New(board.LEDs{}, func(string) (gpio.PinIO, error) { return nil, errors.New("not called") })
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(frame.LEDs{S1: true, S2: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(board.LEDs{S1: "GPIO1"}, func(string) (gpio.PinIO, error) { return nil, errors.New("no pin") }); err == nil {
		t.Fatal("a lookup failure was accepted")
	}
}
