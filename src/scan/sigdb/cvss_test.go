package sigdb

import (
	"strings"
	"testing"
)

// TestBaseScore: vectors and scores published by FIRST in "CVSS v3.1
// Examples" (the CVE named is the example's) and in the specification.
func TestBaseScore(t *testing.T) {
	cases := []struct {
		vector string
		score  float64
		cve    string
	}{
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "CVE-2014-0160 Heartbleed"},
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CVE-2014-6271 Shellshock"},
		{"AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "maximum"},
		{"AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "CVE-2013-1937 phpMyAdmin XSS"},
		{"AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "CVE-2013-0375 MySQL stored SQL injection"},
		{"AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "CVE-2014-3566 POODLE"},
		{"AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "CVE-2012-1516 VMware guest to host escape"},
		{"AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2, "CVE-2009-0783 Apache Tomcat XML parser"},
		{"AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, "CVE-2012-0384 Cisco IOS command execution"},
		{"AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, "CVE-2015-1098 Apple iWork"},
		{"AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4, "CVE-2014-0224 OpenSSL CCS injection"},
		{"AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6, "CVE-2012-5376 Chrome sandbox bypass"},
		{"AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8, "CVE-2008-1447 DNS cache poisoning"},
		{"AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8, "CVE-2014-2005 Sophos login bypass"},
		{"AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8, "CVE-2010-0467 Joomla directory traversal"},
		{"AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3, "CVE-2013-6014 Juniper proxy ARP"},
		{"AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4, "CVE-2014-9253 DokuWiki XSS"},
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "no impact"},
		{"A:N/I:N/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 7.5, "Heartbleed, metrics in another order"},
	}
	for _, c := range cases {
		got, err := BaseScore("CVSS:3.1/" + c.vector)
		if err != nil || got != c.score {
			t.Errorf("%s (%s): %v, %v; want %.1f", c.vector, c.cve, got, err, c.score)
		}
	}
}

func TestBaseScoreRefuses(t *testing.T) {
	for v, why := range map[string]string{
		"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N":          "does not start with",
		"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N":                   "does not start with",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N":              "base metric A missing",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/A:N":      "given twice",
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N":          "AV takes one of",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:U":      "not a CVSS v3.1 base metric",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:NN":         "is not METRIC:VALUE",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/":         "is not METRIC:VALUE",
		"CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N":         "is not METRIC:VALUE",
		"CVSS:3.1/av:n/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N":          "not a CVSS v3.1 base metric",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N extra":    "is not METRIC:VALUE",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/RL:O/E:F": "not a CVSS v3.1 base metric",
	} {
		if _, err := BaseScore(v); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("BaseScore(%q) = %v, want an error saying %q", v, err, why)
		}
	}
}

func TestRoundup(t *testing.T) {
	// Appendix A's point: 4.02 rounds to 4.1, and 4.000000000001 (floating
	// noise of a value that is 4.0) stays 4.0.
	for in, want := range map[float64]float64{4.02: 4.1, 4.0000000000001: 4.0, 4.0: 4.0, 9.99: 10.0, 0.01: 0.1} {
		if got := roundup(in); got != want {
			t.Errorf("roundup(%v) = %v, want %v", in, got, want)
		}
	}
}
