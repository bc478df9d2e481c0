// Package logbuf batches log lines into fewer write system calls.
//
// A busy MTA writes a log line for every accepted message and every
// delivery attempt, and one more to the JSON attempt log. Writing each
// line straight to its file costs one system call per line, a tenth of the
// process's CPU time at a few thousand messages a second. A Writer keeps
// the lines in memory and writes them out when its buffer fills, at a
// fixed interval and on Flush or Close, so a line reaches the file at most
// one interval after it was logged. A crash of the process loses at most
// that last interval of lines; the mail itself does not depend on them.
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// DefaultInterval is how long a line may wait in memory.
const DefaultInterval = 100 * time.Millisecond

// Writer is a buffered io.Writer that flushes itself. It is safe for
// concurrent use, and every Write goes in whole: lines of concurrent
// writers are never interleaved.
type Writer struct {
	mu  sync.Mutex
	bw  *bufio.Writer
	err error // the first failed flush, returned by later calls

	stop chan struct{}
	done chan struct{}
}

// New returns a Writer over w that flushes every interval (DefaultInterval
// when 0 or less). Call Close to stop its flusher and write what is left.
func New(w io.Writer, interval time.Duration) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	lw := &Writer{
		bw:   bufio.NewWriterSize(w, 64<<10),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go lw.run(interval)
	return lw
}

func (w *Writer) run(interval time.Duration) {
	defer close(w.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.Flush()
		}
	}
}

// Write buffers p. A p larger than the free space first flushes what is
// buffered; one larger than the whole buffer is written through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if len(p) > w.bw.Available() && w.bw.Buffered() > 0 {
		if err := w.bw.Flush(); err != nil {
			w.err = err
			return 0, err
		}
	}
	n, err := w.bw.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// Flush writes out everything buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.bw.Buffered() == 0 {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
	}
	return w.err
}

// Close stops the flusher and flushes. It does not close the underlying
// writer. Writes after Close are still accepted, and written by the next
// Flush.
func (w *Writer) Close() error {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
	return w.Flush()
}
