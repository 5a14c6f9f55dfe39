// Command release is the host tool that builds and signs the update
// repository platformd serves (-updates DIR) and boxes update from: The
// Update Framework's metadata over software releases (slot image, signed
// manifest, chunk index, SBOM per board) and signature packages.
//
//	release keygen -out DIR -name NAME
//	release init -repo DIR -root-key A.pub,B.pub,C.pub -root-threshold 2 -targets-key release.pub -snapshot-key snapshot.pub -timestamp-key timestamp.pub
//	release chunks -image rootfs.img -out rootfs.chunks
//	release add-software -repo DIR [-board B -version V] -image rootfs.img -manifest rootfs.manifest -chunks rootfs.chunks -sbom sbom.spdx.json
//	release add-signatures -repo DIR -pkg signatures.pkg
//	release sign -repo DIR -role root|targets -key HOLDER.key
//	release status -repo DIR
//	release snapshot -repo DIR -key snapshot.key
//	release timestamp -repo DIR -key timestamp.key
//	release publish -repo DIR -snapshot-key snapshot.key -timestamp-key timestamp.key
//	release rotate-root -repo DIR [-root-key ... -root-threshold N] [-targets-key ...] [-snapshot-key ...] [-timestamp-key ...]
//	release verify -repo DIR -root root.json [-time T] [-fetch]
//	release sbom (-board B -version V | -manifest rootfs.manifest -pub release.pub) -modules vendor/modules.txt -gosum go.sum -inputs third_party/inputs.lock -out sbom.spdx.json
//
// Private keys are PEM files (imgtool keygen's format) kept outside the
// repository; each command reads only the one or two it needs, so the
// holders of root and targets keys sign on their own machines and pass the
// staged file on (docs/updates.md, "Keys, roles and the release tool").
package main

import (
	"io"
	"os"

	"picket.dev/picket/src/base/command"
)

// tool lists the subcommands, in the order the usage shows them; each
// returns an error wrapping command.ErrUsage for bad arguments.
func tool() command.Tool {
	return command.Tool{Name: "release", Commands: []command.Subcommand{
		{Name: "keygen", Summary: "create an ed25519 key pair (NAME.key, NAME.pub)", Run: runKeygen},
		{Name: "init", Summary: "stage root version 1 and an empty targets in a new repository", Run: runInit},
		{Name: "chunks", Summary: "write a slot image's chunk index (for delta downloads)", Run: runChunks},
		{Name: "add-software", Summary: "add a board's software release to the staged targets", Run: runAddSoftware},
		{Name: "add-signatures", Summary: "add a signature package to the staged targets", Run: runAddSignatures},
		{Name: "sign", Summary: "add one holder's signature to staged root or targets", Run: runSign},
		{Name: "status", Summary: "show how far staged root and targets are signed", Run: runStatus},
		{Name: "snapshot", Summary: "publish what is staged and write a new snapshot", Run: runSnapshot},
		{Name: "timestamp", Summary: "write a new timestamp over the newest snapshot", Run: runTimestamp},
		{Name: "publish", Summary: "publish what is staged, then a new snapshot and timestamp", Run: runPublish},
		{Name: "rotate-root", Summary: "stage the next root version with some roles' keys replaced", Run: runRotateRoot},
		{Name: "verify", Summary: "run the box's client against the repository", Run: runVerify},
		{Name: "sbom", Summary: "write a release's SPDX 2.3 SBOM from the build's inputs", Run: runSBOM},
	}}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs release with args and returns the exit status: 0 done, 1
// failed, 2 called wrongly.
func run(args []string, stdout, stderr io.Writer) int {
	return tool().Run(args, stdout, stderr)
}
