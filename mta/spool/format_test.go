package spool

import (
	"errors"
	"testing"
)

// A log segment is zero-filled before use, so after a crash its records
// end in zeros: that is the clean end of the log, not damage.
func TestRecordsEndAtZeroFill(t *testing.T) {
	rec, err := encodeRecord(recordEnvelope, map[string]string{"sender": "a@b.test"})
	if err != nil {
		t.Fatal(err)
	}
	buf := append(append([]byte(nil), rec...), make([]byte, 4096)...)
	recs, err := readRecords(buf, 0)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	var torn *errTorn
	if !errors.As(err, &torn) || torn.offset != int64(len(rec)) {
		t.Errorf("error %v, want the end of the records at offset %d", err, len(rec))
	}

	// Garbage that is not zeros, followed by more data, is still damage.
	bad := append(append([]byte(nil), rec...), 1, 0, 0, 0, 9, 9, 9, 9, 1, 0)
	bad = append(bad, make([]byte, 64)...)
	if _, err := readRecords(bad, 0); err == nil || errors.As(err, &torn) {
		t.Errorf("bad record: error %v, want corruption", err)
	}
}
