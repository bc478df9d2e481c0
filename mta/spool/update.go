package spool

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Update records the new queue state of one recipient, identified by
// r.Queue, and returns once it is durable. When every recipient of the
// message has a final status, the message file is removed instead.
//
// The caller owns the in-memory queue state; Update only persists it, so
// r must be the complete state of the recipient, not a change.
func (s *Spool) Update(id string, r Recipient) error {
	e := s.lookup(id)
	if e == nil {
		return fmt.Errorf("spool: %s: %w", id, ErrNotFound)
	}

	e.mu.Lock()
	if e.removed {
		e.mu.Unlock()
		return fmt.Errorf("spool: %s: %w", id, ErrNotFound)
	}
	if r.Queue < 0 || r.Queue >= len(e.final) {
		e.mu.Unlock()
		return fmt.Errorf("spool: %s: recipient queue number %d out of range 0..%d", id, r.Queue, len(e.final)-1)
	}

	// The last open recipient reaching a final status ends the message:
	// nothing is left to record, so the file goes.
	if r.Status.Final() && !e.final[r.Queue] && e.live == 1 {
		err := s.removeLocked(id, e)
		e.mu.Unlock()
		if err != nil {
			return err
		}
		return s.wal.log(walRemove, id, nil)
	}

	rec, err := encodeRecord(recordRecipient, r)
	if err != nil {
		e.mu.Unlock()
		return fmt.Errorf("spool: %s: %w", id, err)
	}
	if e.pending != nil {
		e.pending = append(e.pending, rec...)
	} else if err := s.appendRecord(id, rec); err != nil {
		e.mu.Unlock()
		return err
	}
	if r.Status.Final() != e.final[r.Queue] {
		e.final[r.Queue] = r.Status.Final()
		if r.Status.Final() {
			e.live--
		} else {
			e.live++
		}
	}
	e.updates++

	if e.updates >= s.opts.CompactAfter && e.pending == nil {
		if err := s.compact(id); err != nil {
			// The record is in the file and goes to the log below. A
			// failed rewrite only leaves a longer file, so it is logged
			// and tried again on a later update.
			s.log.Warn("spool: compacting message file failed", "msg_id", id, "error", err)
		} else {
			e.updates = 0
		}
	}
	e.mu.Unlock()

	return s.wal.log(walUpdate, id, rec[recordHeaderSize:])
}

// appendRecord appends one encoded record to the file of id, without
// syncing: the log makes the change durable.
func (s *Spool) appendRecord(id string, rec []byte) error {
	f, err := os.OpenFile(s.path(id), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("spool: %s: %w", id, err)
	}
	if _, err := f.Write(rec); err != nil {
		f.Close()
		return fmt.Errorf("spool: %s: %w", id, err)
	}
	return f.Close()
}

// compact rewrites the file of id with one envelope record that holds the
// current state. The caller holds the entry's lock.
//
// The new file is fsynced before it replaces the old one: the log may
// no longer hold the message's first record, so the file must never be
// replaced by one that a crash could leave incomplete.
func (s *Spool) compact(id string) error {
	m, err := s.readFile(s.path(id), false)
	if err != nil {
		return err
	}
	src, err := os.Open(s.path(id))
	if err != nil {
		return err
	}
	defer src.Close()
	return s.writeSnapshot(id, m, io.NewSectionReader(src, 0, headerSize+m.Size))
}

// writeSnapshot replaces the file of id, durably, with headerAndData
// followed by one envelope record for m.
func (s *Spool) writeSnapshot(id string, m *Message, headerAndData io.Reader) error {
	tmp := filepath.Join(s.tmpDir, id+".compact")
	dst, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			dst.Close()
			os.Remove(tmp)
		}
	}()

	// Header and data are copied unchanged: they carry their own CRCs.
	if _, err := io.Copy(dst, headerAndData); err != nil {
		return err
	}
	rec, err := encodeRecord(recordEnvelope, m)
	if err != nil {
		return err
	}
	if _, err := dst.Write(rec); err != nil {
		return err
	}
	if err := dst.Sync(); err != nil {
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	ok = true
	return os.Rename(tmp, s.path(id))
}

// Remove deletes a message whatever the state of its recipients, as an
// operator delete does, and returns once the removal is durable.
func (s *Spool) Remove(id string) error {
	e := s.lookup(id)
	if e == nil {
		return fmt.Errorf("spool: %s: %w", id, ErrNotFound)
	}

	e.mu.Lock()
	if e.removed {
		e.mu.Unlock()
		return fmt.Errorf("spool: %s: %w", id, ErrNotFound)
	}
	err := s.removeLocked(id, e)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	return s.wal.log(walRemove, id, nil)
}

func (s *Spool) removeLocked(id string, e *entry) error {
	if e.pending == nil {
		if err := os.Remove(s.path(id)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("spool: %s: %w", id, err)
		}
	}
	e.pending = nil
	e.removed = true
	s.untrack(id)
	return nil
}

// Load reads the current state of a live message from its file.
func (s *Spool) Load(id string) (*Message, error) {
	e := s.lookup(id)
	if e == nil {
		return nil, fmt.Errorf("spool: %s: %w", id, ErrNotFound)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.removed {
		return nil, fmt.Errorf("spool: %s: %w", id, ErrNotFound)
	}
	var m *Message
	var err error
	if e.pending != nil {
		m, err = parseFile(bytes.NewReader(e.pending), int64(len(e.pending)), id, false)
	} else {
		m, err = s.readFile(s.path(id), false)
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %s: %w", id, err)
	}
	return m, nil
}
