package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var syncModes = []struct {
	name string
	mode SyncMode
}{
	{"syncfs", SyncFilesystem},
	{"fsync", SyncFiles},
}

func openSpool(t *testing.T, dir string, mode SyncMode) (*Spool, []*Message) {
	t.Helper()
	s, msgs, err := Open(dir, Options{Sync: mode, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, msgs
}

func store(t *testing.T, s *Spool, data string, rcpts ...string) *Message {
	t.Helper()
	w, err := s.Create("")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := io.WriteString(w, data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	m := &Message{Sender: "sender@example.org"}
	for _, r := range rcpts {
		m.Recipients = append(m.Recipients, Recipient{Address: r, TransportID: "mx"})
	}
	if err := w.Commit(m); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return m
}

func readData(t *testing.T, s *Spool, id string) string {
	t.Helper()
	d, err := s.Data(id)
	if err != nil {
		t.Fatalf("Data(%s): %v", id, err)
	}
	defer d.Close()
	b, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("reading data of %s: %v", id, err)
	}
	return string(b)
}

func byID(msgs []*Message) map[string]*Message {
	out := make(map[string]*Message)
	for _, m := range msgs {
		out[m.ID] = m
	}
	return out
}

func TestCommitAndRecover(t *testing.T) {
	for _, sm := range syncModes {
		t.Run(sm.name, func(t *testing.T) {
			dir := t.TempDir()
			s, msgs := openSpool(t, dir, sm.mode)
			if len(msgs) != 0 {
				t.Fatalf("new spool recovered %d messages, want 0", len(msgs))
			}

			body := "Subject: hello\r\n\r\n" + strings.Repeat("line of body text\r\n", 500)
			m1 := store(t, s, body, "a@example.com", "b@example.net")
			m2 := store(t, s, "short\r\n", "c@example.com")
			if m1.Size != int64(len(body)) {
				t.Errorf("Size = %d, want %d", m1.Size, len(body))
			}
			if m1.Recipients[1].Queue != 1 {
				t.Errorf("second recipient has queue number %d, want 1", m1.Recipients[1].Queue)
			}
			if got := readData(t, s, m1.ID); got != body {
				t.Errorf("data of %s differs from what was written", m1.ID)
			}
			s.Close()

			_, msgs = openSpool(t, dir, sm.mode)
			got := byID(msgs)
			if len(got) != 2 {
				t.Fatalf("recovered %d messages, want 2", len(got))
			}
			r1 := got[m1.ID]
			if r1 == nil {
				t.Fatalf("message %s not recovered", m1.ID)
			}
			if r1.Sender != "sender@example.org" {
				t.Errorf("Sender = %q", r1.Sender)
			}
			if len(r1.Recipients) != 2 || r1.Recipients[1].Address != "b@example.net" {
				t.Errorf("Recipients = %+v", r1.Recipients)
			}
			if r1.Recipients[0].Status != StatusQueued {
				t.Errorf("Status = %q, want %q", r1.Recipients[0].Status, StatusQueued)
			}
			if got[m2.ID] == nil {
				t.Errorf("message %s not recovered", m2.ID)
			}
		})
	}
}

func TestUpdatePersistsRecipientState(t *testing.T) {
	for _, sm := range syncModes {
		t.Run(sm.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := openSpool(t, dir, sm.mode)
			m := store(t, s, "data\r\n", "a@example.com", "b@example.com")

			next := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			r0 := m.Recipients[0]
			r0.Retry = 3
			r0.NextAttempt = next
			r0.LastResult = "421 4.7.0 try later"
			r0.Metadata = map[string]string{"campaign": "x"}
			r0.Hold = true
			if err := s.Update(m.ID, r0); err != nil {
				t.Fatalf("Update deferred: %v", err)
			}
			r1 := m.Recipients[1]
			r1.Status = StatusDelivered
			if err := s.Update(m.ID, r1); err != nil {
				t.Fatalf("Update delivered: %v", err)
			}
			s.Close()

			s, msgs := openSpool(t, dir, sm.mode)
			if len(msgs) != 1 {
				t.Fatalf("recovered %d messages, want 1", len(msgs))
			}
			got := msgs[0].Recipients
			if got[0].Retry != 3 {
				t.Errorf("Retry = %d, want 3", got[0].Retry)
			}
			if !got[0].NextAttempt.Equal(next) {
				t.Errorf("NextAttempt = %v, want %v", got[0].NextAttempt, next)
			}
			if got[0].LastResult != "421 4.7.0 try later" {
				t.Errorf("LastResult = %q", got[0].LastResult)
			}
			if got[0].Metadata["campaign"] != "x" {
				t.Errorf("Metadata = %v", got[0].Metadata)
			}
			if !got[0].Hold {
				t.Errorf("Hold = false, want true")
			}
			if got[1].Status != StatusDelivered {
				t.Errorf("second recipient Status = %q, want delivered", got[1].Status)
			}

			// The last open recipient bouncing ends the message.
			r0.Status = StatusBounced
			if err := s.Update(m.ID, r0); err != nil {
				t.Fatalf("Update bounced: %v", err)
			}
			if _, err := os.Stat(s.path(m.ID)); !os.IsNotExist(err) {
				t.Errorf("message file still exists after every recipient is final: %v", err)
			}
			if err := s.Update(m.ID, r0); !errors.Is(err, ErrNotFound) {
				t.Errorf("Update after removal: %v, want ErrNotFound", err)
			}
			if s.Len() != 0 {
				t.Errorf("Len = %d, want 0", s.Len())
			}
		})
	}
}

func TestUpdateRejectsBadQueueNumber(t *testing.T) {
	s, _ := openSpool(t, t.TempDir(), SyncDefault)
	m := store(t, s, "x", "a@example.com")
	if err := s.Update(m.ID, Recipient{Queue: 5, Status: StatusQueued}); err == nil {
		t.Fatal("Update with queue number 5 of a one-recipient message succeeded")
	}
	if err := s.Update("no-such-id", Recipient{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update of an unknown id: %v, want ErrNotFound", err)
	}
}

func TestCompactionKeepsLatestState(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir, Options{CompactAfter: 4, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	m := store(t, s, "body\r\n", "a@example.com", "b@example.com")
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(s.path(m.ID))
	if err != nil {
		t.Fatalf("message file after Sync: %v", err)
	}
	sizeAfterCommit := info.Size()

	r := m.Recipients[0]
	for i := 1; i <= 10; i++ {
		r.Retry = i
		r.LastResult = fmt.Sprintf("451 try %d", i)
		if err := s.Update(m.ID, r); err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	info, _ = os.Stat(s.path(m.ID))
	// Ten updates would add ten records; compaction after every fourth
	// leaves at most three beside the envelope.
	if info.Size() > sizeAfterCommit+3*200 {
		t.Errorf("file is %d bytes after 10 updates (%d after commit); compaction did not run", info.Size(), sizeAfterCommit)
	}
	if got := readData(t, s, m.ID); got != "body\r\n" {
		t.Errorf("data after compaction = %q", got)
	}
	s.Close()

	_, msgs := openSpool(t, dir, SyncDefault)
	if len(msgs) != 1 {
		t.Fatalf("recovered %d messages, want 1", len(msgs))
	}
	if got := msgs[0].Recipients[0].Retry; got != 10 {
		t.Errorf("Retry after compaction = %d, want 10", got)
	}
	if got := msgs[0].Recipients[0].LastResult; got != "451 try 10" {
		t.Errorf("LastResult after compaction = %q", got)
	}
}

// logBuffer collects slog output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestCorruptFileIsQuarantined(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(path string) error
	}{
		{"data byte flipped", func(path string) error {
			return flipByte(path, headerSize+3)
		}},
		{"header byte flipped", func(path string) error {
			return flipByte(path, 9)
		}},
		{"envelope byte flipped", func(path string) error {
			st, err := os.Stat(path)
			if err != nil {
				return err
			}
			// Corrupt the envelope, then append a valid-looking record so
			// that the bad one is not the torn tail.
			if err := flipByte(path, st.Size()-5); err != nil {
				return err
			}
			rec, _ := encodeRecord(recordRecipient, Recipient{Queue: 0, Status: StatusQueued})
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write(rec)
			return err
		}},
		{"truncated inside data", func(path string) error {
			return os.Truncate(path, headerSize+2)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := openSpool(t, dir, SyncDefault)
			bad := store(t, s, "this message will be damaged\r\n", "a@example.com")
			good := store(t, s, "this one stays intact\r\n", "b@example.com")
			s.Close()

			if err := tc.corrupt(s.path(bad.ID)); err != nil {
				t.Fatal(err)
			}

			var logs logBuffer
			s2, msgs, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s2.Close()

			got := byID(msgs)
			if got[good.ID] == nil {
				t.Errorf("intact message %s was not recovered", good.ID)
			}
			if got[bad.ID] != nil {
				t.Errorf("corrupt message %s was recovered", bad.ID)
			}
			if _, err := os.Stat(filepath.Join(dir, "quarantine", bad.ID+".msg")); err != nil {
				t.Errorf("corrupt file not in quarantine: %v", err)
			}
			if _, err := os.Stat(s.path(bad.ID)); !os.IsNotExist(err) {
				t.Errorf("corrupt file still in queue/: %v", err)
			}
			if !strings.Contains(logs.String(), "msg_id="+bad.ID) {
				t.Errorf("log does not name the quarantined message %s:\n%s", bad.ID, logs.String())
			}
		})
	}
}

func flipByte(path string, off int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		return err
	}
	b[0] ^= 0xff
	_, err = f.WriteAt(b, off)
	return err
}

func TestTornTailIsCutOff(t *testing.T) {
	dir := t.TempDir()
	s, _ := openSpool(t, dir, SyncDefault)
	m := store(t, s, "data\r\n", "a@example.com")
	r := m.Recipients[0]
	r.Retry = 1
	if err := s.Update(m.ID, r); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A crash in the middle of the next update leaves half a record.
	r.Retry = 2
	rec, _ := encodeRecord(recordRecipient, r)
	f, err := os.OpenFile(s.path(m.ID), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(rec[:len(rec)/2])
	f.Close()
	before, _ := os.Stat(s.path(m.ID))

	s2, msgs := openSpool(t, dir, SyncDefault)
	if len(msgs) != 1 {
		t.Fatalf("recovered %d messages, want 1", len(msgs))
	}
	if got := msgs[0].Recipients[0].Retry; got != 1 {
		t.Errorf("Retry = %d, want 1 (the torn update was never acknowledged)", got)
	}
	after, _ := os.Stat(s.path(m.ID))
	if after.Size() != before.Size()-int64(len(rec)/2) {
		t.Errorf("file is %d bytes, want the torn %d bytes cut from %d", after.Size(), len(rec)/2, before.Size())
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "quarantine")); len(entries) != 0 {
		t.Errorf("a torn tail quarantined the file")
	}

	// Appends after recovery follow whole records.
	r.Retry = 5
	if err := s2.Update(m.ID, r); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	_, msgs = openSpool(t, dir, SyncDefault)
	if got := msgs[0].Recipients[0].Retry; got != 5 {
		t.Errorf("Retry after a later update = %d, want 5", got)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, _ := openSpool(t, dir, SyncDefault)
	w, err := s.Create("")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "partial")
	w.Abort()

	for _, sub := range []string{"queue", "tmp"} {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		if len(entries) != 0 {
			t.Errorf("%s/ has %d files after Abort, want 0", sub, len(entries))
		}
	}
	if err := w.Commit(&Message{Recipients: []Recipient{{Address: "a@example.com"}}}); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestOpenRemovesTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir, Options{InlineLimit: 16, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create("")
	if err != nil {
		t.Fatal(err)
	}
	// Past the inline limit the data goes to a file under tmp/.
	io.WriteString(w, strings.Repeat("never committed\r\n", 10))
	w.buf.Flush()
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 1 {
		t.Fatalf("tmp/ has %d files while a large message is received, want 1", len(entries))
	}
	s.Close()

	_, msgs := openSpool(t, dir, SyncDefault)
	if len(msgs) != 0 {
		t.Errorf("recovered %d messages from an uncommitted write, want 0", len(msgs))
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(entries) != 0 {
		t.Errorf("tmp/ has %d files after Open, want 0", len(entries))
	}
}

func TestLargeMessageSpillsToFile(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir, Options{InlineLimit: 1024, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("0123456789abcdef", 1000)
	m := store(t, s, body, "a@example.com")
	// A message over the inline limit is in its own file at once.
	if _, err := os.Stat(s.path(m.ID)); err != nil {
		t.Errorf("large message has no file after Commit: %v", err)
	}
	if got := readData(t, s, m.ID); got != body {
		t.Error("data of the large message differs")
	}
	small := store(t, s, "small", "b@example.com")
	if _, err := os.Stat(s.path(small.ID)); !os.IsNotExist(err) {
		t.Errorf("small message has a file before its checkpoint: %v", err)
	}
	if got := readData(t, s, small.ID); got != "small" {
		t.Errorf("data of the small message = %q", got)
	}
	s.Close()

	_, msgs := openSpool(t, dir, SyncDefault)
	if len(msgs) != 2 {
		t.Errorf("recovered %d messages, want 2", len(msgs))
	}
}

func TestRemoveDeletesMessage(t *testing.T) {
	s, _ := openSpool(t, t.TempDir(), SyncDefault)
	m := store(t, s, "x", "a@example.com", "b@example.com")
	if err := s.Remove(m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Data(m.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Data after Remove: %v, want ErrNotFound", err)
	}
	if err := s.Remove(m.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: %v, want ErrNotFound", err)
	}
}

func TestCreateRejectsUnsafeID(t *testing.T) {
	s, _ := openSpool(t, t.TempDir(), SyncDefault)
	for _, id := range []string{"../x", "a/b", ".."} {
		if _, err := s.Create(id); err == nil {
			t.Errorf("Create(%q) succeeded", id)
		}
	}
}

func TestConcurrentWritersShareSyncs(t *testing.T) {
	s, _ := openSpool(t, t.TempDir(), SyncDefault)
	const writers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				wr, err := s.Create("")
				if err != nil {
					errs <- err
					return
				}
				fmt.Fprintf(wr, "writer %d message %d\r\n", w, i)
				if err := wr.Commit(&Message{Recipients: []Recipient{{Address: "a@example.com"}}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	if s.Len() != writers*each {
		t.Errorf("Len = %d, want %d", s.Len(), writers*each)
	}
	rounds, served := s.SyncStats()
	if rounds >= served {
		t.Errorf("%d sync rounds served %d requests: no batching", rounds, served)
	}
}

func TestIdleSpoolWritesFiles(t *testing.T) {
	old := walSegmentAge
	walSegmentAge = 100 * time.Millisecond
	// Registered before the spool's own cleanup, so it runs after Close.
	t.Cleanup(func() { walSegmentAge = old })

	s, _ := openSpool(t, t.TempDir(), SyncDefault)
	m := store(t, s, "waiting for a checkpoint", "a@example.com")

	// No further write closes the log segment; the checkpoint loop must,
	// and then the file exists and only the current segment is left.
	walDir := filepath.Join(s.Dir(), "wal")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, statErr := os.Stat(s.path(m.ID))
		segs, err := listSegments(walDir)
		if err != nil {
			t.Fatal(err)
		}
		if statErr == nil && len(segs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle spool after 10s: file error %v, %d log segments; want the file and one segment", statErr, len(segs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
