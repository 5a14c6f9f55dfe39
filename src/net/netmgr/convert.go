package netmgr

import (
	"picket.dev/picket/src/net/conncheck"
	"picket.dev/picket/src/net/netapi"
)

// connTest is a connectivity test's result as the local API says it.
// simulated marks a test run on a simulated network.
func connTest(r conncheck.Result, simulated bool) netapi.ConnTest {
	t := netapi.ConnTest{Started: r.Started, Finished: r.Finished, OK: r.OK, Simulated: simulated}
	for _, s := range r.Steps {
		t.Steps = append(t.Steps, netapi.Step{
			Name:   stepName(s.Name),
			Result: stepResult(s.Outcome),
			Detail: s.Detail,
			Panel:  s.Panel,
		})
	}
	return t
}

func stepName(n conncheck.StepName) netapi.StepName {
	switch n {
	case conncheck.StepLink:
		return netapi.StepLink
	case conncheck.StepAddress:
		return netapi.StepAddress
	case conncheck.StepGateway:
		return netapi.StepGateway
	case conncheck.StepDNS:
		return netapi.StepDNS
	case conncheck.StepProxy:
		return netapi.StepProxy
	case conncheck.StepTLS:
		return netapi.StepTLS
	}
	return netapi.StepName(n)
}

func stepResult(o conncheck.Outcome) netapi.StepResult {
	switch o {
	case conncheck.Passed:
		return netapi.StepPassed
	case conncheck.Failed:
		return netapi.StepFailed
	case conncheck.Skipped:
		return netapi.StepSkipped
	case conncheck.NotRun:
		return netapi.StepNotRun
	}
	return netapi.StepResult(o)
}
