//go:build !buggy

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
	w := newWriter(f)
	for _, r := range recs {
		if _, err := w.WriteString(r + "\n"); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil { // the write(2) happens here
		f.Close()
		return err
	}
	return f.Close()
}

// ReadSegment returns the n bytes at off in f, or the bytes it got before an
// error together with that error.
func ReadSegment(f *os.File, off, n int64) ([]byte, error) {
	r := io.NewSectionReader(f, off, n)
	var out []byte
	buf := make([]byte, 4096)
	for {
		m, err := r.Read(buf)
		out = append(out, buf[:m]...) // keep the bytes first ...
		if err == io.EOF {            // ... then look at the error
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// Save writes data to path.
func Save(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close() // close(2) reports errors of writes it already accepted
}
