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
{{if .User}}<nav><a href="/appliances" id="nav-appliances">Appliances</a> <a href="/activate" id="nav-activate">Activate</a></nav>
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
<th>Scanner version</th><th>Signature version</th><th>Last update</th><th>Status</th><th>Capacity</th></tr></thead><tbody>
{{range .Data}}<tr id="box-{{.ID}}">
<td class="name"><a href="/appliances/{{.ID}}">{{.Name}}</a></td><td class="id">{{.ID}}</td><td>{{.AssetGroup}}</td>
<td class="lan4">{{range .LANv4}}{{.}}<br>{{end}}</td><td class="lan6">{{range .LANv6}}{{.}}<br>{{end}}</td>
<td class="interval">{{.Interval}}</td><td class="scanner">{{.Versions.Scanner}}</td><td class="signatures">{{.Versions.Signatures}}</td>
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
<tr><th>Versions</th><td>scanner {{.Box.Versions.Scanner}}, signatures {{.Box.Versions.Signatures}}</td></tr>
<tr><th>Settings</th><td id="settings-state">version {{.Box.Settings.Version}}; the box applied version {{.Box.AppliedVer}}{{if .Box.SettingsError}}; <span class="error">the box refused them: {{.Box.SettingsError}}</span>{{end}}</td></tr>
<tr><th>First seen / last poll</th><td>{{.FirstSeen}} / {{.LastPoll}}</td></tr>
</table>

<h2>Settings</h2>
<form method="post" action="/appliances/{{.Box.ID}}/settings" id="settings-form">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>Name <input name="name" id="name" value="{{.Edit.Name}}"></label>{{template "ferr" index .Errors "name"}}
<label>Polling interval (seconds, 10 to 86400) <input name="poll_interval" id="poll_interval" value="{{.Edit.PollInterval}}"></label>{{template "ferr" index .Errors "poll_interval"}}
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
</form>

<h2>Scan jobs</h2>
<form method="post" action="/appliances/{{.Box.ID}}/jobs" id="job-form">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<label>Targets (addresses, networks or host names) <input name="targets" id="targets" value="{{.JobTargets}}"></label>{{template "ferr" index .Errors "targets"}}
<label>Ports <input name="ports" id="ports" value="{{.JobPorts}}"></label>{{template "ferr" index .Errors "ports"}}
<label>Interface <select name="vlan" id="vlan"><option value="0">LAN</option>{{range .Box.Settings.ScanVLANs}}<option value="{{.ID}}"{{if eq (print .ID) $.Data.JobVLAN}} selected{{end}}>VLAN {{.ID}}{{if .Name}} ({{.Name}}){{end}}, {{.Address}}</option>{{end}}</select></label>{{template "ferr" index .Errors "vlan"}}
<button type="submit" id="launch">Launch scan</button>
</form>
{{if .Jobs}}<table id="jobs"><thead><tr><th>Job</th><th>Targets</th><th>Ports</th><th>Interface</th><th>State</th><th>Launched</th><th>Updated</th><th></th></tr></thead><tbody>
{{range .Jobs}}<tr id="{{.ID}}"><td><a href="/appliances/{{$.Data.Box.ID}}/jobs/{{.ID}}" class="job-link">{{.ID}}</a></td><td>{{range .Targets}}{{.}} {{end}}</td><td>{{.Ports}}</td><td class="job-vlan">{{if .VLAN}}VLAN {{.VLAN}}{{else}}LAN{{end}}</td>
<td class="job-state">{{.State}}{{if .CanceledBy}} by {{.CanceledBy}}{{end}}{{if .Error}}: <span class="error">{{.Error}}</span>{{end}}</td><td>{{.CreatedBy}}, {{fmtTime .Created}}</td><td>{{fmtTime .Updated}}</td>
<td class="job-actions">{{if not (ended .State)}}<form method="post" action="/appliances/{{$.Data.Box.ID}}/jobs/{{.ID}}/cancel" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="cancel-job">Cancel</button></form>{{end}}
<form method="post" action="/appliances/{{$.Data.Box.ID}}/jobs/{{.ID}}/delete" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="delete-job">Delete</button></form></td></tr>
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
<tr><th>Launched / updated</th><td>{{$job.CreatedBy}}, {{fmtTime $job.Created}} / {{fmtTime $job.Updated}}</td></tr>
{{with $job.Progress}}<tr><th>Phase</th><td id="phase">{{.Phase}}</td></tr>
<tr><th>Targets done</th><td id="targets-done">{{.TargetsDone}} of {{.TargetsTotal}}</td></tr>
<tr><th>Hosts up / open ports</th><td id="hosts-up">{{.HostsUp}} hosts up, {{.OpenPorts}} open ports</td></tr>
<tr><th>Packets sent</th><td>{{.PacketsSent}}</td></tr>{{end}}
{{with $job.Summary}}<tr><th>Scan</th><td id="summary">{{fmtTime .Started}} to {{fmtTime .Finished}}{{if .Interface}}, interface {{.Interface}}{{end}}{{if .Method}}, {{.Method}} scan{{end}}: {{.TargetsTotal}} targets, {{.HostsUp}} hosts up, {{.OpenPorts}} open ports</td></tr>{{end}}
</table>
{{if $job.Truncated}}<p class="error" id="truncated">{{$job.Truncated}}.</p>{{end}}
{{if not .Ended}}<p class="notice">The scan has not ended: this page reloads itself every few seconds.</p>{{end}}

<h2>Hosts ({{$job.Hosts}})</h2>
{{if lt (len .Hosts) $job.Hosts}}<p id="hosts-cut">The first {{len .Hosts}} hosts are shown; the exports have them all.</p>{{end}}
{{if .Hosts}}<table id="hosts"><thead><tr><th>Host</th><th>Port</th><th>State</th><th>Service</th><th>Product</th><th>Version</th><th>Facts</th></tr></thead><tbody>
{{range .Hosts}}{{$h := .}}<tr class="host" id="host-{{.Addr}}"><td class="addr" rowspan="{{rows (len .Ports)}}">{{.Addr}}{{range .Names}}<br>{{.}}{{end}}{{if .MAC}}<br>{{.MAC}}{{if .Vendor}} ({{.Vendor}}){{end}}{{end}}</td>
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

const errorPage = `{{template "top" .}}{{template "bottom" .}}`

const styleCSS = `body{font-family:sans-serif;margin:0;color:#222}
header{background:#234;color:#fff;padding:.5em 1em;display:flex;gap:2em;align-items:center}
header a{color:#fff}.brand{font-weight:bold}.logout{margin-left:auto}
main{padding:1em}label{display:block;margin:.5em 0}textarea{width:40em;max-width:100%}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.error,.ferr{color:#a00}.notice{color:#060}.status-online{color:#060}.status-offline{color:#a00}.status-missed{color:#a60}
.status-failing{color:#a00;font-weight:bold}form.inline{display:inline}
td.svcfacts{font-size:.9em}td.svcfacts code{white-space:pre-wrap;word-break:break-all}
`
