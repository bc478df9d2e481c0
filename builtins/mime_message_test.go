package builtins

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// testMessage is a multipart message with a text part, an HTML part and
// an attachment, with LF line ends as files on disk often have.
const testMessage = `From: =?utf-8?q?J=C3=B6rg?= <jorg@example.com>
To: a@example.com,
 b@example.com
Subject: Report
Received: from a
Received: from b
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

preamble text
--b1
Content-Type: multipart/alternative; boundary=b2

--b2
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe
--b2
Content-Type: text/html

<p>hi</p>
--b2--
--b1
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

aGVsbG8=
--b1--
epilogue
`

func TestMailMessageRead(t *testing.T) {
	src := `$m = MailMessage::String(` + hslString(testMessage) + `);
		echo $m->getHeader("from");
		echo $m->getHeader("TO");
		echo $m->getHeader("received", ["index" => 1]);
		echo $m->getHeader("subject", ["field" => true]);
		echo $m->getHeaders("received");
		echo $m->getHeader("missing") === none ? "none" : "value";
		echo $m->getHeaderNames();
		echo $m->getType() . " " . $m->getTypeParameter("boundary") . " " . $m->getID();
		echo $m->getPreamble();
		echo length($m->getParts());
		$alt = $m->getParts()[0];
		echo $alt->getID() . " " . $alt->getType();
		$text = $alt->getParts()[0];
		echo $text->getID() . " " . $text->getBody();
		echo $text->getBody(["decode" => false]);
		$pdf = $m->getByID("2");
		echo $pdf->getFileName() . " " . $pdf->getBody();
		echo length($m->findByType("^text/")) . " " . length($m->findByType(#/html/)) . " " . length($m->findByFileName("[.]pdf$"));
		echo $m->getByID("1.2")->getBody();
		echo $m->getByID("9") === none ? "none" : "value";
		echo $m->getErrors();
		echo $m->toString() === ` + hslString(strings.ReplaceAll(testMessage, "\n", "\r\n")) + ` ? "round trip" : "changed";
	`
	out, err := runLibScript(t, src, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"Jörg <jorg@example.com>",
		"a@example.com, b@example.com",
		"from b",
		"Subject: Report",
		`[0=>"from a",1=>"from b"]`,
		"none",
		`[0=>"from",1=>"to",2=>"subject",3=>"received",4=>"received",5=>"mime-version",6=>"content-type"]`,
		"multipart/mixed b1 0",
		"preamble text",
		"2",
		"1 multipart/alternative",
		"1.1 Grüße",
		"Gr=C3=BC=C3=9Fe",
		"résumé.pdf hello",
		"2 1 1",
		"<p>hi</p>",
		"none",
		"[]",
		"round trip",
	}, "\n") + "\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestMailMessageEdits(t *testing.T) {
	src := `$m = MailMessage::String(` + hslString(testMessage) + `);
		echo $m->setHeader("Subject", "Änderung");
		echo $m->getHeader("subject");
		$m->addHeader("X-Scanned", "yes");
		echo $m->delHeader("received", ["index" => 0]);
		echo $m->renameHeader("to", "X-Original-To");
		$m->getByID("2")->remove();
		$m->getByID("1.1")->setBody("new text");
		$m->appendPart(MIME()->setType("text/x-note")->setBody("note"));
		$out = $m->toString();
		echo str_find($out, "X-Scanned: yes\r\nFrom:") == 0 ? "added at top" : "missing";
		echo str_find($out, "=?utf-8?q?=C3=84nderung?=") >= 0 ? "encoded subject" : "raw subject";
		echo str_find($out, "report.pdf") < 0 ? "attachment removed" : "attachment kept";
		echo str_find($out, "new text") >= 0 ? "body replaced" : "body kept";
		echo str_find($out, "Content-Type: text/x-note") >= 0 ? "part appended" : "no part";
		$again = MailMessage::String($out);
		echo length($again->getParts()) . " " . $again->getByID("1.1")->getBody() . " " . $again->getByID("2")->getBody();
		echo $again->getHeader("x-original-to");
		$snap = $m->snapshot();
		$m->delHeader("x-scanned");
		echo $m->restore($snap) ? "restored" : "no snapshot";
		echo str_find($m->toString(), "X-Scanned") >= 0 ? "has header" : "lost header";
		echo $m->restore(99) ? "restored" : "no snapshot";
		echo $m->reset() > 0 ? "reset" : "nothing";
		echo $m->toString() === ` + hslString(strings.ReplaceAll(testMessage, "\n", "\r\n")) + ` ? "original" : "still edited";
	`
	out, err := runLibScript(t, src, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"1",
		"Report", // get methods see the parsed message
		"1",
		"1",
		"added at top",
		"encoded subject",
		"attachment removed",
		"body replaced",
		"part appended",
		"2 new text note",
		"a@example.com, b@example.com",
		"restored",
		"has header",
		"no snapshot",
		"reset",
		"original",
	}, "\n") + "\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestMailMessageSinglePart(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `$m = MailMessage::String("Subject: x\r\n\r\nbody"); echo $m->getType() . " " . $m->getBody(); echo $m->getPreamble() === none ? "none" : "value";`, want: "text/plain body\nnone\n"},
		{src: `$m = MailMessage::String("Subject: x\r\n\r\nbody"); $m->appendPart(MIME()->setBody("second")); $again = MailMessage::String($m->toString()); echo $again->getType() . " " . length($again->getParts()) . " " . $again->getByID("1")->getBody() . " " . $again->getByID("1")->getType();`,
			want: "multipart/mixed 2 body text/plain\n"},
		{src: `$m = MailMessage::String("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nunclosed"); echo $m->getErrors(); echo length($m->getParts());`, want: "[0=>\"unclosed_boundary\"]\n1\n"},
		{src: `$m = MailMessage::String("Bad header line\r\nSubject: ok\r\n\r\n"); echo $m->getErrors(); echo $m->getHeader("subject");`, want: "[0=>\"bad_header\"]\nok\n"},
		{src: `echo MailMessage::File(File::String("Subject: from file\r\n\r\n"))->getHeader("subject");`, want: "from file\n"},
		{src: `MailMessage::String("S: x\r\n\r\n")->remove();`, err: "cannot remove the message itself"},
		{src: `MailMessage::String("S: x\r\n\r\n")->appendPart("x");`, err: "argument 1 (part) must be a MIME or MIMEPart object, got string"},
		{src: `MailMessage::String("S: x\r\n\r\n")->signDKIM("s", "d", "k");`, err: "not available"},
	})
}

func TestMailNodeRoundTrip(t *testing.T) {
	inputs := []string{
		strings.ReplaceAll(testMessage, "\n", "\r\n"),
		"Subject: no body\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\none\r\n--x--",
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/related; boundary=y\r\n\r\n--y\r\n\r\ninner\r\n--y--\r\n--x--\r\ntrailer\r\n",
	}
	for _, in := range inputs {
		var b bytes.Buffer
		parseMailMessage([]byte(in)).render(&b, time.Now())
		if b.String() != in {
			t.Errorf("round trip of %q gave %q", in, b.String())
		}
	}
}
