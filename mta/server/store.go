package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/halonsh/halonsh/mta/queue"
	"github.com/halonsh/halonsh/mta/spool"
)

// spoolStore keeps the queue's state in the spool: each queue entry is one
// recipient record of a spooled message.
type spoolStore struct {
	spool *spool.Spool
}

func recipientRecord(m *queue.Message, status spool.Status) spool.Recipient {
	return spool.Recipient{
		Queue:       m.Index,
		Address:     m.Recipient,
		Notify:      m.DSN.Notify,
		ORcpt:       m.DSN.ORcpt,
		TransportID: m.TransportID,
		JobID:       m.JobID,
		TenantID:    m.TenantID,
		Priority:    m.Priority,
		Hold:        m.Hold,
		Metadata:    m.Metadata,
		Status:      status,
		Retry:       m.Retry,
		NextAttempt: m.NextAttempt,
		LastResult:  m.LastResult,
	}
}

func (s *spoolStore) Update(m *queue.Message) error {
	return s.spool.Update(m.TransactionID, recipientRecord(m, spool.StatusQueued))
}

func (s *spoolStore) Remove(m *queue.Message, outcome string) error {
	status := spool.StatusDeleted
	switch outcome {
	case "delivered":
		status = spool.StatusDelivered
	case "bounced":
		status = spool.StatusBounced
	}
	err := s.spool.Update(m.TransactionID, recipientRecord(m, status))
	if errors.Is(err, spool.ErrNotFound) {
		return nil // the message file is already gone: nothing left to record
	}
	return err
}

func (s *spoolStore) Inject(sender string, recipients []string, transportID string, data []byte) ([]queue.Message, error) {
	w, err := s.spool.Create("")
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return nil, err
	}
	m := &spool.Message{Sender: sender}
	for _, r := range recipients {
		m.Recipients = append(m.Recipients, spool.Recipient{Address: r, TransportID: transportID})
	}
	if err := w.Commit(m); err != nil {
		return nil, err
	}
	return queueMessages(m), nil
}

// Header returns the header section of a message: everything up to the
// first empty line.
func (s *spoolStore) Header(m *queue.Message) ([]byte, error) {
	r, err := s.spool.Data(m.TransactionID)
	if err != nil {
		return nil, err
	}
	defer r.Close()

	var out bytes.Buffer
	br := bufio.NewReader(io.LimitReader(r, 1<<20))
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return out.Bytes(), nil
		}
		out.Write(line)
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the header of %s: %w", m.TransactionID, err)
		}
	}
}

// queueMessages returns the queue entries of a spooled message's
// recipients that still need delivery.
func queueMessages(m *spool.Message) []queue.Message {
	out := make([]queue.Message, 0, len(m.Recipients))
	for _, r := range m.Recipients {
		if r.Status.Final() {
			continue
		}
		out = append(out, queue.Message{
			ID:            fmt.Sprintf("%s.%d", m.ID, r.Queue),
			TransactionID: m.ID,
			Index:         r.Queue,
			Sender:        m.Sender,
			Recipient:     r.Address,
			TransportID:   r.TransportID,
			JobID:         r.JobID,
			TenantID:      r.TenantID,
			ServerID:      m.ServerID,
			Priority:      r.Priority,
			Size:          m.Size,
			ReceivedAt:    m.Received,
			QueuedAt:      m.Received,
			Retry:         r.Retry,
			NextAttempt:   r.NextAttempt,
			Hold:          r.Hold,
			Metadata:      r.Metadata,
			LastResult:    r.LastResult,
			DSN:           queue.DSNRequest{EnvID: m.EnvID, Ret: m.Ret, Notify: r.Notify, ORcpt: r.ORcpt},
		})
	}
	return out
}
