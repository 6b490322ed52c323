package logstore

// Run under snagfs (the tests skip without it):
//
//	snagfs run ./data -- go test ./...              # fixed code: PASS
//	snagfs run ./data -- go test -tags buggy ./...  # buggy code: FAIL
//
// Each test adds its rules over the control socket ($SNAGFS_CONTROL), uses
// when=/offset= triggers (no probabilities), and removes them at the end, so
// every run injects exactly the same faults.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// ctl sends one snagctl/1 request and returns the decoded reply.
func ctl(t *testing.T, req string) map[string]any {
	t.Helper()
	c, err := net.Dial("unix", os.Getenv("SNAGFS_CONTROL"))
	if err != nil {
		t.Fatalf("control socket: %v", err)
	}
	defer c.Close()
	fmt.Fprintf(c, "snagctl/1 %s\n", req)
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatalf("control socket: %v", err)
	}
	var r map[string]any
	if err := json.Unmarshal(line, &r); err != nil || r["ok"] != true {
		t.Fatalf("%s: %s (%v)", req, line, err)
	}
	return r
}

// inject adds rules for the duration of the test.
func inject(t *testing.T, rules ...string) {
	t.Helper()
	for _, r := range rules {
		id := ctl(t, "add "+r)["id"].(string)
		t.Cleanup(func() { ctl(t, "del "+id) })
	}
}

// fired returns how often rule id fired.
func fired(t *testing.T, id string) int {
	for _, r := range ctl(t, "list")["rules"].([]any) {
		m := r.(map[string]any)
		if m["id"] == id {
			return int(m["fired"].(float64))
		}
	}
	t.Fatalf("no rule %s", id)
	return 0
}

// dir is a fresh directory on the mount; rel is its path from the mount root.
func dir(t *testing.T) (abs, rel string) {
	mnt := os.Getenv("SNAGFS_MOUNT")
	if mnt == "" || os.Getenv("SNAGFS_CONTROL") == "" {
		t.Skip("not under snagfs: run as `snagfs run DIR -- go test ./...`")
	}
	rel = "/" + strings.ReplaceAll(t.Name(), "/", "_")
	abs = filepath.Join(mnt, rel)
	os.RemoveAll(abs)
	if err := os.Mkdir(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(abs) })
	return abs, rel
}

// The disk is full: the one write(2) of the buffered records fails. A
// WriteRecords that does not check Flush reports success for a file that
// holds nothing.
func TestWriteRecordsReportsFlushError(t *testing.T) {
	abs, rel := dir(t)
	inject(t, "write:path="+rel+"/log:error=ENOSPC:id=flush-enospc")
	err := WriteRecords(filepath.Join(abs, "log"), []string{"alpha", "beta", "gamma"})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteRecords on a full disk returned %v, want ENOSPC", err)
	}
	if n := fired(t, "flush-enospc"); n != 1 {
		t.Errorf("the ENOSPC rule fired %d times, want 1", n)
	}
}

// The second 4096-byte read of a segment comes back short (1000 bytes) and
// the read after it fails with EIO, so io.SectionReader returns (1000, EIO)
// in one call. ReadSegment must return the 4096 + 1000 bytes it got, and
// the error.
func TestReadSegmentKeepsBytesReturnedWithError(t *testing.T) {
	abs, rel := dir(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16000 bytes
	if err := os.WriteFile(filepath.Join(abs, "seg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	inject(t,
		"read:path="+rel+"/seg:offset=4096:short=1000:id=seg-short",
		"read:path="+rel+"/seg:offset=5096:error=EIO:id=seg-eio")
	f, err := os.Open(filepath.Join(abs, "seg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadSegment(f, 0, int64(len(data)))
	if !errors.Is(err, syscall.EIO) {
		t.Errorf("ReadSegment error %v, want EIO", err)
	}
	if len(got) != 5096 || !bytes.Equal(got, data[:5096]) {
		t.Errorf("ReadSegment returned %d bytes, want the 5096 read before the error", len(got))
	}
	if fired(t, "seg-short") != 1 || fired(t, "seg-eio") != 1 {
		t.Errorf("fires: short %d, eio %d; want 1 and 1", fired(t, "seg-short"), fired(t, "seg-eio"))
	}
}

// The write is accepted but fails on its way to the server; close(2)
// reports it (the FUSE flush of the file answers EIO, as NFS's close does).
// A Save that ignores Close's error reports success for lost data.
func TestSaveReportsCloseError(t *testing.T) {
	abs, rel := dir(t)
	inject(t, "flush:path="+rel+"/doc:when=1:error=EIO:id=close-eio")
	err := Save(filepath.Join(abs, "doc"), []byte("important"))
	if !errors.Is(err, syscall.EIO) {
		t.Errorf("Save returned %v, want the EIO reported by close", err)
	}
	if n := fired(t, "close-eio"); n != 1 {
		t.Errorf("the close rule fired %d times, want 1", n)
	}
}
