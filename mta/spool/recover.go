package spool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// readFile parses a message file and replays its records; see parseFile.
func (s *Spool) readFile(path string, verifyData bool) (*Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	id := strings.TrimSuffix(filepath.Base(path), ".msg")
	return parseFile(f, st.Size(), id, verifyData)
}

// parseFile parses a message file of the given size and replays its
// records. With verifyData the data is read and checked against its CRC.
// A bad record after the envelope is returned as *errTorn together with
// the message without it. Updates are appended without a sync, so after a
// power failure the end of a file may contain garbage. The log contains
// every update that was not yet synced.
func parseFile(f io.ReaderAt, size int64, id string, verifyData bool) (*Message, error) {
	h := make([]byte, headerSize)
	if _, err := f.ReadAt(h, 0); err != nil {
		return nil, corruptf("reading header: %v", err)
	}
	dataLen, dataCRC, err := parseHeader(h)
	if err != nil {
		return nil, err
	}
	logStart := headerSize + dataLen
	if logStart > size {
		return nil, corruptf("data length %d runs past the end of the %d byte file", dataLen, size)
	}

	if verifyData {
		crc := crc32.New(castagnoli)
		if _, err := io.Copy(crc, io.NewSectionReader(f, headerSize, dataLen)); err != nil {
			return nil, err
		}
		if got := crc.Sum32(); got != dataCRC {
			return nil, corruptf("data checksum %08x, want %08x", got, dataCRC)
		}
	}

	buf := make([]byte, size-logStart)
	if _, err := f.ReadAt(buf, logStart); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	recs, recErr := readRecords(buf, logStart)
	if recErr != nil && len(recs) > 0 {
		var torn *errTorn
		if !errors.As(recErr, &torn) {
			off := logStart
			for _, r := range recs {
				off += int64(recordHeaderSize + len(r.payload))
			}
			recErr = &errTorn{offset: off, reason: recErr.Error()}
		}
	} else if recErr != nil {
		return nil, corruptf("envelope record: %v", recErr)
	}

	m, err := replay(recs)
	if err != nil {
		return nil, err
	}
	if m.Size != dataLen {
		return nil, corruptf("envelope size %d, header data length %d", m.Size, dataLen)
	}
	if m.ID != id {
		return nil, corruptf("envelope id %q in the file of %s", m.ID, id)
	}
	return m, recErr
}

// recover empties tmp/, loads every file in queue/, replays the log over
// them, quarantines the corrupt files the log cannot restore, and leaves
// every recovered change durable in the files, so that the log segments
// can go. It returns the live messages and the number for the next log
// segment.
func (s *Spool) recover() ([]*Message, uint64, error) {
	start := time.Now()

	tmps, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	for _, t := range tmps {
		// Never committed, so never acknowledged to a client.
		os.Remove(filepath.Join(s.tmpDir, t.Name()))
	}

	// A spare segment is never in use, and one that was being prepared
	// may be short.
	os.Remove(filepath.Join(s.walDir, spareName))
	os.Remove(filepath.Join(s.walDir, spareName+".new"))

	// The log, oldest record first.
	seqs, err := listSegments(s.walDir)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	var entries []walEntry
	for _, seq := range seqs {
		es, err := readSegment(filepath.Join(s.walDir, segmentName(seq)))
		if err != nil {
			// The records before the bad one are used; the message files
			// hold what a checkpoint synced.
			s.log.Error("spool: log segment damaged; using the records before the damage", "segment", segmentName(seq), "error", err)
		}
		entries = append(entries, es...)
	}
	logged := make(map[string][]byte) // id -> the file from its walNew record
	for _, e := range entries {
		if e.typ == walNew {
			logged[e.id] = e.body
		}
	}

	files, quarantined, err := s.loadFiles(logged)
	if err != nil {
		return nil, 0, err
	}

	// Replay the log over the files.
	restored := make(map[string]bool) // the file must be written from the log
	changed := make(map[string]bool)  // the file must be rewritten
	removed := make(map[string]bool)
	for _, e := range entries {
		switch e.typ {
		case walNew:
			if files[e.id] != nil || removed[e.id] {
				continue
			}
			m, err := parseFile(bytes.NewReader(e.body), int64(len(e.body)), e.id, true)
			if err != nil {
				s.log.Error("spool: log record of a new message is damaged", "msg_id", e.id, "error", err)
				continue
			}
			files[e.id] = m
			restored[e.id] = true
		case walUpdate:
			m := files[e.id]
			if m == nil {
				continue
			}
			var r Recipient
			if err := json.Unmarshal(e.body, &r); err != nil || r.Queue < 0 || r.Queue >= len(m.Recipients) {
				s.log.Error("spool: log record of an update is damaged", "msg_id", e.id, "error", err)
				continue
			}
			m.Recipients[r.Queue] = r
			changed[e.id] = true
		case walRemove:
			delete(files, e.id)
			removed[e.id] = true
		}
	}

	// Write back what the log changed, then let the log go.
	var msgs []*Message
	touched := make(map[string]struct{})
	for id, m := range files {
		if m.live() == 0 {
			removed[id] = true
			continue
		}
		if restored[id] || changed[id] {
			if err := s.writeBack(id, m, logged[id], restored[id]); err != nil {
				return nil, 0, fmt.Errorf("spool: writing recovered message %s: %w", id, err)
			}
			touched[id] = struct{}{}
		}
		msgs = append(msgs, m)
	}
	for id := range removed {
		if err := os.Remove(s.path(id)); err == nil {
			touched[id] = struct{}{}
		}
	}
	if len(seqs) > 0 || len(touched) > 0 {
		if err := s.dirFD.Sync(); err != nil {
			return nil, 0, fmt.Errorf("spool: %w", err)
		}
	}
	for _, seq := range seqs {
		if err := os.Remove(filepath.Join(s.walDir, segmentName(seq))); err != nil {
			return nil, 0, fmt.Errorf("spool: %w", err)
		}
	}

	for _, m := range msgs {
		s.track(m, nil)
	}
	if len(files) > 0 || quarantined > 0 || len(entries) > 0 {
		s.log.Info("spool: recovered", "dir", s.dir, "messages", len(msgs), "quarantined", quarantined,
			"log_records", len(entries), "duration", time.Since(start).Round(time.Millisecond))
	}
	next := uint64(1)
	if len(seqs) > 0 {
		next = seqs[len(seqs)-1] + 1
	}
	return msgs, next, nil
}

// writeBack makes the recovered state of a message durable in its file:
// from the log's copy of the file when restored, else from its own data.
func (s *Spool) writeBack(id string, m *Message, logged []byte, restored bool) error {
	if restored {
		return s.writeSnapshot(id, m, bytes.NewReader(logged[:headerSize+m.Size]))
	}
	src, err := os.Open(s.path(id))
	if err != nil {
		return err
	}
	defer src.Close()
	return s.writeSnapshot(id, m, io.NewSectionReader(src, 0, headerSize+m.Size))
}

// loadFiles reads every file in queue/ in parallel. A corrupt file that
// the log holds a copy of is left for the replay to restore; other
// corrupt files are quarantined.
func (s *Spool) loadFiles(logged map[string][]byte) (map[string]*Message, int, error) {
	ents, err := os.ReadDir(s.queueDir)
	if err != nil {
		return nil, 0, fmt.Errorf("spool: %w", err)
	}
	names := make(chan string)
	var (
		mu          sync.Mutex
		files       = make(map[string]*Message)
		quarantined int
		wg          sync.WaitGroup
	)
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				m, q := s.recoverFile(name, logged)
				mu.Lock()
				if m != nil {
					files[m.ID] = m
				}
				if q {
					quarantined++
				}
				mu.Unlock()
			}
		}()
	}
	for _, ent := range ents {
		if !ent.IsDir() {
			names <- ent.Name()
		}
	}
	close(names)
	wg.Wait()
	return files, quarantined, nil
}

// recoverFile loads one file of queue/. It returns the message, and
// whether the file was quarantined.
func (s *Spool) recoverFile(name string, logged map[string][]byte) (*Message, bool) {
	path := filepath.Join(s.queueDir, name)
	id, ok := strings.CutSuffix(name, ".msg")
	if !ok || !validID(id) {
		return nil, s.quarantineFile(path, id, corruptf("unexpected file name %q", name))
	}

	m, err := s.readFile(path, true)
	var torn *errTorn
	if errors.As(err, &torn) {
		// An update was cut short by a crash; the log has it if it was
		// acknowledged. Cut it off so that later appends follow whole
		// records.
		s.log.Warn("spool: cutting damaged records off the end of a message file", "msg_id", id, "offset", torn.offset, "reason", torn.reason)
		if terr := os.Truncate(path, torn.offset); terr != nil {
			s.log.Error("spool: truncating message file failed", "msg_id", id, "error", terr)
		}
		err = nil
	}
	if errors.Is(err, errCorrupt) {
		if _, ok := logged[id]; ok {
			// A crash before the checkpoint; the log restores it.
			os.Remove(path)
			return nil, false
		}
		return nil, s.quarantineFile(path, id, err)
	}
	if err != nil {
		// An I/O error, not a bad file: leave it for the next start.
		s.log.Error("spool: reading message file failed", "msg_id", id, "error", err)
		return nil, false
	}
	return m, false
}

// quarantineFile moves a corrupt file out of queue/ and logs why.
func (s *Spool) quarantineFile(path, id string, cause error) bool {
	dst := filepath.Join(s.quarantine, filepath.Base(path))
	if _, err := os.Lstat(dst); err == nil {
		dst += "." + time.Now().UTC().Format("20060102T150405.000000000")
	}
	if err := os.Rename(path, dst); err != nil {
		s.log.Error("spool: quarantining corrupt message file failed", "msg_id", id, "file", path, "error", err, "cause", cause)
		return false
	}
	s.log.Error("spool: quarantined corrupt message file", "msg_id", id, "file", dst, "error", cause)
	return true
}
