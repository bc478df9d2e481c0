package queue

import (
	stdjson "encoding/json"
	"io"
	"reflect"
	"testing"
	"time"
)

// sampleAttempt is a typical attempt log record: a delivered message with
// its connection, a policy and a sub-queue key.
func sampleAttempt() *attemptRecord {
	msg := &Message{
		ID: "q-1", TransactionID: "tx-1", Sender: "Sender@Origin.test", Recipient: "rcpt@dest.test",
		TransportID: "relay", Size: 4096, ReceivedAt: time.Unix(1764800000, 123456789),
		Metadata: map[string]string{"campaign": "w49"},
	}
	return &attemptRecord{
		TS:      "2026-12-04T23:00:00.123456789Z",
		Retry:   2,
		Action:  "DELETE",
		Message: messageRecord(msg),
		Outcome: "DELIVERED",
		Attempt: &attemptJSON{Duration: 0.0123, Result: &Result{
			SMTP: &SMTPResult{Code: 250, Enhanced: []int{2, 0, 0}, Reason: []string{"Ok: queued as X"}, State: "EOD"},
			Connection: &ConnectionInfo{ID: "c-1", Transactions: 3, LocalIP: "127.0.0.1", RemoteIP: "127.0.0.2",
				RemoteMX: "mx.dest.test", RemoteGreet: []string{"mx ESMTP"}, TLS: &TLSInfo{Started: true, Protocol: "TLSv1.3", Cipher: "TLS_AES_128_GCM_SHA256", KeySize: 128}},
		}},
		Policy: &PolicyInfo{Tags: []string{"gsuite"}, Policies: []AppliedPolicy{{ID: "per-mx", Key: "per-mx: remotemx=#gsuite",
			Fields: []string{"remotemx"}, Condition: map[string][]string{"remotemx": {"*.google.com"}}}}},
		Subqueue: []string{"per-mx: remotemx=#gsuite"},
	}
}

// The attempt log's encoder must give the same JSON document as
// encoding/json, which the replay reads.
func TestAttemptRecordEncoding(t *testing.T) {
	rec := sampleAttempt()
	fast, err := marshalAttempt(rec)
	if err != nil {
		t.Fatal(err)
	}
	std, err := stdjson.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := stdjson.Unmarshal(fast, &a); err != nil {
		t.Fatalf("attempt log line is not JSON: %v\n%s", err, fast)
	}
	stdjson.Unmarshal(std, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("encodings differ:\n%s\n%s", fast, std)
	}
}

func BenchmarkAttemptRecord(b *testing.B) {
	rec := sampleAttempt()
	b.Run("go-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			line, _ := marshalAttempt(rec)
			io.Discard.Write(line)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			line, _ := stdjson.Marshal(rec)
			io.Discard.Write(line)
		}
	})
}
