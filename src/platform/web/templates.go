package web

// The pages, server-rendered with html/template (contextual escaping of
// everything a box or a person typed). No JavaScript; the style sheet is a
// separate file because the CSP forbids inline styles.

const layout = `{{define "top"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — Picket platform</title>
<link rel="stylesheet" href="/static/style.css">
{{if .Refresh}}<meta http-equiv="refresh" content="{{.Refresh}}">{{end}}
</head><body>
<header><span class="brand">Picket platform</span>
{{if .User}}<nav><a href="/appliances" id="nav-appliances">Appliances</a>{{if mayChange .User}} <a href="/activate" id="nav-activate">Activate</a>{{end}}{{if mayManage .User}} <a href="/releases" id="nav-releases">Releases</a> <a href="/people" id="nav-people">People</a> <a href="/groups" id="nav-groups">Asset groups</a> <a href="/audit" id="nav-audit">Audit log</a>{{end}} <a href="/password" id="nav-password">Password</a></nav>
<form method="post" action="/logout" class="logout"><input type="hidden" name="csrf" value="{{.CSRF}}">
<span id="whoami">{{.User.Name}} ({{.User.Role}})</span> <button type="submit" id="logout">Log out</button></form>{{end}}
</header><main>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" id="error">{{.Error}}</p>{{end}}
{{if .Notice}}<p class="notice" id="notice">{{.Notice}}</p>{{end}}
{{end}}
{{define "bottom"}}</main></body></html>{{end}}
{{define "ferr"}}{{range .}}<div class="ferr">{{.}}</div>{{end}}{{end}}
`

const loginPage = `{{template "top" .}}
<form method="post" action="/login" id="login-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>User name <input name="username" id="username" autocomplete="username" required value="{{.Data}}"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="login">Log in</button>
</form>
{{template "bottom" .}}`

const appliancesPage = `{{template "top" .}}
{{if not .Data}}<p id="empty">No appliances yet. <a href="/activate">Activate a box</a> with the code on its screen.</p>{{else}}
<table id="appliances"><thead><tr>
<th>Name</th><th>ID</th><th>Asset group</th><th>LAN IPv4</th><th>LAN IPv6</th><th>Polling interval</th>
<th>Scanner version</th><th>Signature version</th><th>Updater</th><th>Last update</th><th>Status</th><th>Capacity</th></tr></thead><tbody>
{{range .Data}}<tr id="box-{{.ID}}">
<td class="name"><a href="/appliances/{{.ID}}">{{.Name}}</a></td><td class="id">{{.ID}}</td><td>{{.AssetGroup}}</td>
<td class="lan4">{{range .LANv4}}{{.}}<br>{{end}}</td><td class="lan6">{{range .LANv6}}{{.}}<br>{{end}}</td>
<td class="interval">{{.Interval}}</td><td class="scanner">{{.Versions.Scanner}}{{with .Latest.Software}} <span class="latest{{if ne . "latest"}} behind{{end}}">({{.}})</span>{{end}}</td>
<td class="signatures">{{.Versions.Signatures}}{{with .Latest.Signatures}} <span class="latest{{if ne . "latest"}} behind{{end}}">({{.}})</span>{{end}}</td><td class="updater">{{.Versions.Update}}</td>
<td class="lastpoll">{{.LastPoll}}</td><td class="status status-{{.StatusClass}}">{{.Status}}</td><td class="capacity">{{.Capacity}}</td></tr>
{{end}}</tbody></table>{{end}}
{{template "bottom" .}}`

const activatePage = `{{template "top" .}}
<p>Enter the activation code the box shows on its screen (XXXX-XXXX-XXX).</p>
<form method="post" action="/activate" id="activate-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Activation code <input name="code" id="code" required autocomplete="off" value="{{.Data.Code}}"></label>
<label>Asset group{{if .Data.GroupRequired}} (required){{else}} (optional){{end}}
{{if .Data.Groups}}<select name="group" id="group">{{if not .Data.GroupRequired}}<option value="">(none)</option>{{end}}
{{range .Data.Groups}}<option value="{{.}}"{{if eq . $.Data.Group}} selected{{end}}>{{.}}</option>{{end}}</select>
{{else}}<input name="group" id="group" value="{{.Data.Group}}">{{end}}</label>
<button type="submit" id="activate">Activate</button>
</form>
{{template "bottom" .}}`

const boxPage = `{{template "top" .}}
{{with .Data}}
<table class="facts" id="facts">
<tr><th>ID</th><td id="box-id">{{.Box.ID}}</td></tr>
<tr><th>Status</th><td id="box-status">{{.Status}}{{if .Box.PollFailures}}: <span class="error" id="poll-error">the box could not use the answers to its last {{.Box.PollFailures}} polls: {{.Box.PollError}}</span>{{end}}</td></tr>
<tr><th>Account / asset group</th><td>{{.Box.Account}} / {{.Box.AssetGroup}}</td></tr>
<tr><th>Board</th><td>{{.Box.Board}}</td></tr>
<tr><th>LAN</th><td>{{range .Box.LANv4}}{{.}} {{end}}{{range .Box.LANv6}}{{.}} {{end}}</td></tr>
<tr><th>Versions</th><td id="box-versions">scanner {{.Box.Versions.Scanner}}{{with .Latest.Software}} ({{.}}){{end}}, signatures {{.Box.Versions.Signatures}}{{with .Latest.Signatures}} ({{.}}){{end}}</td></tr>
<tr><th>Updater</th><td id="box-updater">{{if .Box.Versions.Update}}{{.Box.Versions.Update}}{{else}}not reported{{end}}</td></tr>
<tr><th>Settings</th><td id="settings-state">version {{.Box.Settings.Version}}; the box applied version {{.Box.AppliedVer}}{{if .Box.SettingsError}}; <span class="error">the box refused them: {{.Box.SettingsError}}</span>{{end}}</td></tr>
{{with .Box.Rollback}}<tr><th>Network rollback</th><td id="rollback"><span class="error">{{if eq .Source "platform"}}the box rolled back settings version {{.SettingsVersion}}{{else}}the box rolled back a change made at its panel{{end}} at {{.At.Format "2006-01-02 15:04:05 MST"}}: {{.Reason}}</span></td></tr>{{end}}
<tr><th>First seen / last poll</th><td>{{.FirstSeen}} / {{.LastPoll}}</td></tr>
</table>

{{if mayChange $.User}}<h2>Settings</h2>
<form method="post" action="/appliances/{{.Box.ID}}/settings" id="settings-form">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>Name <input name="name" id="name" value="{{.Edit.Name}}"></label>{{template "ferr" index .Errors "name"}}
<label>Polling interval (seconds, 10 to 86400) <input name="poll_interval" id="poll_interval" value="{{.Edit.PollInterval}}"></label>{{template "ferr" index .Errors "poll_interval"}}
<label>Signatures older than this many days show as stale on the box (1 to 365; empty: 7) <input name="sigs_max_age" id="sigs_max_age" value="{{.Edit.SigsMaxAge}}"></label>{{template "ferr" index .Errors "sigs_max_age"}}
<label>Scanning VLANs, one per line: <code>id address/prefix [name]</code>
<textarea name="vlans" id="vlans" rows="6">{{.Edit.VLANs}}</textarea></label>{{template "ferr" index .Errors "vlans"}}
<label>Static routes, one per line: <code>destination gateway [name]</code>
<textarea name="routes" id="routes" rows="4">{{.Edit.Routes}}</textarea></label>{{template "ferr" index .Errors "routes"}}
<fieldset><legend>IPv6 for scanning</legend>
<select name="ipv6_method" id="ipv6_method">{{range $m := .IPv6Methods}}<option value="{{$m}}"{{if eq $m $.Data.Edit.IPv6Method}} selected{{end}}>{{$m}}</option>{{end}}</select>
<label>Address (static) <input name="ipv6_address" id="ipv6_address" value="{{.Edit.IPv6Address}}"></label>
<label>Gateway (static, optional) <input name="ipv6_gateway" id="ipv6_gateway" value="{{.Edit.IPv6Gateway}}"></label>
</fieldset>{{template "ferr" index .Errors "ipv6"}}{{template "ferr" index .Errors "settings"}}
<button type="submit" id="save">Save settings</button>
</form>{{end}}

<h2>Scan jobs</h2>
{{if mayChange $.User}}<form method="post" action="/appliances/{{.Box.ID}}/jobs" id="job-form">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>Targets (addresses, networks or host names) <input name="targets" id="targets" value="{{.JobTargets}}"></label>{{template "ferr" index .Errors "targets"}}
<label>Ports (UDP after U:, e.g. 1-1024,U:53,161) <input name="ports" id="ports" value="{{.JobPorts}}"></label>{{template "ferr" index .Errors "ports"}}
<label>Interface <select name="vlan" id="vlan"><option value="0">LAN</option>{{range .Box.Settings.ScanVLANs}}<option value="{{.ID}}"{{if eq (print .ID) $.Data.JobVLAN}} selected{{end}}>VLAN {{.ID}}{{if .Name}} ({{.Name}}){{end}}, {{.Address}}</option>{{end}}</select></label>{{template "ferr" index .Errors "vlan"}}
<fieldset id="checks-off"><legend>Check classes to switch off (every other class runs)</legend>
{{range .CheckClasses}}<label class="inline"><input type="checkbox" name="checks_off" value="{{.}}" id="off-{{.}}"{{if has $.Data.JobChecksOff (print .)}} checked{{end}}> {{.}}</label>
{{end}}</fieldset>{{template "ferr" index .Errors "checks_off"}}
<button type="submit" id="launch">Launch scan</button>
</form>{{end}}
{{if .Jobs}}<table id="jobs"><thead><tr><th>Job</th><th>Targets</th><th>Ports</th><th>Interface</th><th>State</th><th>Launched</th><th>Updated</th><th></th></tr></thead><tbody>
{{range .Jobs}}<tr id="{{.ID}}"><td><a href="/appliances/{{$.Data.Box.ID}}/jobs/{{.ID}}" class="job-link">{{.ID}}</a></td><td>{{range .Targets}}{{.}} {{end}}</td><td>{{.Ports}}</td><td class="job-vlan">{{if .VLAN}}VLAN {{.VLAN}}{{else}}LAN{{end}}</td>
<td class="job-state">{{.State}}{{if .CanceledBy}} by {{.CanceledBy}}{{end}}{{if .Error}}: <span class="error">{{.Error}}</span>{{end}}</td><td>{{.CreatedBy}}, {{fmtTime .Created}}</td><td>{{fmtTime .Updated}}</td>
<td class="job-actions">{{if mayChange $.User}}{{if not (ended .State)}}<form method="post" action="/appliances/{{$.Data.Box.ID}}/jobs/{{.ID}}/cancel" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="cancel-job">Cancel</button></form>{{end}}
<form method="post" action="/appliances/{{$.Data.Box.ID}}/jobs/{{.ID}}/delete" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="delete-job">Delete</button></form>{{end}}</td></tr>
{{end}}</tbody></table>{{end}}
{{end}}
{{template "bottom" .}}`

const jobPage = `{{template "top" .}}
{{with .Data}}{{$job := .Job}}
<p><a href="/appliances/{{.BoxID}}" id="back">Back to the appliance</a> ·
<a href="/appliances/{{.BoxID}}/jobs/{{$job.ID}}.json" id="export-json">Export JSON</a> ·
<a href="/appliances/{{.BoxID}}/jobs/{{$job.ID}}.csv" id="export-csv">Export CSV</a></p>
<table class="facts" id="job-facts">
<tr><th>State</th><td id="job-state">{{$job.State}}{{if $job.CanceledBy}} by {{$job.CanceledBy}}{{end}}{{if $job.Error}}: <span class="error">{{$job.Error}}</span>{{end}}</td></tr>
<tr><th>Targets</th><td>{{range $job.Targets}}{{.}} {{end}}</td></tr>
<tr><th>Ports</th><td>{{$job.Ports}}</td></tr>
<tr><th>Interface</th><td id="job-vlan">{{if $job.VLAN}}VLAN {{$job.VLAN}}{{else}}LAN{{end}}</td></tr>
<tr><th>Checks switched off</th><td id="job-checks-off">{{if $job.ChecksOff}}{{join $job.ChecksOff ", "}}{{else}}none{{end}}</td></tr>
<tr><th>Launched / updated</th><td>{{$job.CreatedBy}}, {{fmtTime $job.Created}} / {{fmtTime $job.Updated}}</td></tr>
{{with $job.Progress}}<tr><th>Phase</th><td id="phase">{{.Phase}}</td></tr>
<tr><th>Targets done</th><td id="targets-done">{{.TargetsDone}} of {{.TargetsTotal}}</td></tr>
<tr><th>Hosts up / open ports</th><td id="hosts-up">{{.HostsUp}} hosts up, {{.OpenPorts}} open ports</td></tr>
<tr><th>Packets sent</th><td>{{.PacketsSent}}</td></tr>{{end}}
{{with $job.Summary}}{{if .Signatures}}<tr><th>Signature database</th><td id="job-signatures">{{.Signatures}}</td></tr>{{end}}{{end}}
{{with $job.Summary}}<tr><th>Scan</th><td id="summary">{{fmtTime .Started}} to {{fmtTime .Finished}}{{if .Interface}}, interface {{.Interface}}{{end}}{{if .Method}}, {{.Method}} scan{{end}}: {{.TargetsTotal}} targets, {{.HostsUp}} hosts up, {{.OpenPorts}} open ports</td></tr>{{end}}
</table>
{{if $job.Truncated}}<p class="error" id="truncated">{{$job.Truncated}}.</p>{{end}}
{{if not .Ended}}<p class="notice">The scan has not ended: this page reloads itself every few seconds.</p>{{end}}
{{template "findings" .}}

<h2>Hosts ({{$job.Hosts}})</h2>
{{if lt (len .Hosts) $job.Hosts}}<p id="hosts-cut">The first {{len .Hosts}} hosts are shown; the exports have them all.</p>{{end}}
{{if .Hosts}}<table id="hosts"><thead><tr><th>Host</th><th>Port</th><th>State</th><th>Service</th><th>Product</th><th>Version</th><th>Facts</th></tr></thead><tbody>
{{range .Hosts}}{{$h := .}}<tr class="host" id="host-{{.Addr}}"><td class="addr" rowspan="{{rows (len .Ports)}}">{{.Addr}}{{range .Names}}<br>{{.}}{{end}}{{if .MAC}}<br>{{.MAC}}{{if .Vendor}} ({{.Vendor}}){{end}}{{end}}{{with index $.Data.HostFindings .Addr}}<br><a class="host-findings" href="/appliances/{{$.Data.BoxID}}/jobs/{{$job.ID}}?host={{$h.Addr}}#findings-h">{{.}} findings</a>{{end}}</td>
{{range $i, $p := .Ports}}{{if $i}}<tr class="port">{{end}}<td class="port">{{.Port}}/{{.Proto}}</td><td class="state">{{.State}}</td>
{{with .Service}}<td class="service">{{.Name}}</td><td class="product">{{.Product}}</td><td class="version">{{.Version}}{{if .Extra}} {{.Extra}}{{end}}</td>
<td class="svcfacts">{{if .Banner}}<div class="banner">banner: <code>{{.Banner}}</code></div>{{end}}{{if .OS}}<div>OS: {{.OS}}</div>{{end}}
{{with .TLS}}<div class="tls">TLS {{range .Versions}}{{.}} {{end}}{{if .CipherSuite}}({{.CipherSuite}}){{end}}{{if .STARTTLS}} after STARTTLS ({{.STARTTLS}}){{end}}{{if .SelfSigned}} <span class="error">self-signed</span>{{end}}{{if .Expired}} <span class="error">expired</span>{{end}}
{{range $k, $c := .Chain}}<div class="cert">{{if $k}}chain {{$k}}{{else}}certificate{{end}}: subject {{.Subject}}; issuer {{.Issuer}}{{if .SANs}}; SANs {{range .SANs}}{{.}} {{end}}{{end}}; valid {{fmtTime .NotBefore}} to {{fmtTime .NotAfter}}; {{.KeyType}} {{.KeyBits}} bits{{if .SigAlg}}, {{.SigAlg}}{{end}}</div>{{end}}</div>{{end}}
{{with .HTTP}}<div class="http">HTTP {{.Status}}{{if .Server}}, server {{.Server}}{{end}}{{if .Title}}, title “{{.Title}}”{{end}}{{range .Redirects}}<br>redirect to {{.}}{{end}}</div>{{end}}
{{with .SSH}}<div class="ssh">SSH {{.Banner}}{{if .Kex}}<br>kex: {{range .Kex}}{{.}} {{end}}{{end}}{{if .HostKeyAlgs}}<br>host keys: {{range .HostKeyAlgs}}{{.}} {{end}}{{end}}{{if .Ciphers}}<br>ciphers: {{range .Ciphers}}{{.}} {{end}}{{end}}{{if .MACs}}<br>MACs: {{range .MACs}}{{.}} {{end}}{{end}}</div>{{end}}
{{range $k, $v := .Facts}}<div class="fact">{{$k}}: {{$v}}</div>{{end}}</td>
{{else}}<td></td><td></td><td></td><td></td>{{end}}</tr>
{{else}}<td class="port" colspan="6">no open ports reported</td></tr>{{end}}
{{end}}</tbody></table>{{else}}<p id="no-hosts">No hosts reported yet.</p>{{end}}
{{end}}
{{template "bottom" .}}`

// findingsPart is the job page's findings section (its data: jobData).
const findingsPart = `{{define "findings"}}{{$job := .Job}}{{$f := .F}}
<h2 id="findings-h">Findings ({{$f.Total}})</h2>
<table id="severity-counts"><thead><tr>{{range $f.Counts}}<th>{{.Severity}}</th>{{end}}<th>all</th></tr></thead>
<tbody><tr>{{range $f.Counts}}<td class="count sev-{{.Severity}}" id="count-{{.Severity}}">{{.Count}}</td>{{end}}<td id="count-all">{{$f.Total}}</td></tr></tbody></table>
{{if $job.FindingsDropped}}<p class="error" id="findings-dropped">{{$job.FindingsDropped}} findings were not stored: a host reported more than the platform keeps per host.</p>{{end}}
{{if $job.FindingTextsCut}}<p class="notice" id="finding-texts-cut">{{$job.FindingTextsCut}} finding texts (titles, evidence, remediation) were longer than the platform keeps; they are cut and end with “…”.</p>{{end}}
<p id="tracking">{{if not $f.Tracked}}This scan ended before the platform tracked findings across scans.
{{else if $f.Preview}}The scan has not completed: its findings are compared with {{if $f.Prev}}the last completed scan of the same targets, <a href="/appliances/{{.BoxID}}/jobs/{{$f.Prev}}">{{$f.Prev}}</a>{{else}}no earlier completed scan of the same targets (there is none){{end}}; none is shown fixed until a scan completes.
{{else if $f.Prev}}Compared with the previous completed scan of the same targets, <a href="/appliances/{{.BoxID}}/jobs/{{$f.Prev}}" id="prev-scan">{{$f.Prev}}</a>: <span id="new-count">{{$f.New}}</span> new, <span id="fixed-count">{{len $f.Fixed}}</span> fixed{{if $f.Filter.Active}} (of those the filter shows){{end}}.
{{else}}The first completed scan of these targets: every finding is new.{{end}}
{{if $f.Untracked}} {{$f.Untracked}} findings beyond the tracking limit have no first-seen date.{{end}}</p>
<form method="get" action="/appliances/{{.BoxID}}/jobs/{{$job.ID}}#findings-h" id="findings-filter">
<fieldset><legend>Severity</legend>{{range .Severities}}<label class="inline"><input type="checkbox" name="sev" value="{{.}}" id="sev-{{.}}"{{if hasSev $f.Filter.Severities .}} checked{{end}}> {{.}}</label> {{end}}</fieldset>
<label>Host (address, network or name) <input name="host" id="filter-host" value="{{$f.Filter.Host}}"></label>
<label>Check (id, title, CVE, CWE or evidence text) <input name="q" id="filter-q" value="{{$f.Filter.Text}}"></label>
<label><input type="checkbox" name="new" value="1" id="filter-new"{{if $f.Filter.New}} checked{{end}}> new findings only</label>
<button type="submit" id="filter">Filter</button>{{if $f.Filter.Active}} <a href="/appliances/{{.BoxID}}/jobs/{{$job.ID}}#findings-h" id="filter-clear">Show all</a>{{end}}
</form>
<p><a href="/appliances/{{.BoxID}}/jobs/{{$job.ID}}/report{{$f.Query}}" id="report-link">Printable report</a> ·
<a href="/appliances/{{.BoxID}}/jobs/{{$job.ID}}.findings.json{{$f.Query}}" id="export-findings-json">Export findings JSON</a> ·
<a href="/appliances/{{.BoxID}}/jobs/{{$job.ID}}.findings.csv{{$f.Query}}" id="export-findings-csv">Export findings CSV</a></p>
{{if $f.Rows}}<p id="findings-matched">{{$f.Matched}} findings{{if $f.Filter.Active}} match the filter{{end}}{{if lt (len $f.Rows) $f.Matched}}; the {{len $f.Rows}} most severe are listed (the exports and the report have them all){{end}}.</p>
<table id="findings"><thead><tr><th>Severity</th><th>Host</th><th>Port</th><th>Check</th><th>Title</th><th>CVEs</th><th>Evidence</th><th>Remediation</th><th>Seen</th></tr></thead><tbody>
{{range $f.Rows}}<tr class="finding sev-{{.F.Severity}}" data-id="{{.F.ID}}" data-host="{{.Addr}}"><td class="severity">{{.F.Severity}} ({{printf "%.1f" .F.CVSS}})</td>
<td class="host">{{.Addr}}{{range .Names}}<br>{{.}}{{end}}</td><td class="port">{{if .F.Port}}{{.F.Port}}/{{.F.Proto}}{{else}}host{{end}}</td>
<td class="check">{{.F.ID}}</td><td class="title">{{.F.Title}}</td><td class="cves">{{join .F.CVEs " "}}</td>
<td class="evidence"><code>{{.F.Evidence}}</code></td><td class="remediation">{{.F.Remediation}}</td>
<td class="seen">{{if .Status.Known}}{{if .Status.New}}<span class="new">new</span>{{else}}since {{fmtTime .Status.FirstSeen}}{{end}}{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p id="no-findings">{{if $f.Filter.Active}}No findings match the filter.{{else}}No findings reported.{{end}}</p>{{end}}
{{if $f.PerHost}}<h3>Findings by host</h3>
<table id="findings-hosts"><thead><tr><th>Host</th>{{range .Severities}}<th>{{.}}</th>{{end}}<th>all</th></tr></thead><tbody>
{{range $f.PerHost}}<tr class="finding-host" data-host="{{.Addr}}"><td><a href="/appliances/{{$.BoxID}}/jobs/{{$job.ID}}?host={{.Addr}}#findings-h">{{.Addr}}</a>{{range .Names}} {{.}}{{end}}</td>{{range .Counts}}<td>{{.}}</td>{{end}}<td>{{.Total}}</td></tr>
{{end}}</tbody></table>{{if $f.MoreHosts}}<p>and {{$f.MoreHosts}} more hosts.</p>{{end}}{{end}}
{{if $f.Fixed}}<h3>Fixed since the previous completed scan ({{len $f.Fixed}})</h3>
<table id="fixed"><thead><tr><th>Severity</th><th>Host</th><th>Port</th><th>Check</th><th>Title</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>
{{range $f.Fixed}}<tr class="fixed sev-{{.Severity}}" data-id="{{.ID}}" data-host="{{.Addr}}"><td>{{.Severity}}</td><td>{{.Addr}}</td><td>{{if .Port}}{{.Port}}/{{.Proto}}{{else}}host{{end}}</td><td>{{.ID}}</td><td>{{.Title}}</td><td>{{fmtTime .FirstSeen}}</td><td>{{fmtTime .LastSeen}}</td></tr>
{{end}}</tbody></table>{{end}}
{{end}}`

// reportPage is a job's findings as a person prints them: a summary, the
// severity chart (inline SVG made on the server) and the findings by
// severity, then host, with their remediation. The style sheet hides the
// navigation in print.
const reportPage = `{{template "top" .}}
{{with .Data}}{{$job := .Job}}{{$v := .V}}
<p class="noprint"><a href="/appliances/{{.BoxID}}/jobs/{{$job.ID}}" id="back">Back to the scan job</a></p>
<section id="report-summary"><h2>Summary</h2>
<table class="facts">
<tr><th>Appliance</th><td id="report-box">{{.BoxName}} ({{.BoxID}})</td></tr>
<tr><th>Targets</th><td>{{range $job.Targets}}{{.}} {{end}}</td></tr>
<tr><th>Ports</th><td>{{$job.Ports}}</td></tr>
<tr><th>Interface</th><td>{{if $job.VLAN}}VLAN {{$job.VLAN}}{{else}}LAN{{end}}</td></tr>
<tr><th>State</th><td id="report-state">{{$job.State}}</td></tr>
<tr><th>Launched</th><td>{{$job.CreatedBy}}, {{fmtTime $job.Created}}</td></tr>
{{with $job.Summary}}<tr><th>Scanned</th><td>{{fmtTime .Started}} to {{fmtTime .Finished}}: {{.TargetsTotal}} targets, {{.HostsUp}} hosts up, {{.OpenPorts}} open ports</td></tr>
<tr><th>Signature database</th><td id="report-signatures">{{if .Signatures}}{{.Signatures}}{{else}}not reported{{end}}</td></tr>{{end}}
<tr><th>Checks switched off</th><td>{{if $job.ChecksOff}}{{join $job.ChecksOff ", "}}{{else}}none{{end}}</td></tr>
{{if $v.Filter.Active}}<tr><th>Filter</th><td id="report-filter">{{if $v.Filter.Severities}}severity {{range $v.Filter.Severities}}{{.}} {{end}}{{end}}{{if $v.Filter.Host}}host “{{$v.Filter.Host}}” {{end}}{{if $v.Filter.Text}}check “{{$v.Filter.Text}}” {{end}}{{if $v.Filter.New}}new only{{end}}</td></tr>{{end}}
<tr><th>Findings</th><td id="report-total">{{$v.Matched}}{{if $v.Filter.Active}} of {{$v.Total}}{{end}}</td></tr>
{{if and $v.Tracked (not $v.Preview)}}<tr><th>Since the previous scan</th><td id="report-tracking">{{if $v.Prev}}{{$v.New}} new, {{len $v.Fixed}} fixed (compared with {{$v.Prev}}){{else}}the first completed scan of these targets{{end}}</td></tr>{{end}}
<tr><th>Report made</th><td>{{.Generated}}</td></tr>
</table></section>
<section id="report-chart"><h2>Findings by severity</h2>
<svg id="severity-chart" xmlns="http://www.w3.org/2000/svg" width="{{chartWidth}}" height="{{.ChartH}}" viewBox="0 0 {{chartWidth}} {{.ChartH}}" role="img" aria-label="Findings by severity">
{{range .Bars}}<g class="chart-row" data-severity="{{.Severity}}" data-count="{{.Count}}">
<text class="chart-label" x="0" y="{{add .Y 17}}">{{.Severity}}</text>
<rect class="bar sev-{{.Severity}}" x="{{chartLabel}}" y="{{.Y}}" width="{{.Width}}" height="24"></rect>
<text class="chart-count" x="{{add (add chartLabel .Width) 6}}" y="{{add .Y 17}}">{{.Count}}</text></g>
{{end}}</svg></section>
{{range .Groups}}<section class="sev-group" id="group-{{.Severity}}"><h2>{{.Severity}}</h2>
{{range .Hosts}}<h3 class="report-host">{{.Addr}}{{range .Names}} ({{.}}){{end}}</h3>
{{range .Rows}}<div class="report-finding" data-id="{{.F.ID}}" data-host="{{.Addr}}">
<h4>{{.F.Title}} <span class="check">[{{.F.ID}}]</span>{{if .Status.Known}}{{if .Status.New}} <span class="new">new</span>{{end}}{{end}}</h4>
<p>{{if .F.Port}}Port {{.F.Port}}/{{.F.Proto}}{{else}}The host{{end}} · CVSS {{printf "%.1f" .F.CVSS}}{{if .F.Vector}} ({{.F.Vector}}){{end}}{{if .F.CVEs}} · {{join .F.CVEs ", "}}{{end}}{{if .F.CWEs}} · {{join .F.CWEs ", "}}{{end}}{{if .Status.Known}}{{if not .Status.New}} · first seen {{fmtTime .Status.FirstSeen}}{{end}}{{end}}</p>
<p class="evidence">Evidence: <code>{{.F.Evidence}}</code></p>
<p class="remediation">Remediation: {{.F.Remediation}}</p>
{{if .F.References}}<p class="refs">References: {{range .F.References}}<span>{{.}}</span> {{end}}</p>{{end}}
</div>{{end}}{{end}}</section>
{{else}}<p id="report-none">{{if $v.Filter.Active}}No findings match the filter.{{else}}No findings reported.{{end}}</p>{{end}}
{{if $v.Fixed}}<section id="report-fixed"><h2>Fixed since the previous completed scan</h2><ul>
{{range $v.Fixed}}<li class="fixed" data-id="{{.ID}}" data-host="{{.Addr}}">{{.Severity}}: {{.Addr}}{{if .Port}} port {{.Port}}/{{.Proto}}{{end}}, {{.Title}} [{{.ID}}], first seen {{fmtTime .FirstSeen}}, last seen {{fmtTime .LastSeen}}</li>
{{end}}</ul></section>{{end}}
{{end}}
{{template "bottom" .}}`

// releasesPage: one section per channel: its releases, its rollout and
// the form that changes it, and the boxes per version.
const releasesPage = `{{template "top" .}}
{{with .Data}}
{{if not .Served}}<p id="no-repository">This platform serves no update repository (start platformd with -updates DIR).</p>{{else}}
{{if .LoadErr}}<p class="error" id="repo-error">The update repository cannot be read: {{.LoadErr}}{{if .Catalog.TargetsVersion}} (the releases below are those of targets version {{.Catalog.TargetsVersion}}, read before){{end}}</p>{{end}}
{{if .Catalog.TargetsVersion}}<p id="repo-facts">Targets metadata version {{.Catalog.TargetsVersion}}; the metadata expires {{fmtTime .Catalog.Expires}}.</p>{{end}}
{{if .Catalog.Problems}}<ul id="repo-problems">{{range .Catalog.Problems}}<li class="error">{{.}}</li>{{end}}</ul>{{end}}
{{if not .Channels}}<p id="no-releases">The repository lists no release yet.</p>{{end}}
{{range $c := .Channels}}<section class="channel" id="channel-{{$c.Name}}" data-channel="{{$c.Name}}">
<h2>{{if eq $c.Kind "signatures"}}Signatures{{else}}Software for {{$c.Name}}{{end}}</h2>
{{if $c.Releases}}<table class="releases"><thead><tr><th>Version</th><th>Target</th><th>Size</th><th>SHA-256</th>{{if eq $c.Kind "software"}}<th>Manifest</th><th>Chunk index</th><th>SBOM</th>{{end}}</tr></thead><tbody>
{{range $c.Releases}}<tr class="release" data-version="{{.Version}}"><td>{{.Version}}</td><td><code>{{.Target}}</code></td><td>{{.Length}}</td><td><code>{{.SHA256}}</code></td>{{if eq $c.Kind "software"}}<td>{{if .Manifest}}yes{{else}}<span class="error">missing</span>{{end}}</td><td>{{if .Chunks}}yes{{else}}no{{end}}</td><td>{{if .SBOM}}yes{{else}}<span class="error">missing</span>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>{{else}}<p>The repository no longer lists a release of this channel.</p>{{end}}
<p class="rollout-state">{{with $c.Rollout}}Rolling out <strong>{{.Version}}</strong> to {{if .Everyone}}every box{{else if .Group}}asset group {{.Group}}{{else}}{{.Percent}}% of the boxes{{end}}{{if .Force}}, forced (even while a scan runs){{end}}{{if .Paused}}: <span class="error">paused</span>{{end}}. Started {{fmtTime .Started}}; changed by {{.UpdatedBy}}, {{fmtTime .Updated}}.
{{$c.InStage}} of {{$c.Boxes}} boxes are in the stage; {{$c.Notified}} are told to update now.{{else}}No rollout.{{end}}</p>
<table class="box-versions"><thead><tr><th>Version on the boxes</th><th>Boxes</th></tr></thead><tbody>
{{range $c.Versions}}<tr data-version="{{.Version}}"><td>{{if .Version}}{{.Version}}{{else}}(not reported){{end}}</td><td class="count">{{.Boxes}}</td></tr>
{{else}}<tr><td colspan="2">no box of this channel</td></tr>{{end}}</tbody></table>
{{if $c.Releases}}<form method="post" action="/releases" class="rollout-form">
<input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="channel" value="{{$c.Name}}">
<label>Release <select name="version" class="version">{{range $c.Releases}}<option value="{{.Version}}"{{if $c.Rollout}}{{if eq .Version $c.Rollout.Version}} selected{{end}}{{end}}>{{.Version}}</option>{{end}}</select></label>
<fieldset><legend>First stage</legend>
<label class="inline"><input type="radio" name="stage" value="percent" class="stage-percent"{{if not $c.Rollout}} checked{{else if not $c.Rollout.Group}} checked{{end}}> a percentage of the boxes</label>
<input name="percent" class="percent" size="4" value="{{if $c.Rollout}}{{$c.Rollout.Percent}}{{else}}10{{end}}">%
<label class="inline"><input type="radio" name="stage" value="group" class="stage-group"{{if $c.Rollout}}{{if $c.Rollout.Group}} checked{{end}}{{end}}> the asset group</label>
<select name="group" class="group">{{range $.Data.Groups}}<option value="{{.}}"{{if $c.Rollout}}{{if eq . $c.Rollout.Group}} selected{{end}}{{end}}>{{.}}</option>{{end}}</select>
</fieldset>
<label><input type="checkbox" name="force" value="1" class="force"{{if $c.Rollout}}{{if $c.Rollout.Force}} checked{{end}}{{end}}> force: install even while a scan runs (the scan is canceled)</label>
<button type="submit" name="action" value="start" class="start">Start (or change the stage)</button>
{{with $c.Rollout}}{{if .Paused}}<button type="submit" name="action" value="resume" class="resume">Resume</button>{{else}}<button type="submit" name="action" value="pause" class="pause">Pause</button>{{end}}
{{if not .Everyone}}<button type="submit" name="action" value="everyone" class="everyone">Roll out to everyone</button>{{end}}{{end}}
</form>{{end}}
</section>
{{end}}{{end}}{{end}}
{{template "bottom" .}}`

const passwordPage = `{{template "top" .}}
{{if .Data}}<p id="must-change">Your password was set by a manager: choose your own before you go on.</p>{{end}}
<form method="post" action="/password" id="password-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Current password <input name="current" id="current" type="password" autocomplete="current-password" required></label>
<label>New password (10 characters at least) <input name="new" id="new" type="password" autocomplete="new-password" required></label>
<label>New password again <input name="repeat" id="repeat" type="password" autocomplete="new-password" required></label>
<button type="submit" id="change-password">Change password</button>
</form>
{{template "bottom" .}}`

// groupsChoice is a role and asset groups form's groups: all of the
// account, or those ticked. $.id prefixes the element ids.
const groupsChoice = `{{define "groupsChoice"}}<fieldset class="scope"><legend>Sees</legend>
<label class="inline"><input type="radio" name="scope" value="all" class="all" id="{{.ID}}-all"{{if .All}} checked{{end}}> all asset groups</label>
<label class="inline"><input type="radio" name="scope" value="some" class="some" id="{{.ID}}-some"{{if not .All}} checked{{end}}> only these:</label>
{{range .Groups}}<label class="inline"><input type="checkbox" name="groups" value="{{.Name}}" class="group"{{if has $.Have .Name}} checked{{end}}> {{.Name}}</label>
{{end}}</fieldset>{{end}}`

// peoplePage: the account's people, each with their forms, and the form
// of a new account. Managers see the whole account whatever their groups.
const peoplePage = `{{template "top" .}}
{{with .Data}}
<table id="people"><thead><tr><th>User</th><th>Role and asset groups</th><th>State</th><th>Password</th></tr></thead><tbody>
{{range .People}}<tr id="user-{{.Name}}"><td class="name">{{.Name}}{{if .Self}} (you){{end}}</td>
<td><form method="post" action="/people/{{.Name}}/change" class="change-user">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<select name="role" class="role">{{$role := .Role}}{{range $.Data.Roles}}<option value="{{.}}"{{if eq . $role}} selected{{end}}>{{.}}</option>{{end}}</select>
{{template "groupsChoice" (choice (print "u-" .Name) $.Data.Groups .AssetGroups)}}
<button type="submit" class="save-user">Save</button></form></td>
<td class="state">{{if .Disabled}}disabled <form method="post" action="/people/{{.Name}}/enable" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="enable">Enable</button></form>
{{else}}enabled <form method="post" action="/people/{{.Name}}/disable" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="disable">Disable</button></form>{{end}}</td>
<td>{{if .MustChangePassword}}<span class="must-change">temporary</span>{{end}}
<form method="post" action="/people/{{.Name}}/reset" class="reset-user"><input type="hidden" name="csrf" value="{{$.CSRF}}">
<label class="inline">Temporary password <input name="password" type="password" autocomplete="new-password" class="reset-password"></label>
<button type="submit" class="reset">Reset</button></form></td></tr>
{{end}}</tbody></table>

<h2>New account</h2>
<form method="post" action="/people" id="new-user">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>User name <input name="name" id="new-name" required value="{{.Name}}"></label>
<label>Role <select name="role" id="new-role">{{range .Roles}}<option value="{{.}}"{{if eq . $.Data.Form.Role}} selected{{end}}>{{.}}</option>{{end}}</select></label>
{{template "groupsChoice" (choice "new" .Groups .Form.Groups)}}
<label>Temporary password (10 characters at least; the person chooses their own at first login) <input name="password" id="new-password" type="password" autocomplete="new-password" required></label>
<button type="submit" id="create-user">Create account</button>
</form>
{{end}}
{{template "bottom" .}}`

const groupsPage = `{{template "top" .}}
{{with .Data}}
{{if .Groups}}<table id="groups"><thead><tr><th>Asset group</th><th>Appliances</th><th>People limited to it</th><th></th></tr></thead><tbody>
{{range .Groups}}<tr class="group-row" data-group="{{.Name}}"><td class="name">{{.Name}}</td><td class="boxes">{{.Boxes}}</td><td class="users">{{join .Users ", "}}</td>
<td><form method="post" action="/groups/rename" class="inline rename-group"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="group" value="{{.Name}}">
<input name="name" class="new-name" aria-label="New name"> <button type="submit" class="rename">Rename</button></form>
<form method="post" action="/groups/delete" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="group" value="{{.Name}}"><button type="submit" class="delete-group">Delete</button></form></td></tr>
{{end}}</tbody></table>{{else}}<p id="no-groups">No asset groups yet.</p>{{end}}
<form method="post" action="/groups" id="new-group">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>New asset group <input name="name" id="group-name" required></label>
<button type="submit" id="create-group">Create</button>
</form>

<h2>Appliances</h2>
{{if .Boxes}}<table id="group-boxes"><thead><tr><th>Appliance</th><th>Asset group</th></tr></thead><tbody>
{{range .Boxes}}<tr id="move-{{.ID}}"><td><a href="/appliances/{{.ID}}">{{.Name}}</a></td><td>
<form method="post" action="/groups/move" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="box" value="{{.ID}}">
<select name="group" class="group">{{$g := .AssetGroup}}<option value="">(none)</option>{{range $.Data.Groups}}<option value="{{.Name}}"{{if eq .Name $g}} selected{{end}}>{{.Name}}</option>{{end}}</select>
<button type="submit" class="move">Move</button></form></td></tr>
{{end}}</tbody></table>{{else}}<p>No appliances.</p>{{end}}
{{end}}
{{template "bottom" .}}`

const auditPage = `{{template "top" .}}
{{with .Data}}
<form method="get" action="/audit" id="audit-filter">
<label class="inline">User <input name="user" id="filter-user" value="{{.User}}"></label>
<label class="inline">Action <select name="action" id="filter-action"><option value="">(any)</option>{{range .Actions}}<option value="{{.}}"{{if eq . $.Data.Action}} selected{{end}}>{{.}}</option>{{end}}</select></label>
<button type="submit" id="filter">Filter</button>
</form>
{{if .Entries}}<table id="audit"><thead><tr><th>Time</th><th>User</th><th>Action</th><th>Object</th><th>Detail</th><th>From</th></tr></thead><tbody>
{{range .Entries}}<tr class="entry" data-seq="{{.Seq}}"><td class="time">{{fmtTime .Time}}</td><td class="user">{{.User}}</td><td class="action">{{.Action}}</td>
<td class="object">{{.Object}}</td><td class="detail">{{.Detail}}</td><td class="addr">{{.Addr}}</td></tr>
{{end}}</tbody></table>{{else}}<p id="no-entries">No entries.</p>{{end}}
{{with .Older}}<p><a href="{{.}}" id="older">Older entries</a></p>{{end}}
{{end}}
{{template "bottom" .}}`

const errorPage = `{{template "top" .}}{{template "bottom" .}}`

const styleCSS = `body{font-family:sans-serif;margin:0;color:#222}
header{background:#234;color:#fff;padding:.5em 1em;display:flex;gap:2em;align-items:center}
header a{color:#fff}.brand{font-weight:bold}.logout{margin-left:auto}
main{padding:1em}label{display:block;margin:.5em 0}textarea{width:40em;max-width:100%}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.error,.ferr{color:#a00}.notice{color:#060}.status-online{color:#060}.status-offline{color:#a00}.status-missed{color:#a60}
.status-failing{color:#a00;font-weight:bold}form.inline{display:inline}
.latest{color:#060}.latest.behind{color:#a60}section.channel{border-top:1px solid #ccc;margin-top:1em}
td.svcfacts{font-size:.9em}td.svcfacts code{white-space:pre-wrap;word-break:break-all}
label.inline{display:inline;margin-right:1em}fieldset{margin:.5em 0}
td.evidence code,.report-finding code{white-space:pre-wrap;word-break:break-all}
.sev-critical{--sev:#7a0019}.sev-high{--sev:#c0392b}.sev-medium{--sev:#d68910}.sev-low{--sev:#2471a3}.sev-info{--sev:#717d7e}
td.count,tr.finding td.severity{border-left:.4em solid var(--sev)}rect.bar{fill:var(--sev)}
.chart-label,.chart-count{font:14px sans-serif;fill:#222}span.new{color:#a00;font-weight:bold}
.report-finding{border-left:.3em solid #ccc;padding-left:.6em;margin:.6em 0}.report-finding h4{margin:.2em 0}
@media print{header,.noprint,nav,form{display:none}main{padding:0}body{font-size:11pt}
section{break-inside:auto}.report-finding,tr{break-inside:avoid}h2,h3{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`
