package procedures

import "picket.dev/picket/src/net/netcfg"

// Steps the guide repeats.

// toSetup is "Go to the SETUP NETWORK menu option" from an idle screen:
// the guide's Main Menu ("press ENTER when the Scanner Appliance name and
// IP address are displayed. The first menu option displayed is SETUP
// NETWORK").
func toSetup(says string) Step {
	return Step{Says: says, Keys: "ENTER", Shows: "SETUP NETWORK"}
}

// goSetupEnter is the guide's most common first step, "Go to the SETUP
// NETWORK menu option and press ENTER to continue": the main menu, then
// ENTER, after which the guide names no screen.
func goSetupEnter() []Step {
	const says = "Go to the SETUP NETWORK menu option and press ENTER to continue."
	return []Step{toSetup(says), {Says: says, Keys: "ENTER"}}
}

func downUntil(says, what string) Step { return Step{Says: says, Keys: "DOWN", Until: what} }

func enter(says, shows string) Step { return Step{Says: says, Keys: "ENTER", Shows: shows} }

func typed(says, value, shows string) Step {
	return Step{Says: says, Keys: quote(value) + " ENTER", Shows: shows}
}

func cleared(says, value, shows string) Step {
	return Step{Says: says, Keys: "CLEAR " + quote(value) + " ENTER", Shows: shows}
}

func quote(s string) string { return `"` + s + `"` }

func apply(f func(c *netcfg.Config)) Outcome {
	return Outcome{Action: "apply", Change: func(c *netcfg.Config, _ Env) { f(c) }}
}

// All returns every procedure of the guide and the spec's additions.
func All() []Procedure {
	var ps []Procedure
	ps = append(ps, menuAndPower()...)
	ps = append(ps, vlan()...)
	ps = append(ps, staticLAN()...)
	ps = append(ps, proxy()...)
	ps = append(ps, wan()...)
	ps = append(ps, ethernet()...)
	ps = append(ps, reset()...)
	ps = append(ps, ipv6()...)
	return ps
}

func menuAndPower() []Procedure {
	return []Procedure{
		{
			Name:   "main-menu",
			Source: "guide: Navigating the Appliance UI, Main Menu",
			Start:  Factory(),
			Steps: []Step{
				{Says: "To access the main menu, press ENTER when the name and IP address are displayed. The first menu option displayed is SETUP NETWORK.", Keys: "ENTER", Shows: "SETUP NETWORK"},
				downUntil("To exit the main menu, press the down arrow button until the EXIT THIS MENU option appears,", "EXIT THIS MENU"),
				enter("and then press ENTER.", Idle),
			},
		},
		{
			Name:   "reboot",
			Source: "guide: System Reboot and Shutdown, How to reboot the system, steps 1-4",
			Start:  Factory(),
			Steps: []Step{
				toSetup("With the name and IP address displayed, press ENTER. The SETUP NETWORK menu option appears."),
				downUntil("Press the Down arrow to navigate through the menu options. When SYSTEM REBOOT appears,", "SYSTEM REBOOT"),
				enter("press ENTER to select the option.", "REALLY REBOOT SYSTEM?"),
				enter("When REALLY REBOOT SYSTEM? appears, press ENTER to confirm. Review the confirmation messages starting with REBOOTING SYSTEM.", "REBOOTING SYSTEM"),
			},
			Want: Outcome{Action: "reboot"},
		},
		{
			Name:   "reboot-to-activate",
			Source: "guide: Quick Start, Step 3 note",
			Start:  NotActivated(),
			Steps: []Step{
				downUntil("Just press the Down arrow until the SYSTEM REBOOT screen appears", "SYSTEM REBOOT"),
				enter("and then press ENTER. When REALLY REBOOT SYSTEM? appears", "REALLY REBOOT SYSTEM?"),
				enter("press ENTER.", "REBOOTING SYSTEM"),
			},
			Want: Outcome{Action: "reboot"},
		},
		{
			Name:   "shutdown",
			Source: "guide: System Reboot and Shutdown, How to shutdown the system, steps 1-4; Proper Shutdown",
			Start:  Factory(),
			Steps: []Step{
				toSetup("With the name and IP address displayed, press ENTER. The SETUP NETWORK menu option appears."),
				downUntil("Press the Down arrow to navigate through the menu options. When SYSTEM SHUTDOWN appears,", "SYSTEM SHUTDOWN"),
				enter("press ENTER.", "REALLY SHUTDOWN SYSTEM?"),
				// The guide names no message until "It's now safe to
				// unplug the box", which needs init (tests/appliance).
				enter("When REALLY SHUTDOWN SYSTEM? appears, press ENTER to confirm.", ""),
			},
			Want: Outcome{Action: "shutdown"},
		},
		{
			Name:   "show-status",
			Source: "spec: Menu tree, SHOW STATUS (read-only)",
			Start:  StaticLAN(),
			Steps: []Step{
				toSetup("Go to the SETUP NETWORK menu option."),
				downUntil("Press the Down arrow until SHOW STATUS appears,", "SHOW STATUS"),
				enter("then press ENTER: the status, read-only.", "NETWORK MODE IPv4+v6"),
			},
		},
		{
			Name:   "test-connectivity",
			Source: "spec: Menu tree, TEST CONNECTIVITY",
			Start:  Factory(),
			Steps: []Step{
				toSetup("Go to the SETUP NETWORK menu option."),
				downUntil("Press the Down arrow until TEST CONNECTIVITY appears,", "TEST CONNECTIVITY"),
				enter("then press ENTER: the test runs step by step.", ""),
			},
			Want: Outcome{Action: "test"},
		},
	}
}

func vlan() []Procedure {
	return []Procedure{
		{
			Name:   "vlan-enable",
			Source: "guide: Configure VLANs and Static Routes, Configure VLAN, steps 1-3",
			Start:  Factory(),
			Steps: append(goSetupEnter(),
				Step{Says: "Press the Down arrow one time. When the ENABLE VLAN ON LAN menu option appears,", Keys: "DOWN", Shows: "ENABLE VLAN ON LAN"},
				enter("press ENTER to continue. When the prompt VLAN 0-4094 appears, ... The value \"0000\" appears in the screen by default.", "VLAN 0-4094 0000"),
				typed("Specify the VLAN ID, and then press ENTER to continue.", "42", ""),
			),
			Want: apply(func(c *netcfg.Config) { c.VLAN = 42 }),
		},
		{
			Name:   "vlan-change",
			Source: "guide: Configure VLANs and Static Routes, Change VLAN",
			Start:  WithVLAN(),
			Steps: []Step{
				toSetup("Select the CHANGE VLAN ON LAN menu option from the SETUP NETWORK menu."),
				downUntil("(select) CHANGE VLAN ON LAN", "CHANGE VLAN ON LAN"),
				enter("(select)", "VLAN 0-4094 0042"),
				typed("Then enter another VLAN ID and press ENTER.", "43", ""),
			},
			Want: apply(func(c *netcfg.Config) { c.VLAN = 43 }),
		},
		{
			Name:   "vlan-disable",
			Source: "guide: Configure VLANs and Static Routes, Disable VLAN",
			Start:  WithVLAN(),
			Steps: []Step{
				toSetup("Select the CHANGE VLAN ON LAN menu option from the SETUP NETWORK menu."),
				downUntil("(select) CHANGE VLAN ON LAN", "CHANGE VLAN ON LAN"),
				enter("(select)", "VLAN 0-4094 0042"),
				typed("Then enter the VLAN ID \"0000\" and press ENTER.", "0000", ""),
			},
			Want: apply(func(c *netcfg.Config) { c.VLAN = 0 }),
		},
	}
}

// staticEntries are steps 1-6 of "Entering parameters" with the values of
// the static LAN procedures, the three optional settings skipped with
// ENTER three times.
func staticEntries(addr string) []Step {
	return []Step{
		typed("When the LAN IP ADDR prompt appears, enter the static IP address, and then press ENTER to continue.", addr, "LAN NETMASK 255.255.255.000"),
		{Says: "When the LAN NETMASK prompt appears, use the Up and Down arrows to scroll to the desired netmask value (Down: 255.255.254.000, 255.255.252.000, ... /16 is the eighth).", Keys: "DOWN*8", Shows: "LAN NETMASK 255.255.000.000"},
		enter("After selecting a netmask value, press ENTER to continue.", "LAN GATEWAY"),
		typed("When the LAN GATEWAY prompt appears, enter the gateway IP address, and then press ENTER to continue.", "10.1.0.1", "LAN DNS1"),
		typed("When the LAN DNS1 prompt appears, enter the IP address for the primary DNS server, and then press ENTER to continue.", "10.1.0.2", "LAN DNS2"),
		enter("When the LAN DNS2 prompt appears, ... This entry is optional. Press ENTER to continue.", "LAN WINS1"),
		enter("To skip these settings, press ENTER three times. (LAN WINS1)", "LAN WINS2"),
		enter("(LAN WINS2)", "DOMAIN NAME"),
		enter("(DOMAIN NAME)", "REALLY SET LAN STATIC NETWORK?"),
	}
}

func staticLAN() []Procedure {
	intro := func(item string) []Step {
		return append(goSetupEnter(),
			downUntil("Press the Down arrow until the "+item+" menu option appears.", item),
			enter("Then press ENTER to continue.", "CFG LAN STATIC NETWORK PARAMS?"),
			enter("When the CFG LAN STATIC NETWORK PARAMS? prompt appears, press ENTER to continue.", "LAN IP ADDR"),
		)
	}
	want := func(c *netcfg.Config) {
		c.LAN = netcfg.LAN{Method: netcfg.IPv4Static, Address: prefix("10.1.2.3/16"), Gateway: addr("10.1.0.1"), DNS1: addr("10.1.0.2")}
	}
	withWINS := append(intro("ENABLE STATIC IP ON LAN"), staticEntries("10.1.2.3")[:6]...)
	withWINS = append(withWINS,
		typed("When the LAN WINS1 prompt appears, enter the IP address for the primary WINS server, if any. Press ENTER to continue.", "10.1.0.3", "LAN WINS2"),
		typed("When the LAN WINS2 prompt appears, enter the IP address for the secondary WINS server, if any. Press ENTER to continue.", "10.1.0.4", "DOMAIN NAME"),
		typed("When the DOMAIN NAME prompt appears, enter the domain name for the DNS server (for example, mydomain.com). Press ENTER to continue.", "mydomain.com", "REALLY SET LAN STATIC NETWORK?"),
		enter("When the REALLY SET LAN STATIC NETWORK? prompt appears, press ENTER to continue.", ""),
	)
	return []Procedure{
		{
			Name:   "static-lan",
			Source: "guide: Configure Static IP Address, Tell me the steps 1-3, Entering parameters 1-6 (skipped with ENTER three times), step 7",
			Start:  Factory(),
			Steps: append(append(intro("ENABLE STATIC IP ON LAN"), staticEntries("10.1.2.3")...),
				enter("When the REALLY SET LAN STATIC NETWORK? prompt appears, press ENTER to continue.", "")),
			Want: apply(want),
		},
		{
			Name:   "static-lan-wins-domain",
			Source: "guide: Configure Static IP Address, Entering parameters 1-6 (WINS1, WINS2 and DOMAIN NAME entered), step 7",
			Start:  Factory(),
			Steps:  withWINS,
			Want: apply(func(c *netcfg.Config) {
				want(c)
				c.LAN.WINS1, c.LAN.WINS2, c.LAN.Domain = addr("10.1.0.3"), addr("10.1.0.4"), "MYDOMAIN.COM"
			}),
		},
		{
			Name:   "static-lan-quit-at-cfg",
			Source: "guide: Configure Static IP Address, step 3 (Or press the Up arrow to quit)",
			Start:  Factory(),
			Steps: append(append(goSetupEnter(),
				downUntil("Press the Down arrow until the ENABLE STATIC IP ON LAN menu option appears.", "ENABLE STATIC IP ON LAN"),
				enter("Then press ENTER to continue.", "CFG LAN STATIC NETWORK PARAMS?")),
				Step{Says: "Or press the Up arrow to quit this procedure and return to the SETUP NETWORK menu option.", Keys: "UP", Shows: "SETUP NETWORK"}),
		},
		{
			Name:   "static-lan-quit-at-really",
			Source: "guide: Configure Static IP Address, step 7 (Or press the Up arrow to quit)",
			Start:  Factory(),
			Steps: append(append(intro("ENABLE STATIC IP ON LAN"), staticEntries("10.1.2.3")...),
				Step{Says: "Or press the Up arrow to quit this procedure and return to the SETUP NETWORK menu option.", Keys: "UP", Shows: "SETUP NETWORK"}),
		},
		{
			Name:   "static-lan-change",
			Source: "guide: Changing the Network Configuration; Configure Static IP Address (CHANGE STATIC IP ON LAN)",
			Start:  StaticLAN(),
			Steps: append(intro("CHANGE STATIC IP ON LAN"),
				typed("Change and confirm each parameter (LAN IP ADDR).", "10.1.2.4", "LAN NETMASK 255.255.000.000"),
				enter("If a parameter has not changed, press ENTER (LAN NETMASK).", "LAN GATEWAY 010.001.000.001"),
				enter("(LAN GATEWAY)", "LAN DNS1 010.001.000.002"),
				enter("(LAN DNS1)", "LAN DNS2"),
				enter("(LAN DNS2)", "LAN WINS1"),
				enter("To skip these settings, press ENTER three times. (LAN WINS1)", "LAN WINS2"),
				enter("(LAN WINS2)", "DOMAIN NAME"),
				enter("(DOMAIN NAME)", "REALLY SET LAN STATIC NETWORK?"),
				enter("At the REALLY SET LAN STATIC NETWORK? prompt, press ENTER to confirm the change.", ""),
			),
			Want: apply(func(c *netcfg.Config) { c.LAN.Address = prefix("10.1.2.4/16") }),
		},
	}
}

func proxy() []Procedure {
	intro := func(item string) []Step {
		return []Step{
			toSetup("Go to the SETUP NETWORK menu option."),
			downUntil("Press the Down arrow until the "+item+" menu option appears.", item),
			enter("Then press ENTER to continue.", "CONFIG PROXY PARAMETERS"),
		}
	}
	quit := Step{Says: "Or press the Up arrow two times to quit this procedure and return to the SETUP NETWORK menu option.", Keys: "UP UP", Shows: "SETUP NETWORK"}
	entries := []Step{
		enter("When the CONFIG PROXY PARAMETERS prompt appears, press ENTER to continue.", "PROXY HOST"),
		cleared("When the PROXY HOST prompt appears, enter the Proxy server's FQDN/IP address. The gateway IP address appears in the screen by default. ... and then press ENTER to continue.", "proxy.corp.example", "PROXY PORT"),
		typed("When the PROXY PORT: prompt appears, enter the port number assigned to the Proxy server. ... press ENTER to continue.", "3128", "PROXY USER"),
		typed("When the PROXY USER: prompt appears, enter the user name for Proxy authentication. Press ENTER to continue.", "jdoe", "PROXY PASSW"),
		typed("When the PROXY PASSW prompt appears, enter the password for Proxy authentication. Press ENTER to continue.", "pw 1!", "REALLY ENABLE PROXY?"),
	}
	return []Procedure{
		{
			Name:   "proxy-enable",
			Source: "guide: Proxy Configuration, Tell me the steps 1-3, Entering parameters 1-6",
			Start:  Factory(),
			Steps: append(append(intro("ENABLE PROXY"), entries...),
				enter("When the REALLY ENABLE PROXY? prompt appears, press ENTER to continue. ... The ENABLING PROXY SUPPORT message appears", "ENABLING PROXY SUPPORT")),
			Want: apply(func(c *netcfg.Config) {
				c.Proxy = netcfg.Proxy{Host: "PROXY.CORP.EXAMPLE", Port: 3128, User: "jdoe", Password: netcfg.NewSecret("pw 1!")}
			}),
		},
		{
			Name:   "proxy-enable-defaults",
			Source: "guide: Proxy Configuration, Entering parameters 1-6 (the gateway and port 443 kept, no authentication)",
			Start:  Factory(),
			Steps: append(intro("ENABLE PROXY"),
				enter("When the CONFIG PROXY PARAMETERS prompt appears, press ENTER to continue.", "PROXY HOST"),
				enter("The gateway IP address appears in the screen by default. ... press ENTER to continue.", "PROXY PORT"),
				enter("Port \"0443\" appears in the screen by default. Confirm that the port number shown is correct ... press ENTER to continue.", "PROXY USER"),
				enter("If authentication is not enabled at the Proxy level, leave the entry field blank. Press ENTER to continue.", "PROXY PASSW"),
				enter("If authentication is not enabled at the Proxy level, leave the entry field blank. Press ENTER to continue.", "REALLY ENABLE PROXY?"),
				enter("When the REALLY ENABLE PROXY? prompt appears, press ENTER to continue.", "ENABLING PROXY SUPPORT"),
			),
			Want: Outcome{Action: "apply", Change: func(c *netcfg.Config, env Env) {
				c.Proxy = netcfg.Proxy{Host: env.LANGateway.String(), Port: 443}
			}},
		},
		{
			Name:   "proxy-quit-at-config",
			Source: "guide: Proxy Configuration, step 3 (Or press the Up arrow two times to quit)",
			Start:  Factory(),
			Steps:  append(intro("ENABLE PROXY"), quit),
		},
		{
			Name:   "proxy-quit-at-really",
			Source: "guide: Proxy Configuration, Entering parameters 5 (Or press the Up arrow two times to quit)",
			Start:  Factory(),
			Steps:  append(append(intro("ENABLE PROXY"), entries...), quit),
		},
		{
			Name:   "proxy-change",
			Source: "guide: Proxy Configuration, Want to update proxy setting? steps 1-5",
			Start:  WithProxy(),
			Steps: append(intro("CHANGE PROXY PARAMS"),
				enter("Follow the prompts and messages ... (CONFIG PROXY PARAMETERS)", "PROXY HOST PROXY.CORP.EXAMP"),
				enter("Existing parameters are displayed in each screen. If a parameter has not changed, press ENTER to view the next parameter.", "PROXY PORT"),
				cleared("Change and confirm each parameter (PROXY PORT).", "8080", "PROXY USER"),
				enter("(PROXY USER unchanged)", "PROXY PASSW"),
				enter("(PROXY PASSW unchanged)", "REALLY ENABLE PROXY?"),
				enter("When the REALLY ENABLE PROXY? prompt appears, press ENTER to continue. ... The ENABLING PROXY SUPPORT message appears", "ENABLING PROXY SUPPORT"),
			),
			Want: apply(func(c *netcfg.Config) { c.Proxy.Port = 8080 }),
		},
		{
			Name:   "proxy-disable",
			Source: "guide: Proxy Configuration, To disable Proxy parameters, steps 1-3",
			Start:  WithProxy(),
			Steps: []Step{
				toSetup("Go to the SETUP NETWORK menu option."),
				downUntil("Press the Down arrow until the DISABLE PROXY menu option appears.", "DISABLE PROXY"),
				enter("Then press ENTER to continue.", "REALLY DISABLE PROXY?"),
				enter("When the REALLY DISABLE PROXY? prompt appears, press ENTER to continue.", ""),
			},
			Want: apply(func(c *netcfg.Config) { c.Proxy = netcfg.Proxy{} }),
		},
		{
			Name:   "proxy-disable-quit",
			Source: "guide: Proxy Configuration, To disable Proxy parameters, step 3 (Or press the Up arrow two times)",
			Start:  WithProxy(),
			Steps: []Step{
				toSetup("Go to the SETUP NETWORK menu option."),
				downUntil("Press the Down arrow until the DISABLE PROXY menu option appears.", "DISABLE PROXY"),
				enter("Then press ENTER to continue.", "REALLY DISABLE PROXY?"),
				quit,
			},
		},
	}
}

func wan() []Procedure {
	intro := func(item, prompt string) []Step {
		return []Step{
			toSetup("Select SETUP NETWORK,"),
			downUntil("press the Down arrow until the ENABLE WAN INTERFACE menu option appears.", "ENABLE WAN INTERFACE"),
			enter("Then press ENTER to continue.", ""),
			{Says: "Go to the " + item + " menu option", Keys: "DOWN", Until: item},
			enter("and press ENTER to continue.", prompt),
		}
	}
	dhcp := func() []Step { return intro("ENABLE DHCP ON WAN", "REALLY ENABLE DHCP ON WAN?") }
	static := func() []Step { return intro("ENABLE STATIC IP ON WAN", "CFG WAN STATIC NETWORK PARAMS?") }
	return []Procedure{
		{
			Name:   "wan-dhcp",
			Source: "guide: Split Network Configuration, Enable DHCP on the WAN Interface, steps 1-3",
			Start:  StaticLAN(),
			Steps:  append(dhcp(), enter("When the REALLY ENABLE DHCP ON WAN? prompt appears, press ENTER to continue.", "")),
			Want:   apply(func(c *netcfg.Config) { c.WAN = netcfg.WAN{Method: netcfg.WANDHCP} }),
		},
		{
			Name:   "wan-dhcp-quit",
			Source: "guide: Split Network Configuration, Enable DHCP on the WAN Interface, step 3 (Or press the Up arrow two times)",
			Start:  StaticLAN(),
			Steps:  append(dhcp(), Step{Says: "Or press the Up arrow two times to quit this procedure and return to the SETUP NETWORK menu option.", Keys: "UP UP", Shows: "SETUP NETWORK"}),
		},
		{
			Name:   "wan-static",
			Source: "guide: Split Network Configuration, Enable Static IP on the WAN Interface, steps 1-9",
			Start:  StaticLAN(),
			Steps: append(static(),
				enter("When the CFG WAN STATIC NETWORK PARAMS? prompt appears, press ENTER to continue.", "WAN IP ADDR"),
				typed("When the WAN IP ADDR prompt appears, enter the static IP address, and then press ENTER to continue.", "172.16.5.10", "WAN NETMASK 255.255.255.000"),
				enter("When the WAN NETMASK prompt appears, use the Up and Down arrows to scroll to the desired netmask value. After selecting a netmask value, press ENTER to continue.", "WAN GATEWAY"),
				typed("When the WAN GATEWAY prompt appears, enter the gateway IP address. Then press ENTER to continue.", "172.16.5.1", "WAN DNS1"),
				typed("When the WAN DNS1 prompt appears, enter the IP address for the primary DNS. Then press ENTER to continue.", "172.16.5.2", "WAN DNS2"),
				enter("When the WAN DNS2 prompt appears, ... This entry is optional. Press ENTER to continue.", "REALLY SET WAN STATIC NETWORK?"),
				enter("When the REALLY SET WAN STATIC NETWORK? prompt appears, press ENTER to continue.", ""),
			),
			Want: apply(func(c *netcfg.Config) {
				c.WAN = netcfg.WAN{Method: netcfg.WANStatic, Address: prefix("172.16.5.10/24"), Gateway: addr("172.16.5.1"), DNS1: addr("172.16.5.2")}
			}),
		},
		{
			Name:   "wan-static-quit",
			Source: "guide: Split Network Configuration, Enable Static IP on the WAN Interface, step 3 (Or press the Up arrow to quit)",
			Start:  StaticLAN(),
			Steps:  append(static(), Step{Says: "Or press the Up arrow to quit this procedure and return to the SETUP NETWORK menu option.", Keys: "UP", Shows: "SETUP NETWORK"}),
		},
	}
}

func ethernet() []Procedure {
	intro := []Step{
		toSetup("Select the SETUP NETWORK menu option"),
		downUntil("Press the Down arrow to advance through the menu options. When the ETHERNET PORT SETTINGS menu option appears,", "ETHERNET PORT SETTINGS"),
		enter("press ENTER. The LAN PORT LINK option is displayed along with the LAN port link setting in effect.", "LAN PORT LINK AUTO"),
	}
	back := Step{Says: "To quit this procedure and return to SETUP NETWORK, press the Up arrow two times.", Keys: "UP UP", Shows: "SETUP NETWORK"}
	return []Procedure{
		{
			Name:   "ethernet-lan",
			Source: "guide: Ethernet Port Configuration, steps 1-5, 10",
			Start:  Factory(),
			Steps: append(append([]Step(nil), intro...),
				Step{Says: "Press the Right arrow to advance through the available port link settings.", Keys: "RIGHT", Until: "LAN PORT LINK 100baseT/Full"},
				enter("When the desired LAN port link setting is displayed, press ENTER", "REALLY SET LAN TO 100baseT/Full"),
				enter("When the REALLY SET LAN TO <value> prompt appears, press ENTER to store the configuration setting.", ""),
				back,
			),
			Want: apply(func(c *netcfg.Config) { c.Link.LAN = netcfg.Link100Full }),
		},
		{
			Name:   "ethernet-lan-reverse",
			Source: "guide: Ethernet Port Configuration, step 3 tip (the Left arrow, reverse order)",
			Start:  Factory(),
			Steps: append(append([]Step(nil), intro...),
				Step{Says: "Use the Left arrow to advance through the settings in reverse order.", Keys: "LEFT", Shows: "LAN PORT LINK 10baseT/Half"},
				enter("When the desired LAN port link setting is displayed, press ENTER", "REALLY SET LAN TO 10baseT/Half"),
				enter("When the REALLY SET LAN TO <value> prompt appears, press ENTER to store the configuration setting.", ""),
			),
			Want: apply(func(c *netcfg.Config) { c.Link.LAN = netcfg.Link10Half }),
		},
		{
			Name:   "ethernet-split",
			Source: "guide: Ethernet Port Configuration, steps 1-10 (split network configuration)",
			Start:  Split(),
			Steps: append(append([]Step(nil), intro...),
				Step{Says: "Press the Right arrow to advance through the available port link settings.", Keys: "RIGHT", Until: "LAN PORT LINK 100baseT/Half"},
				enter("When the desired LAN port link setting is displayed, press ENTER", "REALLY SET LAN TO 100baseT/Half"),
				enter("When the REALLY SET LAN TO <value> prompt appears, press ENTER to store the configuration setting.", ""),
				Step{Says: "Press the Down arrow one time. The WAN PORT LINK option is displayed along with the WAN port link setting in effect.", Keys: "DOWN", Shows: "WAN PORT LINK AUTO"},
				Step{Says: "Press the Right arrow to advance through the available port link settings.", Keys: "RIGHT", Until: "WAN PORT LINK 1GbaseT/Full"},
				enter("When the desired WAN port link setting is displayed, press ENTER to confirm the configuration setting.", "REALLY SET WAN TO 1GbaseT/Full"),
				enter("When the REALLY SET WAN TO <value> prompt appears, press ENTER to store the configuration setting.", ""),
				back,
			),
			Want: Outcome{Action: "apply", Requests: 2, Change: func(c *netcfg.Config, _ Env) {
				c.Link = netcfg.Links{LAN: netcfg.Link100Half, WAN: netcfg.Link1000Full}
			}},
		},
		{
			Name:   "ethernet-quit",
			Source: "guide: Ethernet Port Configuration, step 3 tip (Up arrow two times)",
			Start:  Factory(),
			Steps:  append(append([]Step(nil), intro...), back),
		},
	}
}

func reset() []Procedure {
	intro := func(start string) []Step {
		return append(goSetupEnter(),
			downUntil("Press the Down arrow to advance through the menu options. When the RESET NETWORK SETTINGS menu option appears,", "RESET NETWORK SETTINGS"),
			enter("press ENTER.", start),
		)
	}
	quit := Step{Says: "Or press the Up arrow to quit this procedure and return to the SETUP NETWORK menu.", Keys: "UP", Shows: "SETUP NETWORK"}
	toV6 := downUntil("Press the Down arrow to advance through the menu options. When the RESET TO IPv6 ONLY MODE? menu option appears,", "RESET TO IPv6 ONLY MODE?")
	toDual := downUntil("Press the Down arrow to advance through the menu options. When the RESET TO IPv4+v6 MODE? menu option appears,", "RESET TO IPv4+v6 MODE?")
	return []Procedure{
		{
			Name:   "reset-all",
			Source: "guide: Reset All Network Settings, steps 1-3",
			Start:  Split(),
			Steps:  append(intro("REALLY RESET ALL SETTINGS?"), enter("When the REALLY RESET ALL SETTINGS? prompt appears, press ENTER to continue.", "")),
			Want:   Outcome{Action: "reset", Change: func(c *netcfg.Config, _ Env) { *c = c.Reset() }},
		},
		{
			Name:   "reset-all-quit",
			Source: "guide: Reset All Network Settings, step 3 (Or press the Up arrow to quit)",
			Start:  Split(),
			Steps:  append(intro("REALLY RESET ALL SETTINGS?"), quit),
		},
		{
			Name:   "reset-to-ipv6-only",
			Source: "guide: Enable IPv6-only Mode, Step 1; Switch from IPv4+v6 to IPv6-only mode",
			Start:  StaticLAN(),
			Steps:  append(intro(""), toV6, enter("press ENTER to continue.", "")),
			Want:   Outcome{Action: "switch-mode", Change: func(c *netcfg.Config, _ Env) { *c = c.SwitchMode(netcfg.ModeIPv6Only) }},
		},
		{
			Name:   "reset-to-ipv6-only-quit",
			Source: "guide: Switch from IPv4+v6 to IPv6-only mode, step 3 (Or press the Up arrow to quit)",
			Start:  StaticLAN(),
			Steps:  append(intro(""), toV6, quit),
		},
		{
			Name:   "reset-to-dual",
			Source: "guide: Switch from IPv6-only to IPv4+v6 mode",
			Start:  IPv6Only(),
			Steps:  append(intro(""), toDual, enter("press ENTER to continue.", "")),
			Want:   Outcome{Action: "switch-mode", Change: func(c *netcfg.Config, _ Env) { *c = c.SwitchMode(netcfg.ModeDual) }},
		},
	}
}

func ipv6() []Procedure {
	return []Procedure{
		{
			Name:   "ipv6-static",
			Source: "guide: Network Settings in IPv6-only Mode, Configure the scanner with manual IPv6, steps 1-8",
			Start:  IPv6Only(),
			Steps: append(goSetupEnter(),
				downUntil("Press the Down arrow until the ENABLE STATIC IPv6 ON LAN? menu option appears.", "ENABLE STATIC IPv6 ON LAN?"),
				enter("Then press ENTER to continue.", "IPv6 ADDR"),
				cleared("When the IPv6 ADDR prompt appears, enter the IPv6 IP address, and then press ENTER to continue.", "2001:db8:20::10", "IPv6 PREFLEN"),
				enter("When the IPv6 PREFLEN prompt appears, use the Up and Down arrows to scroll to the desired prefix length value. After selecting a prefix length, press ENTER to continue.", "IPv6 GW"),
				cleared("When the IPv6 GW prompt appears, enter the gateway IPv6 address, and then press ENTER to continue.", "2001:db8:20::1", "IPv6 DNS1"),
				cleared("When the IPv6 DNS1 prompt appears, enter the IPv6 address for the primary DNS server, and then press ENTER to continue.", "2001:db8:20::53", "IPv6 DNS2"),
				enter("When the IPv6 DNS2 prompt appears, ... This entry is optional. Press ENTER to continue.", "REALLY SETUP STATIC LAN IPV6?"),
				enter("When the REALLY SETUP STATIC LAN IPV6? prompt appears, press ENTER to continue.", ""),
			),
			Want: apply(func(c *netcfg.Config) {
				c.LANv6 = netcfg.LANv6{Method: netcfg.IPv6Static, Address: prefix("2001:db8:20::10/64"), Gateway: addr("2001:db8:20::1"), DNS1: addr("2001:db8:20::53")}
			}),
		},
		{
			Name:   "ipv6-auto-renew",
			Source: "guide: Renew Auto IPv6 on LAN, steps 1-8",
			Start:  IPv6Only(),
			Steps: append(goSetupEnter(),
				downUntil("Press the Down arrow until the RENEW AUTO IPv6 ON LAN? menu option appears.", "RENEW AUTO IPv6 ON LAN?"),
				enter("Then press ENTER to continue.", "Auto v6 ADDR"),
				enter("When the Auto v6 ADDR prompt appears, press ENTER to continue.", "Auto PREFLEN"),
				enter("When the Auto PREFLEN prompt appears, press ENTER to continue.", "Auto GATEWAY"),
				enter("When the Auto GATEWAY prompt appears, enter the gateway IPv6 address (the learned one kept), and then press ENTER to continue.", "Manual DNS1"),
				cleared("When the Manual DNS1 prompt appears, enter the IPv6 address for the primary DNS server, and then press ENTER to continue.", "2001:db8::53", "Manual DNS2"),
				enter("When the Manual DNS2 prompt appears, enter the IPv6 address for the secondary DNS server, and then press ENTER to continue.", "REALLY SETUP AUTO LAN IPV6?"),
				enter("When the REALLY SETUP AUTO LAN IPV6? prompt appears, press ENTER to continue.", ""),
			),
			Want: apply(func(c *netcfg.Config) { c.LANv6 = netcfg.LANv6{DNS1: addr("2001:db8::53")} }),
		},
		{
			Name:   "ipv6-proxy-enable",
			Source: "guide: Proxy Configuration in IPv6-only mode (IPv6 addresses allowed in expanded and collapsed formats)",
			Start:  IPv6Only(),
			Steps: []Step{
				toSetup("Go to the SETUP NETWORK menu option."),
				downUntil("Press the Down arrow until the ENABLE PROXY menu option appears.", "ENABLE PROXY"),
				enter("Then press ENTER to continue.", "CONFIG PROXY PARAMETERS"),
				enter("When the CONFIG PROXY PARAMETERS prompt appears, press ENTER to continue.", "PROXY HOST"),
				cleared("When the PROXY HOST prompt appears, enter the Proxy server's FQDN/IP address (IPv6-only mode: expanded format).", "2001:0db8:0000:0000:0000:0000:0000:0008", "PROXY PORT"),
				enter("(PROXY PORT kept)", "PROXY USER"),
				enter("(no authentication)", "PROXY PASSW"),
				enter("(no authentication)", "REALLY ENABLE PROXY?"),
				enter("When the REALLY ENABLE PROXY? prompt appears, press ENTER to continue.", "ENABLING PROXY SUPPORT"),
			},
			Want: apply(func(c *netcfg.Config) { c.Proxy = netcfg.Proxy{Host: "2001:db8::8", Port: 443} }),
		},
	}
}
