// Copyright 2020 The Periph Authors. All rights reserved.
// Use of this source code is governed under the Apache License, Version 2.0
// that can be found in the LICENSE file.

// Package mcp23xxx provides drivers for the MCP23XXX family of GPIO expanders.
// It's available with either I2C or SPI interfaces in 8 and 16 bit variants.
// Additionally, variants are available that have Open-Drain outputs.
//
// # Datasheet
//
// https://ww1.microchip.com/downloads/en/DeviceDoc/20001952C.pdf
package mcp23xxx
