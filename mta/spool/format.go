package spool

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The layout of a message file; the package documentation describes it.
const (
	fileMagic     = "HLSP"
	formatVersion = 1
	headerSize    = 32

	recordHeaderSize = 9 // length, CRC, type
	// maxRecordSize bounds a record's payload so that a corrupt length
	// cannot make recovery allocate gigabytes.
	maxRecordSize = 16 << 20
)

// Record types.
const (
	recordEnvelope  byte = 1
	recordRecipient byte = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a file that fails its format or checksum checks.
var errCorrupt = errors.New("corrupt message file")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
}

func crcOf(b []byte) uint32 {
	return crc32.Checksum(b, castagnoli)
}

// encodeHeader returns the fixed file header for data of the given length
// and CRC-32C.
func encodeHeader(dataLen int64, dataCRC uint32) []byte {
	h := make([]byte, headerSize)
	copy(h[0:4], fileMagic)
	binary.LittleEndian.PutUint16(h[4:6], formatVersion)
	binary.LittleEndian.PutUint64(h[8:16], uint64(dataLen))
	binary.LittleEndian.PutUint32(h[16:20], dataCRC)
	binary.LittleEndian.PutUint32(h[24:28], crc32.Checksum(h[0:24], castagnoli))
	return h
}

// parseHeader checks a file header and returns the data length and CRC.
func parseHeader(h []byte) (dataLen int64, dataCRC uint32, err error) {
	if len(h) < headerSize {
		return 0, 0, corruptf("header is %d bytes, want %d", len(h), headerSize)
	}
	if string(h[0:4]) != fileMagic {
		return 0, 0, corruptf("bad magic %q", h[0:4])
	}
	if got, want := binary.LittleEndian.Uint32(h[24:28]), crc32.Checksum(h[0:24], castagnoli); got != want {
		return 0, 0, corruptf("header checksum %08x, want %08x", got, want)
	}
	if v := binary.LittleEndian.Uint16(h[4:6]); v != formatVersion {
		return 0, 0, corruptf("format version %d, want %d", v, formatVersion)
	}
	n := binary.LittleEndian.Uint64(h[8:16])
	if n > 1<<50 {
		return 0, 0, corruptf("data length %d", n)
	}
	return int64(n), binary.LittleEndian.Uint32(h[16:20]), nil
}

// encodeRecord returns one record of the log that follows the data.
func encodeRecord(typ byte, v any) ([]byte, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(payload) > maxRecordSize {
		return nil, fmt.Errorf("spool record is %d bytes, over the %d byte limit", len(payload), maxRecordSize)
	}

	rec := make([]byte, recordHeaderSize+len(payload))
	binary.LittleEndian.PutUint32(rec[0:4], uint32(len(payload)))
	rec[8] = typ
	copy(rec[recordHeaderSize:], payload)
	binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(rec[8:], castagnoli))
	return rec, nil
}

// record is one decoded entry of the log.
type record struct {
	typ     byte
	payload []byte
}

// errTorn reports a record cut short at the end of the file: an update
// whose write was interrupted by a crash and was never acknowledged.
type errTorn struct {
	offset int64 // file offset of the torn record
	reason string
}

func (e *errTorn) Error() string {
	return fmt.Sprintf("torn record at offset %d: %s", e.offset, e.reason)
}

// readRecords decodes the log in buf, which starts at file offset base. A
// bad last record is returned as *errTorn together with the records before
// it; a bad record with more bytes after it is corruption.
func readRecords(buf []byte, base int64) ([]record, error) {
	var recs []record
	off := 0
	for off < len(buf) {
		rest := buf[off:]
		if len(rest) < recordHeaderSize {
			return recs, &errTorn{base + int64(off), "short record header"}
		}

		// A log segment is filled with zeros before use, so a header of
		// zeros is where its records end; no record has type 0.
		if allZero(rest[:recordHeaderSize]) {
			return recs, &errTorn{base + int64(off), "end of the records"}
		}
		n := binary.LittleEndian.Uint32(rest[0:4])
		if n > maxRecordSize {
			return recs, corruptf("record at offset %d has length %d", base+int64(off), n)
		}
		end := recordHeaderSize + int(n)
		if end > len(rest) {
			return recs, &errTorn{base + int64(off), "record runs past the end of the file"}
		}

		if got, want := binary.LittleEndian.Uint32(rest[4:8]), crc32.Checksum(rest[8:end], castagnoli); got != want {
			if end == len(rest) {
				return recs, &errTorn{base + int64(off), "checksum mismatch in the last record"}
			}
			return recs, corruptf("record at offset %d: checksum %08x, want %08x", base+int64(off), got, want)
		}

		recs = append(recs, record{typ: rest[8], payload: rest[recordHeaderSize:end]})
		off += end
	}
	return recs, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// replay builds the current message state from the records of a file.
func replay(recs []record) (*Message, error) {
	if len(recs) == 0 || recs[0].typ != recordEnvelope {
		return nil, corruptf("missing envelope record")
	}

	var m Message
	if err := json.Unmarshal(recs[0].payload, &m); err != nil {
		return nil, corruptf("envelope record: %v", err)
	}
	for i := range m.Recipients {
		if m.Recipients[i].Queue != i {
			return nil, corruptf("envelope recipient %d has queue number %d", i, m.Recipients[i].Queue)
		}
	}

	for _, rec := range recs[1:] {
		if rec.typ != recordRecipient {
			return nil, corruptf("unknown record type %d", rec.typ)
		}
		var r Recipient
		if err := json.Unmarshal(rec.payload, &r); err != nil {
			return nil, corruptf("recipient record: %v", err)
		}
		if r.Queue < 0 || r.Queue >= len(m.Recipients) {
			return nil, corruptf("recipient record for queue number %d of %d", r.Queue, len(m.Recipients))
		}
		m.Recipients[r.Queue] = r
	}
	return &m, nil
}

// crcWriter computes the CRC-32C and length of what passes through it.
type crcWriter struct {
	w   io.Writer
	crc uint32
	n   int64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	c.n += int64(n)
	return n, err
}
