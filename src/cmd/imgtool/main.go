// Command imgtool is the host tool for release images: it creates release
// key pairs, signs and verifies rootfs image manifests, and packs signature
// databases into packages signed with the same key.
//
//	imgtool keygen -out DIR
//	imgtool sign -key release.key -board B -version V -image rootfs.img [-seal] [-out rootfs.img.manifest]
//	imgtool verify -pub release.pub -image rootfs.img [-manifest rootfs.img.manifest]
//	imgtool build -board B -version V -kernel vmlinuz -initrd initrd.img -rootfs-dir DIR -key release.key -out disk.img
//	imgtool sigpack -key release.key -in SOURCE -out signatures.pkg
//	imgtool -version
//
// Each subcommand lives in its own file and is listed in tool; adding
// one (image building, say) is a new file and one line there.
package main

import (
	"io"
	"os"

	"picket.dev/picket/src/base/command"
)

// tool lists the subcommands, in the order the usage shows them; each
// returns an error wrapping command.ErrUsage for bad arguments.
func tool() command.Tool {
	return command.Tool{Name: "imgtool", Commands: []command.Subcommand{
		{Name: "keygen", Summary: "create a release key pair (release.key, release.pub)", Run: runKeygen},
		{Name: "sign", Summary: "write the signed manifest of an image", Run: runSign},
		{Name: "verify", Summary: "check an image against its signed manifest", Run: runVerify},
		{Name: "build", Summary: "build a whole signed A/B disk image", Run: runBuild},
		{Name: "sigpack", Summary: "write the signed package of a signature database", Run: runSigpack},
	}}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs imgtool with args and returns the exit status: 0 done, 1
// failed, 2 called wrongly.
func run(args []string, stdout, stderr io.Writer) int {
	return tool().Run(args, stdout, stderr)
}
