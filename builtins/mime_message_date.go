package builtins

import (
	"bytes"
	"strings"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

// setDateLater marks a part's Date header to be filled in when the message
// is rendered. The host renders a message when it queues or delivers it,
// so the rendered date is the time of delivery, read from the script clock
// (vm.Now) so that hook tests with a simulated clock see it too.

// dateLayout is the RFC 5322 date-time format of the Date header.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// renderStructure renders the working copy without the modifyContent
// edits, with setDateLater's Date fields set to the current time.
func (msg *mailMessage) renderStructure() []byte {
	var b bytes.Buffer
	msg.work.render(&b, vm.Now())
	return b.Bytes()
}

// partSetDateLater replaces the part's Date fields, or adds one at the top
// when there is none, with a field whose value is the time the message is
// rendered. It returns how many fields it replaced or added.
func partSetDateLater(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	field := mailField{name: "Date", dateLater: true}

	changed := 0
	for i, f := range n.fields {
		if strings.EqualFold(f.name, "Date") {
			n.fields[i] = field
			changed++
		}
	}
	if changed == 0 {
		n.fields = append([]mailField{field}, n.fields...)
		changed = 1
	}
	return vm.Int(changed), nil
}

// renderField writes one header field; a setDateLater field gets now.
func renderField(b *bytes.Buffer, f mailField, now time.Time) {
	b.WriteString(f.name)
	b.WriteString(":")
	if f.dateLater {
		b.WriteString(" " + now.Format(dateLayout))
	} else {
		b.WriteString(f.raw)
	}
	b.WriteString("\r\n")
}
