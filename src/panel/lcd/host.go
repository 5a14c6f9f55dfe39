package lcd

import (
	"fmt"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"
)

// Host loads periph's drivers for the SoC the daemon runs on and returns a
// PinLookup over the host's GPIO pins ("GPIO17"). It is what lcdd passes to
// NewGPIO, leds.New and the key reader; tests never call it. periph keeps
// its own registry of drivers and pins; this package adds no state to it.
func Host() (PinLookup, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("lcd: loading periph host drivers: %w", err)
	}
	return func(name string) (gpio.PinIO, error) {
		p := gpioreg.ByName(name)
		if p == nil {
			return nil, fmt.Errorf("lcd: no GPIO pin named %s on this host", name)
		}
		return p, nil
	}, nil
}

// OpenI2C opens the host I2C bus a board names ("1" for /dev/i2c-1). Call
// Host first so that periph's I2C drivers are loaded.
func OpenI2C(name string) (i2c.BusCloser, error) {
	b, err := i2creg.Open(name)
	if err != nil {
		return nil, fmt.Errorf("lcd: opening I2C bus %s: %w", name, err)
	}
	return b, nil
}
