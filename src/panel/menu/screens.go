package menu

import (
	"fmt"
	"strings"

	"picket.dev/picket/src/net/netcfg"
	"picket.dev/picket/src/panel/fieldedit"
	"picket.dev/picket/src/panel/frame"
	"picket.dev/picket/src/panel/keyevent"
)

// idleScreen shows the box's status as pages: first the follow-up notice
// after a commit, a scan being canceled, or the screens of what the box
// is doing (an update, a scan) and of the platform link; then short status
// pages (software, signatures, platform link, scan). LEFT/RIGHT turn the
// pages (a configuration error's pages are among them, in its place);
// ENTER opens the main menu.
type idleScreen struct {
	page int // index into Menu.idlePages
}

// idleKind is what one idle page shows.
type idleKind uint8

const (
	idleNotice        idleKind = iota // the follow-up notice of a commit
	idleCanceling                     // CANCELING THE ONGOING SCAN
	idleData                          // DATA REPAIRED, DATA RESET, DATA ERROR
	idleActivateAgain                 // ACTIVATE AGAIN: the box lost its identity
	idleUpdating                      // UPDATING nn%
	idleContacting                    // CONTACTING PLATFORM
	idleActivation                    // ACTIVATION CODE
	idleNameIP                        // <NAME>-<IP>
	idleCommFailure                   // COMMUNICATION FAILURE
	idleConfigError                   // CONFIG ERROR, one page of it
	idleScan                          // SCANNING nn%, or SCAN IDLE
	idleSoftware                      // SOFTWARE <version>
	idleSignatures                    // SIGNATURES <version> <age>
	idlePlatform                      // PLATFORM <link state>
)

type idlePage struct {
	kind idleKind
	off  int // idleConfigError: the first line of the error on this page
}

// idlePages lists the idle screen's pages in order. A notice or a scan
// being canceled is the only page. Otherwise the first pages say what
// matters now: what init did to the data partition at this boot, until
// the operator opens the menu, an update in hand, then the platform link's screen, with
// a running scan in place of NAME-IP (moved after it) on a ready box, or
// after the link's screen when that is a problem; then the status pages.
func (m *Menu) idlePages() []idlePage {
	st := m.st.Status
	if m.notice != nil {
		return []idlePage{{kind: idleNotice}}
	}
	if st.Canceling {
		return []idlePage{{kind: idleCanceling}}
	}
	var ps []idlePage
	add := func(k idleKind) { ps = append(ps, idlePage{kind: k}) }
	if !m.dataSeen {
		if st.Data != DataMounted {
			add(idleData)
		}
		if st.NewIdentity {
			add(idleActivateAgain)
		}
	}
	if st.UpdateRunning {
		add(idleUpdating)
	}
	switch st.Platform {
	case PlatformActivation:
		add(idleActivation)
	case PlatformReady:
		if st.ScanRunning {
			add(idleScan)
		}
		add(idleNameIP)
	case PlatformCommFailure:
		add(idleCommFailure)
	case PlatformConfigError:
		body := failureLines(st.Failure, m.geo.Cols)
		for off := 0; off == 0 || off < len(body); off += m.geo.Rows - 1 {
			ps = append(ps, idlePage{kind: idleConfigError, off: off})
		}
	default:
		add(idleContacting)
	}
	scanShown := st.ScanRunning && st.Platform == PlatformReady
	if st.ScanRunning && !scanShown {
		add(idleScan)
		scanShown = true
	}
	add(idleSoftware)
	add(idleSignatures)
	add(idlePlatform)
	if !scanShown {
		add(idleScan)
	}
	return ps
}

// idleKey names the screens the idle pages start with: when it changes,
// a different screen is up, and the pages start again from the first.
type idleKey struct {
	head    string // the kinds of the pages before the status pages
	failure Failure
}

func (m *Menu) idleKey() idleKey {
	var k idleKey
	for _, p := range m.idlePages() {
		if p.kind >= idleSoftware || (p.kind == idleScan && !m.st.Status.ScanRunning) {
			break
		}
		if p.off == 0 {
			k.head += string(rune('a' + p.kind))
		}
	}
	if m.st.Status.Platform == PlatformConfigError {
		k.failure = m.st.Status.Failure
	}
	return k
}

func (s *idleScreen) handle(m *Menu, ev keyevent.Event) *Request {
	if m.notice != nil {
		// Any key takes the notice away; the next one acts on the screen
		// below, so the operator sees what the daemons say before acting.
		m.notice = nil
		return nil
	}
	n := len(m.idlePages())
	s.page = min(max(s.page, 0), n-1)
	switch ev.Key {
	case keyevent.Enter, keyevent.Down:
		m.toSetup()
	case keyevent.Left:
		if s.page > 0 {
			s.page--
		}
	case keyevent.Right:
		if s.page+1 < n {
			s.page++
		}
	}
	return nil
}

func failureLines(f Failure, cols int) []string {
	body := wrapAll("STEP: "+f.Step.String(), cols)
	reason := strings.TrimSpace(f.Reason)
	if reason == "" {
		reason = "NO DETAILS"
	}
	return append(body, wrapAll(reason, cols)...)
}

func (s *idleScreen) render(m *Menu) frame.Frame {
	ps := m.idlePages()
	s.page = min(max(s.page, 0), len(ps)-1)
	// DOWN opens the menu too (the guide's Quick Start: "press the Down
	// arrow until the SYSTEM REBOOT screen appears"), but ENTER is the
	// documented way, and a fourth indicator would push NAME-IP to two rows.
	nav := frame.Nav{Enter: true, Left: s.page > 0, Right: s.page+1 < len(ps)}
	st := m.st.Status
	switch p := ps[s.page]; p.kind {
	case idleNotice:
		return textFrame(m.geo, nav, m.notice.text...)
	case idleCanceling:
		return textFrame(m.geo, nav, "CANCELING THE ONGOING SCAN")
	case idleData:
		head, body := st.Data.words()
		return linesFrame(m.geo, nav, head, wrapAll(body, m.geo.Cols), 0)
	case idleActivateAgain:
		// The box's identity is new: the platform knows it only once it
		// is activated with the new code (the ACTIVATION CODE page).
		return linesFrame(m.geo, nav, "ACTIVATE AGAIN", wrapAll("NEW BOX IDENTITY", m.geo.Cols), 0)
	case idleUpdating:
		return m.updatingFrame(nav)
	case idleActivation:
		return m.activationFrame(nav)
	case idleNameIP:
		return m.nameIPFrame(nav)
	case idleCommFailure:
		return textFrame(m.geo, nav, "COMMUNICATION FAILURE")
	case idleConfigError:
		return linesFrame(m.geo, nav, "CONFIG ERROR", failureLines(st.Failure, m.geo.Cols), p.off)
	case idleScan:
		return m.scanFrame(nav)
	case idleSoftware:
		return textFrame(m.geo, nav, "SOFTWARE "+orNone(st.Software))
	case idleSignatures:
		return textFrame(m.geo, nav, st.signaturesPage()...)
	case idlePlatform:
		return textFrame(m.geo, nav, st.platformPage()...)
	}
	return textFrame(m.geo, nav, "CONTACTING PLATFORM")
}

// words are a data partition page's title and line, each within 16
// columns beside the navigation indicators.
func (d DataEvent) words() (head, body string) {
	switch d {
	case DataRepaired:
		// e2fsck repaired the file system; what it could not place is
		// lost, and its settings are the defaults.
		return "DATA REPAIRED", "CHECK SETTINGS"
	case DataReset:
		return "DATA RESET", "DEFAULTS IN USE"
	}
	return "DATA ERROR", "NOTHING IS SAVED"
}

// activationFrame is ACTIVATION CODE over the code. Where the title does
// not fit beside the navigation indicators (16 columns with two of them)
// the code takes the top row and the title the second, so that both are
// whole: the operator copies the code from this screen.
func (m *Menu) activationFrame(nav frame.Nav) frame.Frame {
	const title = "ACTIVATION CODE"
	g := m.geo
	code := wrapAll(m.st.Status.ActivationCode, g.Cols)
	f := frame.Blank(g)
	if runeLen(title) > g.Cols-nav.Width() && len(code) <= 1 && (len(code) == 0 || runeLen(code[0]) <= g.Cols-nav.Width()) {
		if len(code) == 1 {
			f.SetLine(0, code[0])
		}
		f.SetLine(1, title)
		f.SetNav(nav)
		return f
	}
	f.SetLine(0, title)
	for i, l := range code {
		f.SetLine(1+i, l)
	}
	f.SetNav(nav)
	return f
}

// nameIPFrame is the ready screen: <NAME>-<IP>, on one line when it fits,
// else the name on the first and the address on the second, and the
// platform indicator in the lower-right cell.
func (m *Menu) nameIPFrame(nav frame.Nav) frame.Frame {
	st := m.st.Status
	g := m.geo
	ip := "NO IP"
	if m.st.Config.Mode == netcfg.ModeIPv6Only {
		if st.LAN6.Address.IsValid() {
			ip = st.LAN6.Address.Addr().String()
		}
	} else if st.LAN.Address.IsValid() {
		ip = st.LAN.Address.Addr().String()
	}
	name := st.Name
	if name == "" {
		name = "picket"
	}
	f := frame.Blank(g)
	if full := name + "-" + ip; runeLen(full) <= g.Cols-nav.Width() {
		f.SetLine(0, full)
	} else {
		f.SetLine(0, clip(name+"-", g.Cols-nav.Width()))
		// The address may need more than one row (IPv6 on 16 columns).
		lines := wrapAll(ip, g.Cols-1)
		for i := 0; i < len(lines) && 1+i < g.Rows; i++ {
			f.SetLine(1+i, lines[i])
		}
	}
	// Stale signatures take the first free row (always on 20x4; on 16x2
	// when name and address share the top row); SHOW STATUS says it too.
	if stale, ok := st.signaturesStale(); ok {
		for row := 1; row < g.Rows; row++ {
			if strings.TrimSpace(f.Line(row)) == "" {
				f.SetLine(row, clip(stale, g.Cols-1))
				break
			}
		}
	}
	f.WriteAt(g.Rows-1, g.Cols-1, "*")
	f.SetNav(nav)
	return f
}

// updatingFrame is the idle screen while an update is in hand: UPDATING
// nn% on the top row (13 cells at most, beside the indicators on 16
// columns), what the updater is doing below it, and on a larger panel
// which update it is.
func (m *Menu) updatingFrame(nav frame.Nav) frame.Frame {
	u := m.st.Status.Update
	body := wrapAll(u.Phase.doing(), m.geo.Cols)
	body = append(body, wrapAll(u.what(), m.geo.Cols)...)
	body = body[:min(len(body), m.geo.Rows-1)] // nothing to scroll to
	return linesFrame(m.geo, nav, fmt.Sprintf("UPDATING %d%%", u.percent()), body, 0)
}

// scanFrame is the scan's page: SCANNING nn% on the top row (13 cells at
// most) while a scan runs, the percentage being of the targets finished;
// below it the phase and the targets finished of all, and on a larger
// panel the hosts found up. SCAN IDLE when none runs.
func (m *Menu) scanFrame(nav frame.Nav) frame.Frame {
	st := m.st.Status
	if !st.ScanRunning {
		return textFrame(m.geo, nav, "SCAN IDLE")
	}
	p := st.Scan
	head := "SCANNING"
	if pc, ok := p.percent(); ok {
		head = fmt.Sprintf("SCANNING %d%%", pc)
	}
	var body []string
	add := func(s string) {
		if s != "" {
			body = append(body, clip(s, m.geo.Cols))
		}
	}
	count := p.count()
	if long := []string{p.Phase.word(), suffix(count, " HOSTS DONE"), p.up()}; nonEmpty(long) <= m.geo.Rows-1 {
		if runeLen(long[1]) > m.geo.Cols {
			long[1] = suffix(count, " DONE")
		}
		for _, l := range long {
			add(l)
		}
	} else {
		// One row: the phase and the count when both fit, else what
		// moves: the count while services are identified (the only
		// phase that finishes targets), the phase before and after.
		line := strings.TrimSpace(p.Phase.word() + " " + count)
		if runeLen(line) > m.geo.Cols {
			line = p.Phase.word()
			if p.Phase == ScanPhaseServices || line == "" {
				line = count
			}
		}
		add(line)
	}
	return linesFrame(m.geo, nav, head, body, 0)
}

// percent is the share of the targets finished, rounded down so that
// 100% means all are; ok is false before the scanner counted the targets.
func (p ScanProgress) percent() (int, bool) {
	if p.Total == 0 {
		return 0, false
	}
	return int(min(p.Done, p.Total) * 100 / p.Total), true
}

// count is "<done>/<total>", "" before the targets are counted.
func (p ScanProgress) count() string {
	if p.Total == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", min(p.Done, p.Total), p.Total)
}

// up is "<n> HOSTS UP" once discovery is over, "" before.
func (p ScanProgress) up() string {
	if p.Phase < ScanPhasePortscan {
		return ""
	}
	return fmt.Sprintf("%d HOSTS UP", p.HostsUp)
}

// word names the phase for the screens; "" when unknown.
func (p ScanPhase) word() string {
	switch p {
	case ScanPhaseResolving:
		return "RESOLVING"
	case ScanPhaseDiscovery:
		return "DISCOVERY"
	case ScanPhasePortscan:
		return "PORTSCAN"
	case ScanPhaseServices:
		return "SERVICES"
	case ScanPhaseDone:
		return "FINISHING"
	}
	return ""
}

// scanStatus is SHOW STATUS's SCAN entry.
func (st Status) scanStatus() string {
	if !st.ScanRunning {
		return "IDLE"
	}
	p := st.Scan
	parts := []string{"RUNNING"}
	if pc, ok := p.percent(); ok {
		parts[0] += fmt.Sprintf(" %d%%", pc)
	}
	for _, s := range []string{p.Phase.word(), suffix(p.count(), " HOSTS DONE"), p.up()} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

func suffix(s, sfx string) string {
	if s == "" {
		return ""
	}
	return s + sfx
}

func nonEmpty(ss []string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

// platformState is the link to the platform in words, for SHOW STATUS.
func (st Status) platformState() string {
	switch st.Platform {
	case PlatformReady:
		return strings.TrimSpace("CONNECTED " + st.Name)
	case PlatformActivation:
		return "NOT ACTIVATED"
	case PlatformCommFailure:
		return "COMMUNICATION FAILURE"
	case PlatformConfigError:
		return "CONFIG ERROR, " + st.Failure.Step.String() + " FAILED"
	}
	return "CONTACTING"
}

// platformPage is the idle PLATFORM page's wordings, longest first.
func (st Status) platformPage() []string {
	texts := []string{"PLATFORM " + st.platformState()}
	switch st.Platform {
	case PlatformReady:
		texts = append(texts, strings.TrimSpace("PLATFORM OK "+st.Name))
	case PlatformCommFailure:
		texts = append(texts, "PLATFORM COMM FAILURE")
	case PlatformConfigError:
		texts = append(texts, "PLATFORM CONFIG ERROR")
	}
	return texts
}

// signaturesPage is the idle SIGNATURES page's wordings, longest first:
// the version and its age, or that it is stale.
func (st Status) signaturesPage() []string {
	v := strings.TrimSpace(st.Signatures)
	if v == "" {
		return []string{"SIGNATURES NONE"}
	}
	age := fmt.Sprintf("%dd", st.SignaturesAgeDays)
	if _, stale := st.signaturesStale(); stale {
		return []string{"SIGNATURES " + v + " STALE " + age, "SIGS STALE " + age + " " + v, "SIGS " + v + " STALE " + age}
	}
	return []string{"SIGNATURES " + v + " AGE " + age, "SIGNATURES " + v + " " + age, "SIGS " + v + " " + age}
}

func (u UpdateState) percent() int { return min(max(u.Percent, 0), 100) }

// doing names the phases of an update in hand; "" for the others.
func (p UpdatePhase) doing() string {
	switch p {
	case UpdateDownloading:
		return "DOWNLOADING"
	case UpdateVerifying:
		return "VERIFYING"
	case UpdateInstalling:
		return "INSTALLING"
	case UpdateRebooting:
		return "REBOOTING"
	}
	return ""
}

// what is the update: SOFTWARE or SIGNATURES and the version, "" when the
// updater names none.
func (u UpdateState) what() string {
	var ch string
	switch u.Channel {
	case UpdateSoftware:
		ch = "SOFTWARE"
	case UpdateSignatures:
		ch = "SIGNATURES"
	}
	return strings.TrimSpace(ch + " " + strings.TrimSpace(u.Version))
}

// statusValue is SHOW STATUS's UPDATE entry: the phase, with the update
// it concerns and its progress where there is one.
func (u UpdateState) statusValue() string {
	join := func(parts ...string) string { return strings.Join(strings.Fields(strings.Join(parts, " ")), " ") }
	switch u.Phase {
	case UpdateChecking:
		return "CHECKING"
	case UpdateWaiting:
		return join(u.what(), "WAITS FOR THE SCAN TO END")
	case UpdateDownloading, UpdateVerifying, UpdateInstalling:
		return join(u.what(), u.Phase.doing(), fmt.Sprintf("%d%%", u.percent()))
	case UpdateRebooting:
		return join(u.what(), "REBOOTING")
	case UpdateTrying:
		return "SOFTWARE ON TRIAL"
	case UpdateFailed:
		return join(u.what(), "FAILED:", orNone(u.Error))
	}
	return "IDLE"
}

// signaturesStale is "SIGS STALE <n>d" when the signature set is older
// than the platform's limit.
func (st Status) signaturesStale() (string, bool) {
	if st.Signatures == "" || st.SignaturesMaxAgeDays <= 0 || st.SignaturesAgeDays <= st.SignaturesMaxAgeDays {
		return "", false
	}
	return fmt.Sprintf("SIGS STALE %dd", st.SignaturesAgeDays), true
}

// signaturesAge is SHOW STATUS's SIGS AGE: "<n>d", or the stale warning.
func (st Status) signaturesAge() string {
	if st.Signatures == "" {
		return "NONE"
	}
	if s, ok := st.signaturesStale(); ok {
		return s
	}
	return fmt.Sprintf("%dd", st.SignaturesAgeDays)
}

// messageScreen shows a message (a refusal, a failure) until a key other
// than a LEFT/RIGHT that scrolls it, then calls next.
type messageScreen struct {
	lines []string // the first stays on the top row, the rest scroll
	next  func(m *Menu)
	off   int
}

func (s *messageScreen) handle(m *Menu, ev keyevent.Event) *Request {
	switch ev.Key {
	case keyevent.Left, keyevent.Right:
		dir := 1
		if ev.Key == keyevent.Left {
			dir = -1
		}
		if scroll(m.geo, &s.off, len(s.body(m)), dir) {
			return nil
		}
	}
	s.next(m)
	return nil
}

func (s *messageScreen) body(m *Menu) []string {
	var body []string
	for _, l := range s.lines[1:] {
		body = append(body, wrapAll(l, m.geo.Cols)...)
	}
	return body
}

func (s *messageScreen) render(m *Menu) frame.Frame {
	return linesFrame(m.geo, frame.Nav{Enter: true}, s.lines[0], s.body(m), s.off)
}

// listKind is one of the menus of the tree.
type listKind uint8

const (
	listMain listKind = iota
	listWAN
	listReset
)

// item is one entry of a menu list. id stays the same when the label
// changes with the state, so the selection survives an Update.
type item struct {
	id    string
	label string
	open  func(m *Menu) *Request
}

// listScreen is a menu: one item per screen, UP/DOWN move, ENTER opens.
type listScreen struct {
	kind listKind
	sel  string
}

func (s *listScreen) items(m *Menu) []item {
	switch s.kind {
	case listWAN:
		return m.wanItems()
	case listReset:
		return m.resetItems()
	}
	return m.mainItems()
}

// index returns the selected item's position, falling back to the first
// when the item is gone (hidden by a state change).
func (s *listScreen) index(items []item) int {
	for i, it := range items {
		if it.id == s.sel {
			return i
		}
	}
	return 0
}

func (s *listScreen) handle(m *Menu, ev keyevent.Event) *Request {
	items := s.items(m)
	i := s.index(items)
	switch ev.Key {
	case keyevent.Up:
		switch {
		case s.kind == listReset:
			m.toSetup()
		case i > 0:
			s.sel = items[i-1].id
		case s.kind == listWAN:
			m.scr = &listScreen{kind: listMain, sel: "wan"}
		}
	case keyevent.Down:
		if i+1 < len(items) {
			s.sel = items[i+1].id
		}
	case keyevent.Enter:
		s.sel = items[i].id
		return items[i].open(m)
	}
	return nil
}

func (s *listScreen) render(m *Menu) frame.Frame {
	items := s.items(m)
	i := s.index(items)
	nav := frame.Nav{Up: i > 0 || s.kind != listMain, Down: i+1 < len(items), Enter: true}
	return textFrame(m.geo, nav, items[i].label)
}

// confirmScreen is a REALLY ...? prompt or an intro prompt: ENTER goes on,
// UP backs out.
type confirmScreen struct {
	text  []string // wordings, the full one first
	enter func(m *Menu) *Request
	up    func(m *Menu)
}

func (s *confirmScreen) handle(m *Menu, ev keyevent.Event) *Request {
	switch ev.Key {
	case keyevent.Enter:
		return s.enter(m)
	case keyevent.Up:
		s.up(m)
	}
	return nil
}

func (s *confirmScreen) render(m *Menu) frame.Frame {
	return textFrame(m.geo, frame.Nav{Up: true, Enter: true}, s.text...)
}

// statusScreen is SHOW STATUS: one entry per screen, UP/DOWN move, LEFT/
// RIGHT scroll a long value, ENTER (or UP on the first) goes back.
type statusScreen struct {
	i, off int
}

type statusEntry struct{ title, value string }

func (s *statusScreen) handle(m *Menu, ev keyevent.Event) *Request {
	es := m.statusEntries()
	s.i = min(s.i, len(es)-1)
	switch ev.Key {
	case keyevent.Up:
		if s.i == 0 {
			m.scr = &listScreen{kind: listMain, sel: "status"}
			return nil
		}
		s.i, s.off = s.i-1, 0
	case keyevent.Down:
		if s.i+1 < len(es) {
			s.i, s.off = s.i+1, 0
		}
	case keyevent.Left, keyevent.Right:
		dir := 1
		if ev.Key == keyevent.Left {
			dir = -1
		}
		scroll(m.geo, &s.off, len(wrapAll(es[s.i].value, m.geo.Cols)), dir)
	case keyevent.Enter:
		m.scr = &listScreen{kind: listMain, sel: "status"}
	}
	return nil
}

func (s *statusScreen) render(m *Menu) frame.Frame {
	es := m.statusEntries()
	s.i = min(s.i, len(es)-1)
	e := es[s.i]
	body := wrapAll(e.value, m.geo.Cols)
	s.off = min(s.off, max(0, len(body)-1))
	return linesFrame(m.geo, frame.Nav{Up: true, Down: s.i+1 < len(es), Enter: true}, e.title, body, s.off)
}

func (m *Menu) statusEntries() []statusEntry {
	c, st := m.st.Config, m.st.Status
	var es []statusEntry
	add := func(title, value string) { es = append(es, statusEntry{title, value}) }
	addr := func(a fmt.Stringer, valid bool) string {
		if !valid {
			return "NONE"
		}
		return a.String()
	}
	if c.Mode == netcfg.ModeIPv6Only {
		add("NETWORK MODE", "IPv6-ONLY")
		method := "AUTO"
		if c.LANv6.Method == netcfg.IPv6Static {
			method = "STATIC"
		}
		add("LAN IPv6 "+method, addr(st.LAN6.Address, st.LAN6.Address.IsValid()))
		add("IPv6 GATEWAY", addr(st.LAN6.Gateway, st.LAN6.Gateway.IsValid()))
		add("IPv6 DNS", strings.TrimSpace(addr(st.LAN6.DNS1, st.LAN6.DNS1.IsValid())+" "+optAddr(st.LAN6.DNS2.String(), st.LAN6.DNS2.IsValid())))
	} else {
		add("NETWORK MODE", "IPv4+v6")
		method := "DHCP"
		if c.LAN.Method == netcfg.IPv4Static {
			method = "STATIC"
		}
		add("LAN "+method, addr(st.LAN.Address, st.LAN.Address.IsValid()))
		add("LAN GATEWAY", addr(st.LAN.Gateway, st.LAN.Gateway.IsValid()))
		add("LAN DNS", strings.TrimSpace(addr(st.LAN.DNS1, st.LAN.DNS1.IsValid())+" "+optAddr(st.LAN.DNS2.String(), st.LAN.DNS2.IsValid())))
		switch c.WAN.Method {
		case netcfg.WANOff:
			add("WAN", "OFF")
		case netcfg.WANDHCP:
			add("WAN DHCP", addr(st.WAN.Address, st.WAN.Address.IsValid()))
		default:
			add("WAN STATIC", addr(st.WAN.Address, st.WAN.Address.IsValid()))
		}
	}
	if c.VLAN == 0 {
		add("LAN VLAN", "NONE")
	} else {
		add("LAN VLAN", fmt.Sprint(c.VLAN))
	}
	if c.Proxy.Enabled() {
		v := fmt.Sprintf("%s PORT %d", c.Proxy.Host, c.Proxy.Port)
		if c.Proxy.User != "" {
			v += " USER " + c.Proxy.User
		}
		add("PROXY", v)
	} else {
		add("PROXY", "OFF")
	}
	add("LAN PORT LINK", c.Link.LAN.String())
	if c.WAN.Split() {
		add("WAN PORT LINK", c.Link.WAN.String())
	}
	add("MAC ADDRESS", orNone(st.MAC))
	add("SOFTWARE", orNone(st.Software))
	if st.Update.Phase != UpdateNone {
		add("UPDATE", st.Update.statusValue())
	}
	add("SIGNATURES", orNone(st.Signatures))
	add("SIGS AGE", st.signaturesAge())
	add("SCAN", st.scanStatus())
	add("PLATFORM", st.platformState())
	if st.LastPoll.IsZero() {
		add("LAST POLL", "NEVER")
	} else {
		add("LAST POLL", st.LastPoll.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	add("LAST ERROR", orNone(st.LastError))
	return es
}

func optAddr(s string, valid bool) string {
	if !valid {
		return ""
	}
	return s
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "NONE"
	}
	return s
}

// testScreen is TEST CONNECTIVITY after ENTER: running, then the steps
// that passed and the one that failed. ENTER or UP goes back.
type testScreen struct {
	before TestReport // the report in Status when the test was asked for
	seen   bool       // Status changed since, so the report is this test's
	off    int
}

func (s *testScreen) report(m *Menu) (TestReport, bool) {
	t := m.st.Status.Test
	if t != s.before || t.State == TestRunning {
		s.seen = true
	}
	if !s.seen || t.State == TestRunning || t.State == TestNone {
		return t, false
	}
	return t, true
}

// lines lists the failing step and why first, then the steps that passed.
func (s *testScreen) lines(m *Menu) []string {
	t, done := s.report(m)
	if !done {
		return nil
	}
	var out []string
	last := StepPlatform
	if t.State == TestFailed {
		last = t.Failure.Step
		out = append(out, last.String()+" FAILED")
		if r := strings.TrimSpace(t.Failure.Reason); r != "" {
			out = append(out, wrapAll(r, m.geo.Cols)...)
		}
	}
	for st := StepLink; st < numSteps && st <= last; st++ {
		if t.State == TestFailed && st == last {
			break
		}
		if st == StepProxy && !m.st.Config.Proxy.Enabled() {
			continue // the proxy step runs only with a proxy
		}
		out = append(out, st.String()+" OK")
	}
	return out
}

func (s *testScreen) handle(m *Menu, ev keyevent.Event) *Request {
	switch ev.Key {
	case keyevent.Enter, keyevent.Up:
		m.scr = &listScreen{kind: listMain, sel: "test"}
	case keyevent.Left, keyevent.Right:
		dir := 1
		if ev.Key == keyevent.Left {
			dir = -1
		}
		scroll(m.geo, &s.off, len(s.lines(m)), dir)
	}
	return nil
}

func (s *testScreen) render(m *Menu) frame.Frame {
	t, done := s.report(m)
	nav := frame.Nav{Up: true, Enter: true}
	if !done {
		return textFrame(m.geo, nav, "TESTING CONNECTIVITY...")
	}
	head := "TEST PASSED"
	if t.State == TestFailed {
		head = "TEST FAILED"
	}
	body := s.lines(m)
	s.off = min(s.off, max(0, len(body)-1))
	return linesFrame(m.geo, nav, head, body, s.off)
}

// procScreen walks a procedure: the intro prompt, then each field with
// its editor, then the REALLY ...? prompt.
type procScreen struct {
	p   *proc
	i   int // -1: intro; 0..len(fields)-1: a field; len(fields): REALLY
	ed  fieldedit.Editor
	msg *fieldedit.Message // a problem Validate found, shown over the editor
}

func (m *Menu) startProc(p *proc) {
	s := &procScreen{p: p, i: -1}
	if p.intro == nil {
		s.enterField(0)
	}
	m.scr = s
}

func (s *procScreen) enterField(i int) {
	s.i, s.ed, s.msg = i, nil, nil
	if i < len(s.p.fields) {
		s.ed = s.p.fields[i].make(&s.p.w)
	}
}

func (s *procScreen) handle(m *Menu, ev keyevent.Event) *Request {
	switch {
	case s.i < 0:
		switch ev.Key {
		case keyevent.Enter:
			s.enterField(0)
		case keyevent.Up:
			s.p.back(m)
		}
		return nil
	case s.i >= len(s.p.fields):
		switch ev.Key {
		case keyevent.Enter:
			return s.p.commit(m)
		case keyevent.Up:
			s.p.back(m)
		}
		return nil
	}
	s.msg = nil
	if s.ed.Handle(ev).Status != fieldedit.Accepted {
		return nil
	}
	s.p.fields[s.i].take(s.ed, &s.p.w)
	if s.i+1 < len(s.p.fields) {
		s.enterField(s.i + 1)
		return nil
	}
	// The last field: check the whole candidate before asking REALLY, so a
	// problem can be corrected in the field that has it.
	if err := s.p.candidate(m).Validate(); err != nil {
		pr := firstProblem(err)
		for i, f := range s.p.fields {
			if f.owns(pr.Field) {
				s.enterField(i)
				s.msg = problemMessage(err, f.label)
				return nil
			}
		}
		msg := problemMessage(err, "")
		m.scr = &messageScreen{lines: []string{msg.Line1, msg.Line2}, next: (*Menu).toSetup}
		return nil
	}
	if s.p.really == nil {
		// No REALLY ...? prompt (the VLAN): the field's ENTER commits.
		return s.p.commit(m)
	}
	s.enterField(len(s.p.fields))
	return nil
}

func (s *procScreen) render(m *Menu) frame.Frame {
	switch {
	case s.i < 0:
		return textFrame(m.geo, frame.Nav{Up: true, Enter: true}, s.p.intro...)
	case s.i >= len(s.p.fields):
		return textFrame(m.geo, frame.Nav{Up: true, Enter: true}, s.p.really(s.p.w)...)
	}
	return overlay(s.ed.Render(m.geo), s.msg)
}

// linkScreen is ETHERNET PORT SETTINGS: LAN PORT LINK and, with split
// networking, WAN PORT LINK below it. LEFT/RIGHT cycle the value, ENTER
// asks REALLY SET LAN TO <value>?, UP goes back.
type linkScreen struct {
	wan   bool
	lan   *fieldedit.Choice
	wanCh *fieldedit.Choice
}

func newLinkScreen(c netcfg.Config, onWAN bool) *linkScreen {
	return &linkScreen{
		wan:   onWAN && c.WAN.Split(),
		lan:   fieldedit.NewLinkMode("LAN PORT LINK", c.Link.LAN.String()),
		wanCh: fieldedit.NewLinkMode("WAN PORT LINK", c.Link.WAN.String()),
	}
}

func (s *linkScreen) handle(m *Menu, ev keyevent.Event) *Request {
	split := m.st.Config.WAN.Split()
	if !split {
		s.wan = false
	}
	ch := s.lan
	if s.wan {
		ch = s.wanCh
	}
	switch ev.Key {
	case keyevent.Up:
		if s.wan {
			s.wan = false
		} else {
			// The guide: "To quit this procedure and return to SETUP
			// NETWORK, press the Up arrow two times" (the second UP is
			// at the top of the menu, where it does nothing).
			m.toSetup()
		}
		return nil
	case keyevent.Down:
		if split {
			s.wan = true
		}
		return nil
	}
	if ch.Handle(ev).Status != fieldedit.Accepted {
		return nil
	}
	m.confirmLink(s.wan, ch.Value())
	return nil
}

func (s *linkScreen) render(m *Menu) frame.Frame {
	split := m.st.Config.WAN.Split()
	ch := s.lan
	if s.wan && split {
		ch = s.wanCh
	}
	f := ch.Render(m.geo)
	f.SetNav(frame.Nav{Up: true, Down: split && !(s.wan && split), Left: true, Right: true, Enter: true})
	return f
}

// revertScreen is REVERT? (and KEEP?, keep set) over the failed step of a
// change made at the panel that cut the box off.
type revertScreen struct {
	keep bool
	off  int
}

func (s *revertScreen) body(m *Menu) []string {
	return wrapAll(m.st.Status.Revert.Reason, m.geo.Cols)
}

func (s *revertScreen) handle(m *Menu, ev keyevent.Event) *Request {
	switch ev.Key {
	case keyevent.Enter:
		if s.keep {
			return m.commit(Request{Action: ActionKeep}, []string{"KEEPING THE CHANGE", "KEEPING CHANGE"})
		}
		return m.commit(Request{Action: ActionRevert}, []string{"REVERTING THE CHANGE", "REVERTING CHANGE"})
	case keyevent.Down:
		s.keep, s.off = true, 0
	case keyevent.Up:
		s.keep, s.off = false, 0
	case keyevent.Left, keyevent.Right:
		dir := 1
		if ev.Key == keyevent.Left {
			dir = -1
		}
		scroll(m.geo, &s.off, len(s.body(m)), dir)
	}
	return nil
}

func (s *revertScreen) render(m *Menu) frame.Frame {
	left := max(m.st.Status.Revert.Left, 0)
	head := fmt.Sprintf("REVERT? %d:%02d", left/60, left%60)
	if s.keep {
		head = fmt.Sprintf("KEEP? %d:%02d", left/60, left%60)
	}
	return linesFrame(m.geo, frame.Nav{Up: s.keep, Down: !s.keep, Enter: true}, head, s.body(m), s.off)
}
