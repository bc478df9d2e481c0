package builtins

import (
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMIMESimpleText(t *testing.T) {
	out, err := runLibScript(t, `
		echo MIME()
			->addHeader("Subject", "Hello")
			->addHeader("From", "a@example.com")
			->setBody("line one\nline two")
			->toString();`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	want := "Subject: Hello\r\nFrom: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline one\r\nline two\n"
	if out != want {
		t.Errorf("output %q\nwant   %q", out, want)
	}
}

func TestMIMEMultipartParses(t *testing.T) {
	out, err := runLibScript(t, `
		$text = MIME()->setBody("Grüße aus Stockholm\n");
		$html = MIME()->setType("text/html")->setBody("<p>hi</p>");
		$alt = MIME()->setType("multipart/alternative")->appendPart($text)->appendPart($html);
		$file = MIME()->setType("application/octet-stream")->setFileName("résumé.bin")->setBody("\x00\x01\x02\xff");
		echo MIME()
			->addHeader("Subject", "Grüße")
			->setType("multipart/mixed")
			->setBoundary("outer-boundary")
			->appendPart($alt)
			->appendPart($file)
			->toString();`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	out = strings.TrimSuffix(out, "\n") // echo's newline

	msg, err := mail.ReadMessage(strings.NewReader(out))
	if err != nil {
		t.Fatalf("rendered message does not parse: %v\n%s", err, out)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Grüße" {
		t.Errorf("Subject decodes to %q, %v", subject, err)
	}
	if msg.Header.Get("MIME-Version") != "1.0" {
		t.Errorf("MIME-Version = %q", msg.Header.Get("MIME-Version"))
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/mixed" || params["boundary"] != "outer-boundary" {
		t.Fatalf("Content-Type = %q", msg.Header.Get("Content-Type"))
	}

	outer := multipart.NewReader(msg.Body, params["boundary"])
	alt, err := outer.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	altType, altParams, _ := mime.ParseMediaType(alt.Header.Get("Content-Type"))
	if altType != "multipart/alternative" || altParams["boundary"] == "" {
		t.Fatalf("first part Content-Type = %q", alt.Header.Get("Content-Type"))
	}
	if alt.Header.Get("MIME-Version") != "" {
		t.Error("a child part carries MIME-Version")
	}

	inner := multipart.NewReader(alt, altParams["boundary"])
	var bodies []string
	var types []string
	for {
		p, err := inner.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // multipart decodes quoted-printable itself
		bodies = append(bodies, string(body))
		types = append(types, p.Header.Get("Content-Type"))
	}
	if !reflect.DeepEqual(bodies, []string{"Grüße aus Stockholm\r\n", "<p>hi</p>"}) {
		t.Errorf("alternative bodies = %q", bodies)
	}
	if !reflect.DeepEqual(types, []string{"text/plain; charset=utf-8", "text/html; charset=utf-8"}) {
		t.Errorf("alternative types = %q", types)
	}

	file, err := outer.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if file.FileName() != "résumé.bin" {
		t.Errorf("file name = %q from %q", file.FileName(), file.Header.Get("Content-Disposition"))
	}
	if file.Header.Get("Content-Transfer-Encoding") != "base64" {
		t.Errorf("binary part encoding = %q", file.Header.Get("Content-Transfer-Encoding"))
	}
	if _, err := outer.NextPart(); err != io.EOF {
		t.Errorf("after the last part: %v", err)
	}
}

func TestMIMEBodyEncodings(t *testing.T) {
	long := strings.Repeat("x", 1000)
	cases := []struct {
		isText   bool
		body     string
		encoding string
	}{
		{true, "plain ascii\r\n", "7bit"},
		{true, "mostly ascii with ö", "quoted-printable"},
		{true, long, "quoted-printable"},
		{true, "ööööö", "base64"},
		{false, "bytes \x00 here", "base64"},
		{false, "ascii attachment", "7bit"},
	}
	for _, c := range cases {
		encoding, _ := encodeMIMEBody([]byte(c.body), c.isText)
		if encoding != c.encoding {
			t.Errorf("encodeMIMEBody(%.20q, text=%v) = %s, want %s", c.body, c.isText, encoding, c.encoding)
		}
	}

	_, encoded := encodeMIMEBody([]byte(strings.Repeat("\xff", 100)), false)
	for _, line := range strings.Split(strings.TrimSuffix(string(encoded), "\r\n"), "\r\n") {
		if len(line) > 76 {
			t.Errorf("base64 line of %d characters", len(line))
		}
	}
}

func TestMIMEHeadersAndErrors(t *testing.T) {
	runScriptCases(t, []scriptCase{
		// A Content-Type header replaces the generated one, a
		// Content-Transfer-Encoding header stops body encoding.
		{src: `echo MIME()->addHeader("Content-Type", "text/x-custom")->addHeader("Content-Transfer-Encoding", "8bit")->setBody("ö")->toString();`,
			want: "Content-Type: text/x-custom\r\nContent-Transfer-Encoding: 8bit\r\nMIME-Version: 1.0\r\n\r\nö\n"},
		{src: `echo MIME()->addHeader("X-Raw", "ö", ["encode" => false])->toString();`,
			want: "X-Raw: ö\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\n"},
		{src: `echo MIME()->setDate(0)->setDisposition("inline")->toString();`,
			want: "Date: " + time.Unix(0, 0).Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\n\r\n\n"},
		{src: `echo length(MIME()->setBody("abc")->toFile()->read());`, want: "65\n"},
		{src: `MIME()->addHeader("Bad Name", "x");`, err: `MIME->addHeader(): argument 1 (name) is not a valid header name: "Bad Name"`},
		{src: `MIME()->addHeader("X", "a\nb", ["encode" => false]);`, err: "value contains a line break"},
		{src: `MIME()->setType("nonsense");`, err: `argument 1 (type): invalid media type "nonsense"`},
		{src: `$m = MIME(); $m->appendPart($m);`, err: "would make a cycle"},
		{src: `MIME()->appendPart("text");`, err: "argument 1 (part) must be a MIME object, got string"},
		{src: `MIME()->queue("a@example.com", "b@example.com", "mx");`, err: "no queue attached"},
		{src: `MIME()->signDKIM("s", "example.com", "key");`, err: "not available"},
	})
}

// recordingMessageQueue is a MessageQueue that keeps what it is given.
type recordingMessageQueue struct{ messages []NewMessage }

func (q *recordingMessageQueue) QueueMessage(m NewMessage) (QueuedMessage, error) {
	q.messages = append(q.messages, m)
	return QueuedMessage{Transaction: "tx-1", Queue: len(q.messages)}, nil
}

func TestMIMEQueue(t *testing.T) {
	q := &recordingMessageQueue{}
	out, err := runLibScript(t, `
		echo MIME()->addHeader("Subject", "s")->setBody("b")->queue(
			["localpart" => "bounce list", "domain" => "example.com"], "rcpt@example.org", "mx",
			["metadata" => ["k" => "v", "n" => 1], "jobid" => "job", "quotas" => ["q1"], "hold" => true, "delay" => 60]);`,
		scriptRun{host: q})
	if err != nil {
		t.Fatal(err)
	}
	if out != "[\"transaction\"=>\"tx-1\",\"queue\"=>1]\n" {
		t.Errorf("output %q", out)
	}
	if len(q.messages) != 1 {
		t.Fatalf("queued %d messages", len(q.messages))
	}
	m := q.messages[0]
	data := string(m.Data)
	m.Data = nil
	want := NewMessage{
		Sender: `"bounce list"@example.com`, Recipient: "rcpt@example.org", TransportID: "mx",
		Metadata: map[string]string{"k": "v", "n": "1"}, JobID: "job", Quotas: []string{"q1"},
		Hold: true, Delay: time.Minute,
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("message = %+v\nwant %+v", m, want)
	}
	if !strings.HasPrefix(data, "Subject: s\r\nMIME-Version: 1.0\r\n") {
		t.Errorf("queued data = %q", data)
	}
}

func TestMailBuiltin(t *testing.T) {
	q := &recordingMessageQueue{}
	out, err := runLibScript(t, `
		echo mail("noreply@example.com", "user@example.org", "Grüße", "Hello\n", "mx",
			["sender_name" => "Service", "headers" => ["X-Tag" => "a"], "jobid" => "j1"]);
		stat("x", ["a" => 1]);`, scriptRun{host: q})
	if err != nil {
		t.Fatal(err)
	}
	if out != "tx-1\n" || len(q.messages) != 1 {
		t.Fatalf("output %q with %d messages queued", out, len(q.messages))
	}
	m := q.messages[0]
	if m.Sender != "noreply@example.com" || m.Recipient != "user@example.org" || m.TransportID != "mx" || m.JobID != "j1" {
		t.Errorf("envelope = %+v", m)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Grüße" || msg.Header.Get("From") != `"Service" <noreply@example.com>` || msg.Header.Get("X-Tag") != "a" {
		t.Errorf("headers = %v", msg.Header)
	}
	body, _ := io.ReadAll(msg.Body)
	if string(body) != "Hello\r\n" {
		t.Errorf("body = %q", body)
	}

	runScriptCases(t, []scriptCase{
		{src: `mail("a@x", "b@x", "s", "b", "mx");`, err: "mail(): no queue attached"},
		{src: `globalview("192.0.2.1");`, err: "globalview(): not available"},
	})
}
