// Package lcdserial drives the rack appliance's front panel: a character
// LCD module with its own keypad and status LEDs on a serial line, speaking
// Crystalfontz's packet protocol (the CFA-533, CFA-633 and CFA-635 share it;
// LCDproc's CFontzPacket driver supports them). A Module is an lcd.LCD (the
// frame, its navigation glyphs, the backlight), sets the S1/S2 LEDs from the
// frame, and turns the module's key reports into key events.
//
// # Why this protocol
//
// Every packet carries a CRC and every command is answered, so line noise
// on a long cable inside a rack can neither draw garbage nor invent a key
// press, and a lost packet is noticed and sent again. Keys come as press and
// release reports, so LEFT+RIGHT together can be told from LEFT then RIGHT
// (CLEAR) and a held key can auto-repeat. The CFA-635 adds four bicolour
// LEDs for S1 and S2. Matrix Orbital's LK command set, the other common
// choice, is unframed bytes with no checksum or acknowledgement.
//
// # Sources
//
// The numbers below come from Crystalfontz's data sheets for the CFA-533,
// CFA-633 and CFA-635 ("Host Communications", "Command Packets"), as carried
// by LCDproc: server/drivers/CFontz633io.h (command and key numbers),
// CFontz633io.c (CRC table and packet parser), CFontzPacket.c (model
// table: 16x2 at 19200 baud for the 533/633, 20x4 at 115200 for the 635;
// the 635's LED GPIO numbers), CFontz-charmap.h (the 635's character ROM).
// The key mask bits of command 23 are the data sheets' KP_* values
// (KP_UP 0x01, KP_ENTER 0x02, KP_CANCEL 0x04, KP_LEFT 0x08, KP_RIGHT 0x10,
// KP_DOWN 0x20).
//
// # Packets
//
// A packet is type (1 byte), data length (1 byte, 0 to 22), data, and a
// CRC-16 of type, length and data, low byte first. The CRC is the CCITT
// polynomial reflected (0x8408), initial value 0xFFFF, final one's
// complement: CRC-16/X-25, whose check value over "123456789" is 0x906E.
// The top two bits of the type say what a packet is: 00 a command from the
// host, 01 its normal response (0x40|command), 10 a report the module sends
// by itself (0x80 is key activity), 11 an error response (0xC0|command).
//
// The reader takes bytes as they come and looks for a packet at the start
// of what it holds: a type that cannot come from the module, a length over
// 22, or a CRC that does not match drops one byte and it looks again, as
// LCDproc does. Garbage between packets, a corrupted packet and a packet cut
// short are therefore skipped, and the next good packet is taken. A packet
// cut short at the end of a burst would hold the reader until more bytes
// came; when a command's answer is overdue the reader drops the first byte
// of whatever incomplete packet it holds and looks again. Nothing but a
// report of type 0x80 with one data byte, a key code, and a good CRC is
// ever taken as a key.
//
// # Commands
//
// One command at a time: the driver sends it and waits for its response
// (Options.Timeout, 250 ms by default: at 115200 baud a full packet takes
// 2 ms on the wire) and sends it again if none came, up to Options.Tries
// times (3). An error response is not retried: the module understood and
// refused. Used here: 0 ping, 1 hardware and firmware version (the model),
// 6 clear, 9 set a custom character (CGRAM), 11 cursor position, 12 cursor
// style (0 none, 2 underscore), 14 backlight (0-100), 23 key reporting
// (press and release masks), 31 send data to the LCD (column, row, text),
// 34 set GPIO (the CFA-635's LEDs).
//
// A module that does not answer the first ping's tries may hold a packet
// half received, its header made of bytes that were on the line before
// (noise, or boot text: qemu's firmware writes on every serial port): Open
// then sends 26 bytes of 0xFF, which complete it (its CRC fails and the
// module drops it) and cannot start a packet themselves, and pings again
// before it gives up.
//
// Open sends, in order: ping; version; key reporting with UP, DOWN, LEFT,
// RIGHT and ENTER in both masks (not the CANCEL key: see below); cursor
// style 0; clear; on a CFA-635 all eight LED dies off; backlight 100; then
// one custom character per navigation glyph. Draw sends one command 31 per
// run of consecutive cells that changed, then the cursor; nothing when
// nothing changed.
//
// # Geometry, model and character set
//
// The menu is drawn in the size the board declares (the appliance: 16x2),
// at the module's top left; Open clears the rest. The version answer
// ("CFA635:..."; "CFA633:...", "CFA533:...") names the model: a CFA-533 or
// CFA-633 is 16x2 with an HD44780 character ROM, where '\' is a yen sign,
// so '\' is drawn from a spare CGRAM slot as package lcd does; a CFA-635
// is 20x4 with a KS0073-type ROM, where $ @ [ \ ] ^ _ ` { | } ~ sit at other
// codes (LCDproc's CFontz charmap), and has the LEDs. A declared size
// larger than the module's is refused. Custom characters are 5 pixels
// wide; on the CFA-635, whose cells are 6 wide, they show one pixel right
// of centre.
//
// # Keys
//
// The module reports press and release of each key (codes 1-6 and 7-12:
// UP, DOWN, LEFT, RIGHT, ENTER, EXIT/CANCEL). They go through package
// keypad's state machine (keypad.NewReported) exactly as the GPIO keys do:
// LEFT and RIGHT held together are CLEAR, a lone LEFT or RIGHT waits for
// its chord window, UP and DOWN auto-repeat only while a text field is
// edited (SetRepeat). The module debounces its keys, so there is no
// debounce here. The sixth key (CANCEL, marked X) is switched off in the
// report masks and ignored if reported anyway: the spec and the seed's
// procedures have five keys, the serial console has no such key, and a key
// that did something on one front end only would make the two differ.
//
// # LEDs
//
// On a CFA-635, S1 (a scan runs) is the green die of the top LED (GPIO 11)
// and S2 (an update runs) the green die of the second LED (GPIO 9); the
// other dies stay off. SetLEDs writes only a light that changes; Close
// switches them off, since nobody keeps them true once lcdd stops. Modules
// without LEDs ignore SetLEDs.
//
// All I/O goes through the io.ReadWriteCloser given to Open (a serial port
// from serial.OpenBinary on the box, a pipe or pty in tests) and all time
// through the clock.Clock in Options.
package lcdserial
