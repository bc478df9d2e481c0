package spool

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
)

// NewID returns a new message id: a UUIDv7 string, which sorts by time.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// NewV7 fails only when the system random source fails.
		panic("spool: generating a message id: " + err.Error())
	}
	return id.String()
}

// Writer receives the data of one new message. Write the data, then call
// Commit to store it durably, or Abort to drop it. A Writer is not safe for
// concurrent use.
type Writer struct {
	s    *Spool
	id   string
	tmp  string
	f    *os.File
	buf  *bufio.Writer
	data crcWriter
	done bool

	// inline keeps a copy of the data for the log while it stays within
	// Options.InlineLimit; nil once the message outgrew it.
	inline []byte
}

// Create starts a new message. An empty id asks for a new one from NewID;
// a caller that already logged a transaction id passes it here, so that
// the same id names the message everywhere.
func (s *Spool) Create(id string) (*Writer, error) {
	if id == "" {
		id = NewID()
	}
	if !validID(id) {
		return nil, fmt.Errorf("spool: invalid message id %q", id)
	}

	tmp := filepath.Join(s.tmpDir, id+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}

	w := &Writer{s: s, id: id, tmp: tmp, f: f, inline: make([]byte, 0, 8<<10)}
	w.buf = bufio.NewWriterSize(f, 32<<10)
	w.data.w = w.buf
	// The header is written last, when the data length and CRC are known.
	if _, err := w.buf.Write(make([]byte, headerSize)); err != nil {
		w.Abort()
		return nil, fmt.Errorf("spool: %w", err)
	}
	return w, nil
}

// ID returns the message id.
func (w *Writer) ID() string { return w.id }

// Size returns the number of data bytes written so far.
func (w *Writer) Size() int64 { return w.data.n }

// Write appends message data.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("spool: write after Commit or Abort")
	}
	if w.inline != nil {
		if len(w.inline)+len(p) <= w.s.opts.InlineLimit {
			w.inline = append(w.inline, p...)
		} else {
			w.inline = nil
		}
	}
	return w.data.Write(p)
}

// Commit stores the message with the envelope m and returns once it is
// durable. It sets m.ID, m.Size, m.Received (when zero), the Queue number
// of each recipient and the status of recipients that have none. After an
// error nothing is stored.
func (w *Writer) Commit(m *Message) error {
	if w.done {
		return errors.New("spool: Commit after Commit or Abort")
	}
	if len(m.Recipients) == 0 {
		w.Abort()
		return fmt.Errorf("spool: message %s has no recipients", w.id)
	}

	m.ID = w.id
	m.Size = w.data.n
	if m.Received.IsZero() {
		m.Received = time.Now()
	}
	for i := range m.Recipients {
		m.Recipients[i].Queue = i
		if m.Recipients[i].Status == "" {
			m.Recipients[i].Status = StatusQueued
		}
	}

	if err := w.finish(m); err != nil {
		w.Abort()
		return fmt.Errorf("spool: storing message %s: %w", w.id, err)
	}
	w.done = true
	w.s.track(m)
	return nil
}

// finish writes the header and envelope and moves the file into queue/.
// A message small enough is made durable by one log record that holds the
// whole file, and the file itself is synced later by a checkpoint; a
// larger one is fsynced in place.
func (w *Writer) finish(m *Message) error {
	rec, err := encodeRecord(recordEnvelope, m)
	if err != nil {
		return err
	}
	if _, err := w.buf.Write(rec); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		return err
	}
	header := encodeHeader(w.data.n, w.data.crc)
	if _, err := w.f.WriteAt(header, 0); err != nil {
		return err
	}

	if w.inline == nil {
		return w.finishLarge()
	}

	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	if err := os.Rename(w.tmp, w.s.path(w.id)); err != nil {
		return err
	}
	file := make([]byte, 0, len(header)+len(w.inline)+len(rec))
	file = append(append(append(file, header...), w.inline...), rec...)
	if err := w.s.wal.log(walNew, w.id, file); err != nil {
		// Take the file back so that a failed Commit does not deliver
		// now. If the record reached the disk anyway, recovery brings the
		// message back; the client, told of a failure, may have sent it
		// again, so it may arrive twice, which at-least-once allows.
		os.Remove(w.s.path(w.id))
		return err
	}
	return nil
}

// finishLarge makes a message that is too large for the log durable in
// its own file: fsync, rename, and a shared fsync of queue/.
func (w *Writer) finishLarge() error {
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	if err := os.Rename(w.tmp, w.s.path(w.id)); err != nil {
		return err
	}
	if err := w.s.dirSync.wait(); err != nil {
		os.Remove(w.s.path(w.id))
		return err
	}
	return nil
}

// Abort drops the message. It is safe to call after Commit, where it does
// nothing.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	os.Remove(w.tmp)
}
