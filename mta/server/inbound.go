package server

import (
	"context"

	"github.com/halonsh/halonsh/mta/queue"
	"github.com/halonsh/halonsh/mta/smtpd"
	"github.com/halonsh/halonsh/mta/spool"
)

// inbound is the SMTP server's backend: it writes each accepted message
// to the spool with one entry per recipient and hands the entries to the
// queue once they are durable.
type inbound struct {
	spool     *spool.Spool
	queue     *queue.Queue
	transport string // transport id of accepted mail
}

func (b *inbound) NewMessage(ctx context.Context, tx *smtpd.Transaction) (smtpd.MessageWriter, error) {
	w, err := b.spool.Create(tx.ID)
	if err != nil {
		return nil, err
	}
	return &inboundWriter{b: b, w: w}, nil
}

type inboundWriter struct {
	b *inbound
	w *spool.Writer
}

func (iw *inboundWriter) Write(p []byte) (int, error) { return iw.w.Write(p) }

func (iw *inboundWriter) Abort() { iw.w.Abort() }

// Commit stores the message durably, then queues its entries; the client
// gets 250 only after that.
func (iw *inboundWriter) Commit(ctx context.Context, tx *smtpd.Transaction) error {
	m := &spool.Message{
		Sender: tx.Sender,
		EnvID:  tx.Mail.EnvID,
		Ret:    tx.Mail.Ret,
	}
	if tx.Conn != nil {
		m.ServerID = tx.Conn.ServerID
	}
	for _, r := range tx.Recipients {
		m.Recipients = append(m.Recipients, spool.Recipient{
			Address:     r.Address,
			Notify:      r.Notify,
			ORcpt:       r.ORcpt,
			TransportID: iw.b.transport,
		})
	}
	if err := iw.w.Commit(m); err != nil {
		return err
	}
	iw.b.queue.Add(queueMessages(m)...)
	return nil
}
