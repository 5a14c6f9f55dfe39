package sigdb

import (
	"fmt"
	"math"
	"strings"
)

// CVSS v3.1 base scores (FIRST, "CVSS v3.1 Specification Document",
// section 7: metric values in 7.4, formulas in 7.1, Roundup in Appendix A).
// A signature states both score and vector; the compiler recomputes the
// score from the vector so that the two cannot disagree.

const cvssPrefix = "CVSS:3.1/"

// cvssWeights are the numeric values of section 7.4; PR's depend on Scope
// and are handled in BaseScore.
var cvssMetrics = [...]struct {
	name   string
	values string // the letters the metric takes
}{
	{"AV", "NALP"}, {"AC", "LH"}, {"PR", "NLH"}, {"UI", "NR"},
	{"S", "UC"}, {"C", "HLN"}, {"I", "HLN"}, {"A", "HLN"},
}

// BaseScore checks that vector is a well-formed CVSS v3.1 base vector
// ("CVSS:3.1/" and the eight base metrics, each once, in any order, nothing
// else) and returns its base score.
func BaseScore(vector string) (float64, error) {
	rest, ok := strings.CutPrefix(vector, cvssPrefix)
	if !ok {
		return 0, fmt.Errorf("vector %.80q does not start with %q", vector, cvssPrefix)
	}
	var got [len(cvssMetrics)]byte
	for _, part := range strings.Split(rest, "/") {
		name, val, ok := strings.Cut(part, ":")
		if !ok || len(val) != 1 {
			return 0, fmt.Errorf("vector %.80q: %.20q is not METRIC:VALUE", vector, part)
		}
		k := -1
		for i, m := range cvssMetrics {
			if m.name == name {
				k = i
			}
		}
		if k < 0 {
			return 0, fmt.Errorf("vector %.80q: %.20q is not a CVSS v3.1 base metric", vector, name)
		}
		if got[k] != 0 {
			return 0, fmt.Errorf("vector %.80q: metric %s given twice", vector, name)
		}
		if !strings.Contains(cvssMetrics[k].values, val) {
			return 0, fmt.Errorf("vector %.80q: %s:%s: %s takes one of %s", vector, name, val, name, strings.Join(strings.Split(cvssMetrics[k].values, ""), ", "))
		}
		got[k] = val[0]
	}
	for i, m := range cvssMetrics {
		if got[i] == 0 {
			return 0, fmt.Errorf("vector %.80q: base metric %s missing", vector, m.name)
		}
	}
	changed := got[4] == 'C'
	av := map[byte]float64{'N': 0.85, 'A': 0.62, 'L': 0.55, 'P': 0.2}[got[0]]
	ac := map[byte]float64{'L': 0.77, 'H': 0.44}[got[1]]
	pr := map[byte]float64{'N': 0.85, 'L': 0.62, 'H': 0.27}[got[2]]
	if changed {
		pr = map[byte]float64{'N': 0.85, 'L': 0.68, 'H': 0.5}[got[2]]
	}
	ui := map[byte]float64{'N': 0.85, 'R': 0.62}[got[3]]
	cia := map[byte]float64{'H': 0.56, 'L': 0.22, 'N': 0}
	c, i, a := cia[got[5]], cia[got[6]], cia[got[7]]

	iss := 1 - (1-c)*(1-i)*(1-a)
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	} else {
		impact = 6.42 * iss
	}
	expl := 8.22 * av * ac * pr * ui
	if impact <= 0 {
		return 0, nil
	}
	if changed {
		return roundup(math.Min(1.08*(impact+expl), 10)), nil
	}
	return roundup(math.Min(impact+expl, 10)), nil
}

// roundup is Appendix A's: the smallest number with one decimal that is
// equal to or higher than its input, computed on integers so that floating
// point noise (4.000000001) does not round up.
func roundup(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}
