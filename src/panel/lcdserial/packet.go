package lcdserial

import "fmt"

// Packet classes: the top two bits of the type byte.
const (
	classCommand  = 0x00
	classResponse = 0x40
	classReport   = 0x80
	classError    = 0xC0
	classMask     = 0xC0
)

// Commands (names as in LCDproc's CFontz633io.h).
const (
	cmdPing         = 0  // CF633_Ping_Command
	cmdVersion      = 1  // CF633_Get_Hardware_And_Firmware_Version
	cmdClear        = 6  // CF633_Clear_LCD_Screen
	cmdSetChar      = 9  // CF633_Set_LCD_Special_Character_Data
	cmdCursorPos    = 11 // CF633_Set_LCD_Cursor_Position
	cmdCursorStyle  = 12 // CF633_Set_LCD_Cursor_Style
	cmdBacklight    = 14 // CF633_Set_LCD_And_Keypad_Backlight
	cmdKeyReporting = 23 // CF633_Configure_Key_Reporting
	cmdSendData     = 31 // CF633_Send_Data_to_LCD
	cmdSetGPIO      = 34 // CF633_Set_GPIO_Pin
	maxCommand      = 35 // the highest command of the CFA-635 (LCDproc's MAX_COMMAND)
	reportKey       = classReport | 0x00
	maxData         = 22 // the CFA-635's longest data field (LCDproc's MAX_DATA_LENGTH)
	packetOverhead  = 4  // type, length, two CRC bytes
)

// commandName names a command for error messages.
func commandName(c byte) string {
	switch c {
	case cmdPing:
		return "ping (0)"
	case cmdVersion:
		return "version (1)"
	case cmdClear:
		return "clear (6)"
	case cmdSetChar:
		return "set custom character (9)"
	case cmdCursorPos:
		return "cursor position (11)"
	case cmdCursorStyle:
		return "cursor style (12)"
	case cmdBacklight:
		return "backlight (14)"
	case cmdKeyReporting:
		return "key reporting (23)"
	case cmdSendData:
		return "send data (31)"
	case cmdSetGPIO:
		return "set GPIO (34)"
	}
	return fmt.Sprintf("command %d", c)
}

// crc16 is the packets' CRC: CRC-16/X-25 (polynomial 0x1021 reflected,
// that is 0x8408 shifting right; initial 0xFFFF; final one's complement),
// bit by bit. LCDproc computes the same with a 256-entry table.
func crc16(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, x := range b {
		crc ^= uint16(x)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x8408
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

// packet is one decoded packet.
type packet struct {
	typ  byte
	data []byte
}

// appendPacket appends the encoding of a packet to b. data must not be
// longer than maxData (the callers build it).
func appendPacket(b []byte, typ byte, data []byte) []byte {
	start := len(b)
	b = append(b, typ, byte(len(data)))
	b = append(b, data...)
	c := crc16(b[start:])
	return append(b, byte(c), byte(c>>8))
}

// fromModule reports whether typ is a packet the module sends: a response,
// a report or an error response, of a command the protocol has.
func fromModule(typ byte) bool {
	return typ&classMask != classCommand && typ&^classMask <= maxCommand
}

// decoder finds good packets in the bytes from the module (see the package
// doc for the resync rule).
type decoder struct {
	buf []byte
	// dropped counts bytes thrown away while resyncing, for the log.
	dropped int
}

// feed adds b to what the decoder holds and appends every good packet
// now complete to out.
func (d *decoder) feed(b []byte, out []packet) []packet {
	d.buf = append(d.buf, b...)
	return d.scan(out)
}

// skip drops the first byte held, if a packet start is waiting for more
// bytes, and scans again: the packet was cut short, and its length byte
// would otherwise swallow the packets after it.
func (d *decoder) skip(out []packet) []packet {
	if len(d.buf) == 0 {
		return out
	}
	d.drop(1)
	return d.scan(out)
}

func (d *decoder) scan(out []packet) []packet {
	for len(d.buf) >= packetOverhead {
		typ, n := d.buf[0], int(d.buf[1])
		if !fromModule(typ) || n > maxData {
			d.drop(1)
			continue
		}
		if len(d.buf) < n+packetOverhead {
			break // the rest has not come yet
		}
		want := crc16(d.buf[:n+2])
		got := uint16(d.buf[n+2]) | uint16(d.buf[n+3])<<8
		if got != want {
			d.drop(1)
			continue
		}
		out = append(out, packet{typ: typ, data: append([]byte(nil), d.buf[2:n+2]...)})
		d.consume(n + packetOverhead)
	}
	return out
}

func (d *decoder) drop(n int) {
	d.dropped += n
	d.consume(n)
}

func (d *decoder) consume(n int) {
	d.buf = append(d.buf[:0], d.buf[n:]...)
}
