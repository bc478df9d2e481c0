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
		// NewV7 returns an error only from the system random source.
		panic("spool: generating a message id: " + err.Error())
	}
	return id.String()
}

// Writer receives the data of one new message. Write the data, then call
// Commit to store it durably, or Abort to drop it. A Writer is not safe for
// concurrent use.
//
// A message stays in memory while it is within Options.InlineLimit; only a
// larger one is streamed to a file under tmp/ as it arrives.
type Writer struct {
	s    *Spool
	id   string
	data crcWriter
	done bool

	// mem holds a placeholder header and the data while the message is
	// small; nil once it spilled to a file.
	mem []byte

	tmp string
	f   *os.File
	buf *bufio.Writer
}

// Create starts a new message. With an empty id it takes a new one from
// NewID. A caller that already logged a transaction id passes it here, so
// that the same id names the message everywhere.
func (s *Spool) Create(id string) (*Writer, error) {
	if id == "" {
		id = NewID()
	}
	if !validID(id) {
		return nil, fmt.Errorf("spool: invalid message id %q", id)
	}
	if e := s.lookup(id); e != nil {
		return nil, fmt.Errorf("spool: message id %s is already in use", id)
	}

	w := &Writer{s: s, id: id, mem: make([]byte, headerSize, 8<<10)}
	w.data.w = memWriter{w}
	return w, nil
}

// memWriter appends to the Writer's memory buffer, spilling to a file when
// the message outgrows Options.InlineLimit.
type memWriter struct{ w *Writer }

func (m memWriter) Write(p []byte) (int, error) {
	w := m.w
	if w.mem == nil {
		return w.buf.Write(p)
	}
	if len(w.mem)-headerSize+len(p) <= w.s.opts.InlineLimit {
		w.mem = append(w.mem, p...)
		return len(p), nil
	}
	if err := w.spill(); err != nil {
		return 0, err
	}
	return w.buf.Write(p)
}

// spill moves the message from memory to a file under tmp/.
func (w *Writer) spill() error {
	tmp := filepath.Join(w.s.tmpDir, w.id+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	w.tmp, w.f = tmp, f
	w.buf = bufio.NewWriterSize(f, 32<<10)
	if _, err := w.buf.Write(w.mem); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	w.mem = nil
	return nil
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

	rec, err := encodeRecord(recordEnvelope, m)
	if err != nil {
		w.Abort()
		return fmt.Errorf("spool: storing message %s: %w", w.id, err)
	}
	header := encodeHeader(w.data.n, w.data.crc)

	if w.mem != nil {
		err = w.commitInline(m, header, rec)
	} else {
		err = w.commitFile(m, header, rec)
	}
	if err != nil {
		w.Abort()
		return fmt.Errorf("spool: storing message %s: %w", w.id, err)
	}
	w.done = true
	return nil
}

// commitInline logs the whole file of a small message. The file itself is
// written only if the message is still live at the checkpoint of its log
// segment.
func (w *Writer) commitInline(m *Message, header, rec []byte) error {
	copy(w.mem, header)
	file := append(w.mem, rec...)
	// Tracked before the log write, so that a checkpoint of the segment
	// that holds the record finds the message and writes its file.
	w.s.track(m, file)
	if err := w.s.wal.log(walNew, w.id, file); err != nil {
		// If the record reached the disk anyway, recovery brings the
		// message back. The client got an error and may send it again,
		// so it may arrive twice, which at-least-once delivery allows.
		w.s.untrack(w.id)
		return err
	}
	w.mem = nil
	return nil
}

// commitFile makes a message that is too large for the log durable in its
// own file: fsync, rename, and a shared fsync of queue/.
func (w *Writer) commitFile(m *Message, header, rec []byte) error {
	if _, err := w.buf.Write(rec); err != nil {
		return err
	}
	if err := w.buf.Flush(); err != nil {
		return err
	}
	if _, err := w.f.WriteAt(header, 0); err != nil {
		return err
	}
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
	w.s.track(m, nil)
	return nil
}

// Abort drops the message. It is safe to call after Commit, where it does
// nothing.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.mem = nil
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	if w.tmp != "" {
		os.Remove(w.tmp)
	}
}
