package server

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/halonsh/halonsh/mta/queue"
)

func TestJournalSurvivesRotationAndTornLine(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	old := journalRotate
	journalRotate = 12
	defer func() { journalRotate = old }()

	j, started, err := openJournal(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(started) != 0 {
		t.Fatalf("new journal reports %v", started)
	}
	for i, id := range []string{"a.0", "b.0", "c.0", "a.0"} {
		j.Begin(&queue.Message{ID: id, Retry: i})
	}
	j.Close(false)
	if _, err := os.Stat(filepath.Join(dir, "attempts.journal.1")); err != nil {
		t.Fatalf("no rotated file at 12 bytes: %v", err)
	}
	// A crash in the middle of a write leaves a torn last line.
	f, _ := os.OpenFile(filepath.Join(dir, "attempts.journal"), os.O_WRONLY|os.O_APPEND, 0)
	io.WriteString(f, "d.0 ")
	f.Close()

	j, started, err = openJournal(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"a.0": 3, "b.0": 1, "c.0": 2}
	if len(started) != len(want) {
		t.Errorf("started = %v, want %v", started, want)
	}
	for id, r := range want {
		if started[id] != r {
			t.Errorf("started[%s] = %d, want %d", id, started[id], r)
		}
	}

	cut, rest := interrupted([]queue.Message{{ID: "a.0", Retry: 3}, {ID: "b.0", Retry: 2}, {ID: "e.0"}}, started)
	if len(cut) != 1 || cut[0].ID != "a.0" || len(rest) != 2 {
		t.Errorf("interrupted: cut %v rest %v, want only a.0 cut (b.0 concluded its attempt, e.0 never started)", cut, rest)
	}

	if err := j.Close(true); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "attempts.journal*"))
	if len(left) != 0 {
		t.Errorf("files left after a clean close: %v", left)
	}
}
