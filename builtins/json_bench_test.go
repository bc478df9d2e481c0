package builtins

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchJSONDocument returns a JSON document of about size bytes shaped
// like API responses scripts decode: a list of records with string,
// number, boolean, null and nested list fields, some strings escaped.
func benchJSONDocument(size int) string {
	var b strings.Builder
	b.WriteString(`{"status":"ok","count":0,"items":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"host-%d.example.com","score":%g,"active":%t,`+
			`"tags":["mx","relay","tier-%d"],"note":"line one\nline \"two\" caf\u00e9","owner":null,`+
			`"limits":{"rate":%d,"burst":%d,"window":60.5}}`,
			i, i, float64(i)*1.25, i%2 == 0, i%4, 100+i, i*3)
	}
	b.WriteString(`]}`)
	return b.String()
}

func BenchmarkJSONDecode(b *testing.B) {
	doc := benchJSONDocument(100 << 10)
	b.SetBytes(int64(len(doc)))
	b.Run("halonsh", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, ok := decodeJSON(doc, false); !ok {
				b.Fatal("decode failed")
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		data := []byte(doc)
		for b.Loop() {
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestBenchJSONDocumentDecodes(t *testing.T) {
	doc := benchJSONDocument(100 << 10)
	if len(doc) < 100<<10 {
		t.Fatalf("document is %d bytes, want at least 100 KiB", len(doc))
	}
	if _, ok := decodeJSON(doc, false); !ok {
		t.Fatal("the benchmark document does not decode")
	}
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("encoding/json rejects the benchmark document: %v", err)
	}
}
