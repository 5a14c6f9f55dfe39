package pid1

import (
	"fmt"
	"os"

	"picket.dev/picket/src/base/strictjson"
	"picket.dev/picket/src/system/slots"
)

// BootConfig is the board's init configuration, a JSON file in the rootfs
// (ConfigPath) written by the image build.
type BootConfig struct {
	Hostname string `json:"hostname"`
	// Modules are kernel module files to load, dependencies first.
	Modules []string `json:"modules"`
	// Services are the daemons, in start order.
	Services []ServiceConfig `json:"services"`
	// StableSeconds is Config.StablePeriod; 0 means the default.
	StableSeconds int `json:"stable_seconds"`
	// TrialSeconds bounds how long a slot on trial (an update being
	// tried) may take to be marked good before the init reboots, so that
	// GRUB's boot counter, and in the end the fallback to the other slot,
	// gets its turn without anyone pulling the plug; 0 means
	// DefaultTrialSeconds.
	TrialSeconds int `json:"trial_seconds"`
	// GoodBy says who decides that a slot on trial is good: "" (the
	// stable period alone) or GoodByUpdater (the stable period and the
	// updater's verdict on init.sock, sent once the slot has reached the
	// platform). A slot not on trial is marked by the stable period
	// either way; trial_seconds still reboots a slot that is not good.
	GoodBy string `json:"good_by,omitempty"`
	// TrialBoots is how many boots a slot this system installs gets
	// (GRUB's counter, 1 to slots.MaxTries) before this one is booted
	// again: the running init sets the trial; 0 means slots.MaxTries.
	TrialBoots int `json:"trial_boots,omitempty"`
	// APIGroup is the group of /run/picket, where the daemons serve
	// their local APIs on sockets of mode 0660: the daemons that talk to
	// each other have it as a supplementary group (docs/privileges.md).
	APIGroup uint32 `json:"api_group,omitempty"`
}

// GoodByUpdater is BootConfig.GoodBy when the updater's verdict counts.
const GoodByUpdater = "updater"

// DefaultTrialSeconds is TrialSeconds when the config gives none.
const DefaultTrialSeconds = 300

// ServiceConfig is a Service in the config file.
type ServiceConfig struct {
	Name    string   `json:"name"`
	Path    string   `json:"path"`
	Args    []string `json:"args,omitempty"`
	Console string   `json:"console,omitempty"`
	// StopLast is Service.StopLast: the panel daemon (lcdd), told of a
	// power off first, stopped after the others and the unmount of the
	// data partition, with the halted notice.
	StopLast bool `json:"stop_last,omitempty"`
	// Nice is Service.Nice: the panel daemons' is negative.
	Nice int `json:"nice,omitempty"`
	// User is the uid, gid, capabilities, devices and data directory
	// the daemon runs with; nil: root with every right (a test image).
	User *UserConfig `json:"user,omitempty"`
	// ReadySocket and After are Service's: at boot a service After
	// others starts once they answer on their ready sockets.
	ReadySocket string   `json:"ready_socket,omitempty"`
	After       []string `json:"after,omitempty"`
	// WhenIdle is Service's: at boot it starts when the CPU has time to
	// spare.
	WhenIdle bool `json:"when_idle,omitempty"`
}

// ConfigPath is where the init reads its BootConfig.
const ConfigPath = "/etc/picket/init.json"

// LoadBootConfig reads and checks a BootConfig.
func LoadBootConfig(path string) (BootConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return BootConfig{}, fmt.Errorf("read init config: %w", err)
	}
	var c BootConfig
	if err := strictjson.Unmarshal(b, &c); err != nil {
		return BootConfig{}, fmt.Errorf("init config %s: %w", path, err)
	}
	if c.Hostname == "" {
		return BootConfig{}, fmt.Errorf("init config %s: no hostname", path)
	}
	if c.StableSeconds < 0 {
		return BootConfig{}, fmt.Errorf("init config %s: stable_seconds %d must not be negative", path, c.StableSeconds)
	}
	if c.TrialSeconds < 0 {
		return BootConfig{}, fmt.Errorf("init config %s: trial_seconds %d must not be negative", path, c.TrialSeconds)
	}
	if c.TrialBoots < 0 || c.TrialBoots > slots.MaxTries {
		return BootConfig{}, fmt.Errorf("init config %s: trial_boots %d: want 1 to %d, or 0 for %d", path, c.TrialBoots, slots.MaxTries, slots.MaxTries)
	}
	if c.TrialBoots == 0 {
		c.TrialBoots = slots.MaxTries
	}
	if c.GoodBy != "" && c.GoodBy != GoodByUpdater {
		return BootConfig{}, fmt.Errorf("init config %s: good_by %q: want \"\" or %q", path, c.GoodBy, GoodByUpdater)
	}
	if c.TrialSeconds == 0 {
		c.TrialSeconds = DefaultTrialSeconds
	}
	for _, sc := range c.Services {
		if sc.Nice < -20 || sc.Nice > 19 {
			return BootConfig{}, fmt.Errorf("init config %s: service %s: nice %d: want -20 to 19", path, sc.Name, sc.Nice)
		}
	}
	if err := checkUsers(c.Services); err != nil {
		return BootConfig{}, fmt.Errorf("init config %s: %w", path, err)
	}
	if err := checkAfter(c.ServiceList()); err != nil {
		return BootConfig{}, fmt.Errorf("init config %s: %w", path, err)
	}
	if stable := c.StableSeconds; stable == 0 && c.TrialSeconds <= 30 || stable > 0 && c.TrialSeconds <= stable {
		return BootConfig{}, fmt.Errorf("init config %s: trial_seconds %d must be longer than the stable period (stable_seconds %d, 0 = 30)", path, c.TrialSeconds, stable)
	}
	return c, nil
}

// ServiceList turns the config's services into Services. The config
// must have been checked (LoadBootConfig).
func (c BootConfig) ServiceList() []Service {
	var s []Service
	for _, sc := range c.Services {
		svc := Service{Name: sc.Name, Path: sc.Path, Args: sc.Args, Console: sc.Console, StopLast: sc.StopLast, Nice: sc.Nice, ReadySocket: sc.ReadySocket, After: sc.After, WhenIdle: sc.WhenIdle}
		if u := sc.User; u != nil {
			// Checked by LoadBootConfig.
			svc.Creds, _ = u.creds()
			svc.Devices = u.Devices
		}
		s = append(s, svc)
	}
	return s
}
