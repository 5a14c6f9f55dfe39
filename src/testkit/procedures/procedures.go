// Package procedures is the front panel's procedures as an operator reads
// them in the seed guide (../shared/seed/scanner-appliance-user-guide.txt)
// and in the spec (front-panel.md): for each, the keys the guide names, in
// its order, and the prompt it says appears after them, and the change
// the procedure must leave in force. It is written from the guide's text,
// not from the menu's code, so that replaying it on the menu engine
// (src/panel/menu) and on consoled through a pty (tests/console) proves
// the panel follows the guide keystroke for keystroke.
//
// How the guide's words become steps:
//
//   - "press ENTER", "press the Down arrow one time": those keys, once.
//   - "press the Down arrow until X appears": DOWN, repeated until X is on
//     the screen (at most MaxRepeat times). The same for the Right and
//     Left arrows through the port link settings.
//   - "Go to the X menu option" (names no key): from an idle screen, the
//     guide's Main Menu procedure (ENTER when the name and address are
//     displayed, and SETUP NETWORK is the first option); inside a list,
//     DOWN until X appears. "Select X" is the same followed by ENTER.
//   - "enter the static IP address", "enter the VLAN ID": the guide names
//     no keys for the value, which an operator types on the console (its
//     keyboard may be used in every field, guide "Up and Down Arrows"):
//     the value typed as text, after CLEAR (the guide's LEFT+RIGHT
//     shortcut) where a value is shown already and is to be replaced
//     rather than overwritten.
//   - "X appears": the screen, read as its lines joined by spaces (the
//     navigation indicators left out), starts with X. The guide's colon
//     after some prompts ("PROXY PORT:") is not part of it.
//
// Where the guide contradicts itself or the spec, the spec decides and
// the case is left out here, with the reason in docs/front-panel.md
// ("Where the guide is not followed").
package procedures

import (
	"net/netip"
	"strings"

	"picket.dev/picket/src/net/netcfg"
)

// MaxRepeat bounds an Until step: no list of the menu is that long.
const MaxRepeat = 30

// Step is one instruction of the guide.
type Step struct {
	// Says is the guide's wording, for failure messages.
	Says string
	// Keys is the keys the step names, as a keyevent script (`DOWN`,
	// `ENTER`, `"10.1.2.3" ENTER`); empty for a step that only says what
	// appears.
	Keys string
	// Until, when set, presses Keys until the screen starts with it,
	// looking before each press ("Go to X" when X shows already takes no
	// key).
	Until string
	// Shows is what the guide says appears after the step: the screen
	// must start with it. Empty when the guide names nothing. Idle means
	// the box's idle screen (name and address, or whatever the box shows
	// outside the menu).
	Shows string
}

// Idle is the Shows value for the idle screen, which differs between the
// menu engine's test state (NAME-IP) and a console bench without a
// platform (CONTACTING PLATFORM).
const Idle = "\x00idle"

// Start is the box a procedure starts on: the configuration in force,
// with the idle screen showing.
type Start struct {
	Name   string
	Config netcfg.Config
	// NotActivated: the idle screen is ACTIVATION CODE (the box reached
	// the platform but no one activated it yet).
	NotActivated bool
}

// Env is what the box a procedure ran on knows that the guide's text
// refers to ("the gateway IP address appears by default").
type Env struct {
	// LANGateway is the LAN's gateway in force when the procedure started
	// (from the DHCP lease or the static configuration).
	LANGateway netip.Addr
}

// Outcome is what the procedure must leave.
type Outcome struct {
	// Action is what every request the procedure makes asks for, by the
	// names of menu.Action's String ("apply", "reboot", "shutdown",
	// "renew-lan", "reset", "switch-mode", "test"); empty: the procedure
	// changes nothing and makes no request.
	Action string
	// Requests is how many requests it makes (0 means 1 when Action is
	// set).
	Requests int
	// Change turns the configuration in force at the start into the one
	// that must be in force at the end (nil: unchanged).
	Change func(c *netcfg.Config, env Env)
}

// Procedure is one procedure of the guide or the spec.
type Procedure struct {
	Name string
	// Source is where it is written: "guide: <section>, steps n-m" or
	// "spec: <section>".
	Source string
	Start  Start
	Steps  []Step
	Want   Outcome
}

// Screen turns the rows of a frame, with the navigation indicator cells
// already blanked, into the text a step's Shows and Until are matched
// against: trimmed rows joined by single spaces, runs of spaces folded.
func Screen(rows []string) string {
	return strings.Join(strings.Fields(strings.Join(rows, " ")), " ")
}

// Matches reports whether screen (from Screen) shows what (a Shows or
// Until text; not Idle).
func Matches(screen, what string) bool {
	return strings.HasPrefix(screen, Screen([]string{what}))
}

func addr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// The boxes procedures start on.

// Factory is the factory default: DHCP on LAN, nothing else.
func Factory() Start { return Start{Name: "factory default", Config: netcfg.Default()} }

// NotActivated is the factory default before anyone activated the box.
func NotActivated() Start {
	s := Factory()
	s.Name, s.NotActivated = "not activated", true
	return s
}

// StaticLAN is a static LAN address, the WAN port off.
func StaticLAN() Start {
	return Start{Name: "static LAN", Config: netcfg.Config{LAN: netcfg.LAN{
		Method:  netcfg.IPv4Static,
		Address: prefix("10.1.2.3/16"),
		Gateway: addr("10.1.0.1"),
		DNS1:    addr("10.1.0.2"),
	}}}
}

// WithVLAN is DHCP on LAN with VLAN 42 set at the panel.
func WithVLAN() Start {
	c := netcfg.Default()
	c.VLAN = 42
	return Start{Name: "VLAN 42", Config: c}
}

// WithProxy is DHCP on LAN through an authenticating proxy.
func WithProxy() Start {
	c := netcfg.Default()
	c.Proxy = netcfg.Proxy{Host: "PROXY.CORP.EXAMPLE", Port: 3128, User: `corp\jdoe`, Password: netcfg.NewSecret("s3cret")}
	return Start{Name: "proxy", Config: c}
}

// Split is a static LAN and a static WAN (split networking).
func Split() Start {
	s := StaticLAN()
	s.Name = "split networking"
	s.Config.WAN = netcfg.WAN{
		Method:  netcfg.WANStatic,
		Address: prefix("172.16.5.10/24"),
		Gateway: addr("172.16.5.1"),
		DNS1:    addr("172.16.5.2"),
	}
	return s
}

// IPv6Only is IPv6-only mode with automatic IPv6.
func IPv6Only() Start {
	return Start{Name: "IPv6-only", Config: netcfg.DefaultFor(netcfg.ModeIPv6Only)}
}
