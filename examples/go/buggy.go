//go:build buggy

package logstore

import (
	"io"
	"os"
)

// WriteRecords writes recs, one per line, to a new file at path.
func WriteRecords(path string, recs []string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := newWriter(f)
	for _, r := range recs {
		w.WriteString(r + "\n")
	}
	w.Flush() // BUG: the write(2) happens here and its error is dropped
	return nil
}

// ReadSegment returns the n bytes at off in f, or the bytes it got before an
// error together with that error.
func ReadSegment(f *os.File, off, n int64) ([]byte, error) {
	r := io.NewSectionReader(f, off, n)
	var out []byte
	buf := make([]byte, 4096)
	for {
		m, err := r.Read(buf)
		if err == io.EOF {
			return out, nil // BUG: drops buf[:m]
		}
		if err != nil {
			return out, err // BUG: drops buf[:m]
		}
		out = append(out, buf[:m]...)
	}
}

// Save writes data to path.
func Save(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close() // BUG: Close's error is ignored
	_, err = f.Write(data)
	return err
}
