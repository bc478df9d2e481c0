package server

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/halonsh/halonsh/mta/queue"
)

// attemptJournal writes one line per attempt start, "QUEUE-ID RETRY", to
// a file in the spool directory. It is written before the attempt's hooks
// run and is not synced, because it only has to outlive a crash of the
// process and the kernel keeps a written page through that. At the next
// start, an entry whose journal line has the retry count the spool still
// holds was in an attempt that never concluded.
//
// A clean shutdown removes the journal, so only a crash or SIGKILL leaves
// one behind. The file is rotated at journalRotate bytes, and the previous
// file is read too. Only an attempt older than a whole file's worth of
// later attempts could be missed.
type attemptJournal struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
	log  *slog.Logger
}

// journalRotate is a variable so that tests can rotate sooner.
var journalRotate int64 = 16 << 20

// openJournal reads the journal a previous run left in dir, then starts a
// new one. started maps each queue id to the retry count of its latest
// recorded attempt.
func openJournal(dir string, log *slog.Logger) (j *attemptJournal, started map[string]int, err error) {
	path := filepath.Join(dir, "attempts.journal")
	started = map[string]int{}
	for _, p := range []string{path + ".1", path} {
		if err := readJournal(p, started); err != nil {
			return nil, nil, err
		}
	}
	os.Remove(path + ".1")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("attempt journal: %w", err)
	}
	return &attemptJournal{path: path, f: f, log: log}, started, nil
}

// readJournal adds the lines of one journal file to started. A torn last
// line, from a crash in the middle of a write, is skipped.
func readJournal(path string, started map[string]int) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("attempt journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, retry, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(retry)
		if err != nil || id == "" {
			continue
		}
		started[id] = n
	}
	return sc.Err()
}

// Begin records the start of an attempt on m. A failed write is logged
// and the attempt goes on: the journal only protects restarts.
func (j *attemptJournal) Begin(m *queue.Message) {
	line := m.ID + " " + strconv.Itoa(m.Retry) + "\n"
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return
	}
	if j.size+int64(len(line)) > journalRotate {
		j.rotate()
	}
	n, err := j.f.WriteString(line)
	j.size += int64(n)
	if err != nil {
		j.log.Warn("cannot write the attempt journal", "queue_id", m.ID, "msg_id", m.TransactionID, "err", err)
	}
}

// rotate keeps the current file as the previous one and starts a new
// file. Called with j.mu held.
func (j *attemptJournal) rotate() {
	j.f.Close()
	if err := os.Rename(j.path, j.path+".1"); err != nil {
		j.log.Warn("cannot rotate the attempt journal", "err", err)
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o640)
	if err != nil {
		j.log.Error("cannot reopen the attempt journal; attempts go unrecorded until restart", "err", err)
		j.f = nil
		return
	}
	j.f, j.size = f, 0
}

// Close closes the journal file and may be called again. With clean set,
// after a shutdown that concluded or requeued every attempt, it also
// removes the files, so the next start defers nothing. Otherwise they stay
// for the next start to read.
func (j *attemptJournal) Close(clean bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var err error
	if j.f != nil {
		err = j.f.Close()
		j.f = nil
	}
	if clean {
		os.Remove(j.path + ".1")
		if rerr := os.Remove(j.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// interrupted splits recovered entries into those whose last attempt was
// cut short and the rest.
//
// NOTE: an attempt can end in a requeue that keeps its retry count (a
// hook's queue action without a retry increase). If a crash follows before
// the next attempt, that entry looks cut short here and waits one retry
// interval more than it would have.
func interrupted(msgs []queue.Message, started map[string]int) (cut, rest []queue.Message) {
	for _, m := range msgs {
		if r, ok := started[m.ID]; ok && r == m.Retry {
			cut = append(cut, m)
		} else {
			rest = append(rest, m)
		}
	}
	return cut, rest
}
