// Package logstore is a tiny record store with three classic I/O bugs, each
// in two versions: fixed.go (the default build) and buggy.go (go test -tags
// buggy). The tests in logstore_test.go inject, through snagfs, the faults
// that tell the two apart:
//
//   - WriteRecords buffers with bufio.Writer; the buggy version does not
//     check Flush's error, so a failed write is reported as success.
//   - ReadSegment reads a region of a file through io.SectionReader; the
//     buggy loop drops the n > 0 bytes that Read returns together with an
//     error (io.Reader's contract: process n first, then look at err).
//   - Save writes a file and closes it; the buggy version ignores Close's
//     error, which is where a write that failed after being accepted (NFS,
//     FUSE, a late ENOSPC) is reported.
package logstore

import "bufio"

// newWriter is shared by both versions; a small buffer keeps the example's
// records in one write(2).
func newWriter(w interface{ Write([]byte) (int, error) }) *bufio.Writer {
	return bufio.NewWriterSize(w, 64<<10)
}
