package spool

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// SyncMode selects how a checkpoint makes message files durable; the
// package documentation compares the two.
type SyncMode int

const (
	// SyncDefault is SyncFilesystem on Linux and SyncFiles elsewhere.
	SyncDefault SyncMode = iota
	// SyncFilesystem makes a checkpoint one syncfs(2) call.
	SyncFilesystem
	// SyncFiles makes a checkpoint an fsync of each message file the
	// checkpoint covers, then of the queue directory.
	SyncFiles
)

// Options configures a spool. The zero value is ready to use.
type Options struct {
	Sync SyncMode
	// CompactAfter is how many recipient updates a file collects before it
	// is rewritten with one envelope record; 0 means 32.
	CompactAfter int
	// InlineLimit is the largest message whose data goes into the
	// write-ahead log; a larger one is fsynced in its own file instead.
	// 0 means 1 MiB.
	InlineLimit int
	// Logger receives recovery and quarantine events; nil means
	// slog.Default().
	Logger *slog.Logger
}

// ErrNotFound is returned for an id that names no live message.
var ErrNotFound = errors.New("message not found in the spool")

// Spool is an open spool directory. It is safe for concurrent use.
type Spool struct {
	// lock holds the directory's flock while the spool is open.
	lock       *os.File
	dir        string
	queueDir   string
	tmpDir     string
	quarantine string
	walDir     string

	opts    Options
	mode    SyncMode
	log     *slog.Logger
	dirFD   *os.File  // queue/, for directory fsyncs and syncfs
	dirSync groupSync // fsyncs of queue/ for messages too large for the log
	wal     *wal

	ckMu      sync.Mutex // serializes checkpoints
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	seed   maphash.Seed
	shards [entryShards]entryShard
}

// entryShards spreads the live-message table over independent locks so
// that sessions and deliveries do not contend on one mutex.
const entryShards = 64

type entryShard struct {
	mu sync.Mutex
	m  map[string]*entry
}

// entry is the bookkeeping of one live message.
type entry struct {
	mu      sync.Mutex // serializes appends, compaction and removal
	final   []bool     // per recipient: a final status was recorded
	live    int        // recipients not final
	updates int        // recipient records since the last rewrite
	removed bool
	// pending is the complete file of a message that is durable only in
	// the log so far; nil once the file is written.
	pending []byte
}

// Open opens or creates the spool in dir and returns the messages that
// still have recipients to deliver, in no particular order. Corrupt files
// are quarantined and logged; they are not an error.
func Open(dir string, opts Options) (*Spool, []*Message, error) {
	s := &Spool{
		dir:        dir,
		queueDir:   filepath.Join(dir, "queue"),
		tmpDir:     filepath.Join(dir, "tmp"),
		quarantine: filepath.Join(dir, "quarantine"),
		walDir:     filepath.Join(dir, "wal"),
		opts:       opts,
		mode:       opts.Sync,
		log:        opts.Logger,
		seed:       maphash.MakeSeed(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.opts.CompactAfter <= 0 {
		s.opts.CompactAfter = 32
	}
	if s.opts.InlineLimit <= 0 {
		s.opts.InlineLimit = 1 << 20
	}
	if s.mode == SyncDefault {
		s.mode = SyncFiles
		if syncfsAvailable {
			s.mode = SyncFilesystem
		}
	}
	if s.mode == SyncFilesystem && !syncfsAvailable {
		return nil, nil, errors.New("spool: SyncFilesystem needs syncfs(2), which this system lacks; use SyncFiles")
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*entry)
	}

	for _, d := range []string{s.queueDir, s.tmpDir, s.quarantine, s.walDir} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, nil, fmt.Errorf("spool: %w", err)
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, err
	}
	s.lock = lock
	ok := false
	defer func() {
		if !ok && lock != nil {
			lock.Close()
		}
	}()
	fd, err := os.Open(s.queueDir)
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	s.dirFD = fd
	s.dirSync.sync = fd.Sync

	msgs, nextSeq, err := s.recover()
	if err != nil {
		fd.Close()
		return nil, nil, err
	}
	w := &wal{dir: s.walDir}
	if err := w.prepareSpare(); err != nil {
		s.log.Warn("spool: preparing a log segment failed; writing to an empty one", "error", err)
	}
	s.wal, err = openWAL(s.walDir, nextSeq)
	if err != nil {
		fd.Close()
		return nil, nil, fmt.Errorf("spool: %w", err)
	}

	s.stop = make(chan struct{})
	s.wg.Add(1)
	go s.checkpointLoop()
	ok = true
	return s, msgs, nil
}

// Close checkpoints the log and releases the spool directory. Callers
// must have finished every Writer, Update and Remove; the messages stay
// for the next Open. Calls after the first return the first's result.
func (s *Spool) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Spool) close() error {
	close(s.stop)
	s.wg.Wait()

	// Nothing writes any more: the current segment can be closed and
	// checkpointed with the others.
	var err error
	if s.wal.cur.size > 0 {
		s.wal.fullMu.Lock()
		s.wal.full = append(s.wal.full, s.wal.cur)
		s.wal.fullMu.Unlock()
	} else {
		s.wal.cur.f.Close()
		err = os.Remove(filepath.Join(s.walDir, segmentName(s.wal.cur.seq)))
	}
	if cerr := s.checkpointFull(); cerr != nil {
		err = cerr
	}
	s.wal.dirFD.Close()
	s.dirFD.Close()
	if s.lock != nil {
		s.lock.Close()
	}
	return err
}

// checkpointLoop checkpoints segments as the log closes them.
//
// A segment is also closed when it has aged while no write came to close
// it, so that an idle spool still writes and syncs its files.
func (s *Spool) checkpointLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(walSegmentAge)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.wal.notify:
		case <-tick.C:
			s.wal.rotateNow.Store(true)
			if err := s.wal.synced.wait(); err != nil {
				s.log.Error("spool: closing an idle log segment failed", "error", err)
			}
		}
		if err := s.checkpointFull(); err != nil {
			s.log.Error("spool: checkpoint failed; the log segment is kept for recovery", "error", err)
		}
		if err := s.wal.prepareSpare(); err != nil {
			s.log.Warn("spool: preparing a log segment failed", "error", err)
		}
	}
}

// Sync writes the file of every message that so far lives only in memory
// and the log, makes the files durable and empties the log. The spool does
// this by itself every few seconds; Sync is for callers that need the
// files on disk now, such as a backup.
func (s *Spool) Sync() error {
	s.wal.rotateNow.Store(true)
	if err := s.wal.synced.wait(); err != nil {
		return err
	}
	return s.checkpointFull()
}

// checkpointFull checkpoints the closed segments, oldest first. A failed
// segment and those after it go back to wait for the next try.
func (s *Spool) checkpointFull() error {
	s.ckMu.Lock()
	defer s.ckMu.Unlock()
	segs := s.wal.takeFull()
	for i, seg := range segs {
		if err := s.checkpoint(seg); err != nil {
			s.wal.fullMu.Lock()
			s.wal.full = append(segs[i:], s.wal.full...)
			s.wal.fullMu.Unlock()
			return fmt.Errorf("segment %s: %w", segmentName(seg.seq), err)
		}
	}
	return nil
}

// checkpoint makes every message file the segment covers durable, then
// deletes the segment.
func (s *Spool) checkpoint(seg *walSegment) error {
	for id := range seg.touched {
		if err := s.materialize(id); err != nil {
			return err
		}
	}
	if err := s.syncFiles(seg.touched); err != nil {
		return err
	}
	seg.f.Close()
	if err := os.Remove(filepath.Join(s.walDir, segmentName(seg.seq))); err != nil {
		return err
	}
	return s.wal.dirFD.Sync()
}

// materialize writes the file of a message that lives only in memory and
// the log; the caller syncs it.
func (s *Spool) materialize(id string) error {
	e := s.lookup(id)
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending == nil || e.removed {
		return nil
	}

	tmp := filepath.Join(s.tmpDir, id+".tmp")
	if err := os.WriteFile(tmp, e.pending, 0o640); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, s.path(id)); err != nil {
		os.Remove(tmp)
		return err
	}
	e.pending = nil
	return nil
}

// syncFiles makes the files of ids and the queue directory durable.
func (s *Spool) syncFiles(ids map[string]struct{}) error {
	if s.mode == SyncFilesystem {
		return syncfs(s.dirFD)
	}

	// Concurrent fsyncs share journal commits on most filesystems.
	names := make(chan string)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range names {
				f, err := os.Open(s.path(id))
				if os.IsNotExist(err) {
					continue
				}
				if err == nil {
					err = f.Sync()
					f.Close()
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for id := range ids {
		names <- id
	}
	close(names)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return s.dirFD.Sync()
}

// Dir returns the spool directory.
func (s *Spool) Dir() string { return s.dir }

// SyncStats reports how many log syncs ran and how many durability
// requests they served; served/rounds is the average batch size.
func (s *Spool) SyncStats() (rounds, served int64) {
	return s.wal.synced.rounds.Load(), s.wal.synced.waiters.Load()
}

func (s *Spool) path(id string) string {
	return filepath.Join(s.queueDir, id+".msg")
}

func (s *Spool) shard(id string) *entryShard {
	return &s.shards[maphash.String(s.seed, id)%entryShards]
}

func (s *Spool) lookup(id string) *entry {
	sh := s.shard(id)
	sh.mu.Lock()
	e := sh.m[id]
	sh.mu.Unlock()
	return e
}

func (s *Spool) track(m *Message, pending []byte) {
	e := &entry{final: make([]bool, len(m.Recipients)), pending: pending}
	for i, r := range m.Recipients {
		if r.Status.Final() {
			e.final[i] = true
		} else {
			e.live++
		}
	}

	sh := s.shard(m.ID)
	sh.mu.Lock()
	sh.m[m.ID] = e
	sh.mu.Unlock()
}

func (s *Spool) untrack(id string) {
	sh := s.shard(id)
	sh.mu.Lock()
	delete(sh.m, id)
	sh.mu.Unlock()
}

// Len returns the number of live messages.
func (s *Spool) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// validID accepts the ids that are safe as file names.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	return !strings.ContainsAny(id, "/\\\x00") && id != "." && id != ".."
}

// Data opens the data of a message for reading. The reader stays valid
// when the message is updated, compacted or removed meanwhile.
func (s *Spool) Data(id string) (*DataReader, error) {
	if !validID(id) {
		return nil, fmt.Errorf("spool: invalid message id %q", id)
	}
	if e := s.lookup(id); e != nil {
		e.mu.Lock()
		pending := e.pending
		e.mu.Unlock()
		if pending != nil {
			// The data region of a pending file never changes; appends go
			// after it.
			n, _, err := parseHeader(pending)
			if err != nil {
				return nil, fmt.Errorf("spool: %s: %w", id, err)
			}
			return &DataReader{SectionReader: io.NewSectionReader(bytes.NewReader(pending), headerSize, n)}, nil
		}
	}

	f, err := os.Open(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("spool: %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}

	h := make([]byte, headerSize)
	if _, err := io.ReadFull(f, h); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %s: reading header: %w", id, err)
	}
	n, _, err := parseHeader(h)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %s: %w", id, err)
	}
	return &DataReader{SectionReader: io.NewSectionReader(f, headerSize, n), f: f}, nil
}

// DataReader reads the data of one message; Size returns its length.
type DataReader struct {
	*io.SectionReader
	f *os.File // nil for a message held in memory
}

// Close releases the reader.
func (d *DataReader) Close() error {
	if d.f == nil {
		return nil
	}
	return d.f.Close()
}
