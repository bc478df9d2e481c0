package builtins

import (
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

// contentMessage is "Subject: a\r\n\r\nbody\r\n": the body starts at byte
// 14 of the rendered message.
const contentMessage = `$m = MailMessage::String("Subject: a\r\n\r\nbody\r\n");`

func TestMailMessageModifyContent(t *testing.T) {
	runScriptCases(t, []scriptCase{
		// Offsets count in the structural render, so the second call's
		// offset is not shifted by the first call's shorter text.
		{src: contentMessage + `echo $m->modifyContent(0, 7, "Topic")->modifyContent(14, 4, "BODY") === $m; echo $m->toString();`,
			want: "true\nTopic: a\r\n\r\nBODY\r\n\n"},
		{src: contentMessage + `$m->modifyContent(14, 4, "BODY"); $m->modifyContent(0, 7, "Topic"); echo $m->toFile()->read();`,
			want: "Topic: a\r\n\r\nBODY\r\n\n"},

		// Insertions at one offset apply in call order, before a
		// replacement starting there.
		{src: contentMessage + `$m->modifyContent(0, 7, "Topic"); $m->modifyContent(0, 0, "X-A: 1\r\n"); $m->modifyContent(0, 0, "X-B: 2\r\n"); echo $m->toString();`,
			want: "X-A: 1\r\nX-B: 2\r\nTopic: a\r\n\r\nbody\r\n\n"},
		{src: contentMessage + `$m->modifyContent(20, 0, "end\r\n"); $m->modifyContent(14, 6, ""); echo $m->toString();`,
			want: "Subject: a\r\n\r\nend\r\n\n"},

		// Invalid ranges.
		{src: contentMessage + `$m->modifyContent(0, 5, "x"); $m->modifyContent(3, 2, "y");`, err: "modifyContent(): range 3+2 overlaps the earlier modifyContent range 0+5"},
		{src: contentMessage + `$m->modifyContent(0, 5, "x"); $m->modifyContent(2, 0, "y");`, err: "overlaps the earlier modifyContent range 0+5"},
		{src: contentMessage + `$m->modifyContent(21, 0, "x");`, err: "argument 1 (start) must be between 0 and the message size 20, got 21"},
		{src: contentMessage + `$m->modifyContent(-1, 0, "x");`, err: "argument 1 (start) must be between 0"},
		{src: contentMessage + `$m->modifyContent(18, 3, "x");`, err: "argument 2 (count) must be between 0 and 2 (the bytes after start), got 3"},
		{src: contentMessage + `$m->modifyContent(0, 1, []);`, err: "argument 3 (data) must be a string"},

		// Structural edits are rejected while byte edits are pending.
		{src: contentMessage + `$m->modifyContent(0, 0, "x"); $m->setHeader("Subject", "b");`, err: "cannot edit the message structure after modifyContent(); call reset() or restore() first"},
		{src: contentMessage + `$m->modifyContent(0, 0, "x"); $m->getParts(); echo $m->getHeader("subject");`, want: "a\n"},

		// reset drops byte edits and counts them.
		{src: contentMessage + `$m->setHeader("Subject", "b"); $m->modifyContent(0, 0, "X: 1\r\n"); echo $m->reset(); echo $m->toString(); $m->setHeader("Subject", "c"); echo $m->getSize();`,
			want: "2\nSubject: a\r\n\r\nbody\r\n\n20\n"},

		// snapshot and restore carry the byte edits with the structure.
		{src: contentMessage + `$before = $m->snapshot(); $m->modifyContent(0, 7, "Topic"); $after = $m->snapshot(); $m->modifyContent(14, 4, "BODY");
			echo $m->restore($after); echo $m->toString();
			echo $m->restore($before); echo $m->toString(); $m->setHeader("Subject", "b"); echo $m->toString();`,
			want: "true\nTopic: a\r\n\r\nbody\r\n\ntrue\nSubject: a\r\n\r\nbody\r\n\nSubject: b\r\n\r\nbody\r\n\n"},
	})
}

func TestMailMessageBytesAppliesContentEdits(t *testing.T) {
	var got []byte
	lib := vm.NewLibrary()
	Install(lib)
	lib.Define("keep", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		data, ok := MailMessageBytes(args[0])
		if !ok {
			return vm.None, c.Errorf("not a MailMessage")
		}
		got = data
		return vm.None, nil
	})
	runWithLibrary(t, lib, contentMessage+`$m->modifyContent(14, 4, "BODY"); keep($m);`)
	if want := "Subject: a\r\n\r\nBODY\r\n"; string(got) != want {
		t.Errorf("MailMessageBytes = %q, want %q", got, want)
	}
}

func TestMailMessageQueueAppliesContentEdits(t *testing.T) {
	q := &recordingMessageQueue{}
	_, err := runLibScript(t, contentMessage+`$m->modifyContent(14, 4, "BODY"); $m->queue("a@example.com", "b@example.org", "mx");`, scriptRun{host: q})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.messages) != 1 {
		t.Fatalf("queued %d messages, want 1", len(q.messages))
	}
	if want := "Subject: a\r\n\r\nBODY\r\n"; string(q.messages[0].Data) != want {
		t.Errorf("queued data = %q, want %q", q.messages[0].Data, want)
	}
}
