package spool

import (
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

// readFile parses a message file and replays its records. With verifyData
// the data is read and checked against its CRC. A torn last record is
// returned as *errTorn together with the message without it.
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
	h := make([]byte, headerSize)
	if _, err := io.ReadFull(f, h); err != nil {
		return nil, corruptf("reading header: %v", err)
	}
	dataLen, dataCRC, err := parseHeader(h)
	if err != nil {
		return nil, err
	}
	logStart := headerSize + dataLen
	if logStart > st.Size() {
		return nil, corruptf("data length %d runs past the end of the %d byte file", dataLen, st.Size())
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

	buf := make([]byte, st.Size()-logStart)
	if _, err := f.ReadAt(buf, logStart); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	recs, recErr := readRecords(buf, logStart)
	var torn *errTorn
	if recErr != nil && !errors.As(recErr, &torn) {
		return nil, recErr
	}

	m, err := replay(recs)
	if err != nil {
		return nil, err
	}
	if m.Size != dataLen {
		return nil, corruptf("envelope size %d, header data length %d", m.Size, dataLen)
	}
	if id := strings.TrimSuffix(filepath.Base(path), ".msg"); m.ID != id {
		return nil, corruptf("envelope id %q in file %s", m.ID, filepath.Base(path))
	}
	return m, recErr
}

// recover empties tmp/, loads every file in queue/ and quarantines the
// corrupt ones.
func (s *Spool) recover() ([]*Message, error) {
	start := time.Now()

	tmps, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, t := range tmps {
		// Never committed, so never acknowledged to a client.
		os.Remove(filepath.Join(s.tmpDir, t.Name()))
	}

	ents, err := os.ReadDir(s.queueDir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	names := make(chan string)
	var (
		mu          sync.Mutex
		msgs        []*Message
		quarantined int
		wg          sync.WaitGroup
	)
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				m, q := s.recoverFile(name)
				mu.Lock()
				if m != nil {
					msgs = append(msgs, m)
				}
				if q {
					quarantined++
				}
				mu.Unlock()
			}
		}()
	}
	for _, ent := range ents {
		if ent.IsDir() {
			continue
		}
		names <- ent.Name()
	}
	close(names)
	wg.Wait()

	for _, m := range msgs {
		s.track(m)
	}
	if len(ents) > 0 {
		s.log.Info("spool: recovered", "dir", s.dir, "messages", len(msgs), "quarantined", quarantined,
			"duration", time.Since(start).Round(time.Millisecond))
	}
	return msgs, nil
}

// recoverFile loads one file of queue/. It returns the message when it has
// recipients left, and whether the file was quarantined.
func (s *Spool) recoverFile(name string) (*Message, bool) {
	path := filepath.Join(s.queueDir, name)
	id, ok := strings.CutSuffix(name, ".msg")
	if !ok || !validID(id) {
		return nil, s.quarantineFile(path, id, corruptf("unexpected file name %q", name))
	}

	m, err := s.readFile(path, true)
	var torn *errTorn
	if errors.As(err, &torn) {
		// An update was cut short by a crash before anyone was told it
		// was stored; cut it off so that later appends follow whole
		// records.
		s.log.Warn("spool: cutting torn record off message file", "msg_id", id, "offset", torn.offset, "reason", torn.reason)
		if terr := os.Truncate(path, torn.offset); terr != nil {
			s.log.Error("spool: truncating message file failed", "msg_id", id, "error", terr)
		}
		err = nil
	}
	if errors.Is(err, errCorrupt) {
		return nil, s.quarantineFile(path, id, err)
	}
	if err != nil {
		// An I/O error, not a bad file: leave it for the next start.
		s.log.Error("spool: reading message file failed", "msg_id", id, "error", err)
		return nil, false
	}

	if m.live() == 0 {
		// Every recipient reached a final status but the removal did not
		// survive the crash.
		os.Remove(path)
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
