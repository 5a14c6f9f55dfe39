// Package serial opens the serial line the VT100 console is served on, sets
// it up the way the console needs it, and keeps it open across a device
// that goes away and comes back.
//
// Open takes a tty path (a UART such as /dev/ttyS0, a USB serial adapter
// such as /dev/ttyUSB0, or a pseudo-terminal slave such as /dev/pts/3, which
// is how tests and developers stand in for the serial port) and a line
// setting, normally 9600 8N2 from the board. It puts the line in raw mode
// with no flow control: every byte the terminal sends reaches the decoder
// unchanged (no CR/LF translation, no echo, no signals from Ctrl-C, no
// XON/XOFF swallowed), but for the kernel's marks of bytes received with a
// framing or parity error and of breaks (PARMRK), which tell line noise
// from a person's terminal; and every byte the screen renderer writes goes
// out unchanged. It reads the settings back from the kernel and reports them,
// so the daemon logs what is really in force rather than what it asked for.
//
// A Reopener runs a console session on the port and, when the device goes
// away (a USB serial adapter unplugged gives EOF or EIO; a missing node
// gives ENOENT, ENXIO or ENODEV), closes it and opens it again with
// exponential backoff until it is back, without the process exiting. The
// clock and the sleep are passed in, so tests drive it step by step.
//
// OpenBinary opens a line for a binary packet protocol with checksums of
// its own (the appliance's serial LCD module): raw, no flow control, and no
// error marks, so that every byte value passes as itself.
//
// OpenPTY makes a pseudo-terminal pair for tests and for development.
//
// The package is Linux-only, like every board: it uses the Linux termios
// ioctls through golang.org/x/sys/unix. (Its files carry no build tag so
// that gazelle keeps its dependencies free of per-platform selects.)
package serial
