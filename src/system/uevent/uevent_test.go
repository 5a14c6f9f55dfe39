package uevent

import "testing"

// TestParseVerityError: the message dm-verity's verity_handle_err sends
// (drivers/md/dm-verity-target.c: KOBJ_CHANGE on the mapped disk with
// DM_VERITY_ERR_BLOCK_NR=<type>,<block>, after the block device's own
// variables).
func TestParseVerityError(t *testing.T) {
	msg := "change@/devices/virtual/block/dm-0\x00ACTION=change\x00DEVPATH=/devices/virtual/block/dm-0\x00SUBSYSTEM=block\x00" +
		"MAJOR=254\x00MINOR=0\x00DEVNAME=dm-0\x00DEVTYPE=disk\x00SEQNUM=1234\x00DM_VERITY_ERR_BLOCK_NR=0,4711\x00"
	e, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != "change" || e.DevPath != "/devices/virtual/block/dm-0" || e.Env["DM_VERITY_ERR_BLOCK_NR"] != "0,4711" || e.Env["MAJOR"] != "254" || e.Env["DEVNAME"] != "dm-0" {
		t.Fatalf("parsed %+v", e)
	}
	for _, bad := range []string{"", "libudev\x00\xfe\xed", "change", "@/devices", "change@devices"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestListen opens the kernel's group (root only on most systems; this
// suite runs as root) and closes it while a read is pending.
func TestListen(t *testing.T) {
	c, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := c.Read(); done <- err }()
	c.Close()
	if err := <-done; err == nil {
		t.Fatal("Read after Close returned no error")
	}
}
