// Command slotctl shows and sets the A/B slot state of a Picket disk: the
// picket_active, picket_trying and picket_tries variables of the GRUB
// environment block (/grubenv) on the boot partition, which grub.cfg
// reads to pick the slot to boot.
//
//	slotctl [-disk PATH | -esp DIR | -grubenv FILE] [-key PUB] show
//	slotctl [-disk PATH | -esp DIR | -grubenv FILE] try SLOT [TRIES]
//	slotctl [-disk PATH | -esp DIR | -grubenv FILE] good SLOT
//	slotctl [-disk PATH | -esp DIR | -grubenv FILE] giveup
//
// -disk is a disk image or block device (host side: the boot partition is
// found in its GPT and edited with mtools, unmounted); -esp a mounted boot
// partition; -grubenv the environment block file itself. With none of
// them slotctl runs on the box: it mounts the boot partition for the
// moment, as root.
//
// show also summarizes the slots' signed manifests (slot-a.manifest,
// slot-b.manifest on the boot partition) when it has the partition: what
// they claim, marked unchecked, or with -key PUB whether their signatures
// hold (exit status 1 if one does not).
//
// Exit status: 0 done, 1 failed, 2 called wrongly.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
