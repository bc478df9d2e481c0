package builtins

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/halonsh/halonsh/lang/vm"
)

// MIMEClass is the MIME builder: scripts assemble a message or a part of
// one and render it with toString() or toFile().
var MIMEClass = &vm.Class{Name: "MIME"}

func init() {
	MIMEClass.New = builtinMIMENew
	MIMEClass.Methods = map[string]vm.MethodFunc{
		"addHeader":      mimeMethod(mimeAddHeader),
		"appendPart":     mimeMethod(mimeAppendPart),
		"setBody":        mimeMethod(mimeSetBody),
		"setType":        mimeMethod(mimeSetType),
		"setBoundary":    mimeMethod(mimeSetBoundary),
		"setDate":        mimeMethod(mimeSetDate),
		"setFileName":    mimeMethod(mimeSetFileName),
		"setDisposition": mimeMethod(mimeSetDisposition),
		"toString":       mimeMethod(mimeToString),
		"toFile":         mimeMethod(mimeToFile),
		"queue":          mimeMethod(mimeQueue),
		"signDKIM":       mimeNotAvailable,
		"send":           mimeNotAvailable,
	}
	registerClass(MIMEClass)
}

// mimePart is the native state of a MIME object.
type mimePart struct {
	headers     []mimeHeader
	body        []byte
	contentType string // "" means text/plain
	boundary    string // "" means a UUID chosen at render time
	filename    string
	disposition string
	parts       []*mimePart
}

// mimeHeader is a header as it will be written, value already encoded.
type mimeHeader struct {
	name, value string
}

func builtinMIMENew(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.ObjectValue(vm.NewObject(MIMEClass, &mimePart{})), nil
}

func mimeMethod(fn func(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error)) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		return fn(c, this, this.Native.(*mimePart), args)
	}
}

func mimeNotAvailable(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	// NOTE: DKIM signing and direct SMTP delivery of MIME objects are not
	// implemented; scripts queue the message instead.
	return vm.None, c.Errorf("not available")
}

// isHeaderName reports whether name is a valid header field name: printable
// ASCII without ':' or space (RFC 5322 section 3.6.8).
func isHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// encodeHeaderValue prepares a header value for writing. With encode,
// non-ASCII text becomes RFC 2047 encoded words and long values are folded
// at spaces. Without it, only line breaks are checked.
func encodeHeaderValue(name, value string, encode bool) (string, error) {
	if !encode {
		if strings.ContainsAny(value, "\r\n") && !isFoldedValue(value) {
			return "", fmt.Errorf("header %s: value contains a line break that is not folding", name)
		}
		return value, nil
	}
	value = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(value)
	if !isASCII(value) {
		value = mime.QEncoding.Encode("utf-8", value)
	}
	return foldHeader(len(name)+2, value), nil
}

// isFoldedValue reports whether every line break in value is a CRLF
// followed by a space or a tab.
func isFoldedValue(value string) bool {
	for i := 0; i < len(value); i++ {
		switch value[i] {
		case '\r':
			if i+2 >= len(value) || value[i+1] != '\n' || (value[i+2] != ' ' && value[i+2] != '\t') {
				return false
			}
			i++
		case '\n':
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// foldHeader breaks value at spaces so that lines stay within 78
// characters where the words allow it. used is the length of "Name: ".
func foldHeader(used int, value string) string {
	var b strings.Builder
	lineLen := used
	for i, word := range strings.Split(value, " ") {
		if i > 0 {
			if lineLen+1+len(word) > 78 && lineLen > 1 {
				b.WriteString("\r\n ")
				lineLen = 1
			} else {
				b.WriteByte(' ')
				lineLen++
			}
		}
		b.WriteString(word)
		lineLen += len(word)
	}
	return b.String()
}

func (p *mimePart) hasHeader(name string) bool {
	for _, h := range p.headers {
		if strings.EqualFold(h.name, name) {
			return true
		}
	}
	return false
}

// mimeAddHeader is ->addHeader(name, value [, options]) with option encode
// (true).
func mimeAddHeader(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	name, err := a.str(0, "name")
	if err != nil {
		return vm.None, err
	}
	value, err := a.str(1, "value")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(2)
	if err != nil {
		return vm.None, err
	}
	encode, err := opts.boolean("encode", true)
	if err != nil {
		return vm.None, err
	}
	if !isHeaderName(name) {
		return vm.None, c.Errorf("argument 1 (name) is not a valid header name: %q", name)
	}
	value, err = encodeHeaderValue(name, value, encode)
	if err != nil {
		return vm.None, c.Errorf("%v", err)
	}
	p.headers = append(p.headers, mimeHeader{name, value})
	return vm.ObjectValue(this), nil
}

// contains reports whether part is p or one of its descendants.
func (p *mimePart) contains(part *mimePart) bool {
	if p == part {
		return true
	}
	for _, child := range p.parts {
		if child.contains(part) {
			return true
		}
	}
	return false
}

func mimeAppendPart(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	obj, err := c.ObjectArg(args, 0, "part", MIMEClass)
	if err != nil {
		return vm.None, err
	}
	part := obj.Native.(*mimePart)
	if part.contains(p) {
		return vm.None, c.Errorf("argument 1 (part) contains this part, which would make a cycle")
	}
	p.parts = append(p.parts, part)
	return vm.ObjectValue(this), nil
}

func mimeSetBody(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	body, err := newLibArgs(c, args).str(0, "body")
	if err != nil {
		return vm.None, err
	}
	p.body = []byte(body)
	return vm.ObjectValue(this), nil
}

// mimeStringSetter builds a method that stores one string argument.
func mimeStringSetter(param string, check func(string) error, set func(p *mimePart, s string)) func(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	return func(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		s, err := newLibArgs(c, args).str(0, param)
		if err != nil {
			return vm.None, err
		}
		if check != nil {
			if err := check(s); err != nil {
				return vm.None, c.Errorf("argument 1 (%s): %v", param, err)
			}
		}
		set(p, s)
		return vm.ObjectValue(this), nil
	}
}

var (
	mimeSetType = mimeStringSetter("type", func(s string) error {
		if _, _, err := mime.ParseMediaType(s); err != nil || !strings.Contains(s, "/") {
			return fmt.Errorf("invalid media type %q", s)
		}
		return nil
	}, func(p *mimePart, s string) { p.contentType = s })

	mimeSetBoundary = mimeStringSetter("boundary", func(s string) error {
		if s == "" || len(s) > 70 || strings.ContainsAny(s, "\r\n\"") {
			return fmt.Errorf("invalid boundary %q", s)
		}
		return nil
	}, func(p *mimePart, s string) { p.boundary = s })

	mimeSetFileName = mimeStringSetter("filename", nil, func(p *mimePart, s string) { p.filename = s })

	mimeSetDisposition = mimeStringSetter("type", func(s string) error {
		if !isHeaderName(s) {
			return fmt.Errorf("invalid disposition %q", s)
		}
		return nil
	}, func(p *mimePart, s string) { p.disposition = s })
)

// mimeSetDate is ->setDate([timestamp]): a Date header for the given Unix
// time, or now.
func mimeSetDate(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 1); err != nil {
		return vm.None, err
	}
	when := time.Now()
	if a := newLibArgs(c, args); a.has(0) {
		seconds, err := a.num(0, "timestamp")
		if err != nil {
			return vm.None, err
		}
		when = time.Unix(0, int64(seconds*float64(time.Second)))
	}
	p.headers = append(p.headers, mimeHeader{"Date", when.Format(time.RFC1123Z)})
	return vm.ObjectValue(this), nil
}

func mimeToString(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	var b bytes.Buffer
	p.render(&b, true)
	return vm.Bytes(b.Bytes()), nil
}

func mimeToFile(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	var b bytes.Buffer
	p.render(&b, true)
	return NewFileFromBytes(b.Bytes()), nil
}

// render writes the part with CRLF line ends; the root part gets
// MIME-Version.
func (p *mimePart) render(b *bytes.Buffer, root bool) {
	for _, h := range p.headers {
		b.WriteString(h.name + ": " + h.value + "\r\n")
	}
	if root && !p.hasHeader("MIME-Version") {
		b.WriteString("MIME-Version: 1.0\r\n")
	}

	boundary := p.boundary
	if len(p.parts) > 0 && boundary == "" {
		boundary = uuid.NewString()
	}
	if !p.hasHeader("Content-Type") {
		b.WriteString("Content-Type: " + p.mediaType(boundary) + "\r\n")
	}
	if p.filename != "" || p.disposition != "" {
		if !p.hasHeader("Content-Disposition") {
			b.WriteString("Content-Disposition: " + p.dispositionValue() + "\r\n")
		}
	}

	body := p.body
	if !p.hasHeader("Content-Transfer-Encoding") {
		encoding, encoded := encodeMIMEBody(p.body, strings.HasPrefix(p.baseType(), "text/"))
		if encoding != "7bit" {
			b.WriteString("Content-Transfer-Encoding: " + encoding + "\r\n")
		}
		body = encoded
	}
	b.WriteString("\r\n")
	b.Write(body)

	if len(p.parts) == 0 {
		return
	}
	// Each delimiter is CRLF "--" boundary (RFC 2046 section 5.1.1), so a
	// part's own final line break survives. Only a delimiter right after
	// the header block may drop its CRLF, which the blank line provides.
	for i, part := range p.parts {
		if i > 0 || len(body) > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("--" + boundary + "\r\n")
		part.render(b, false)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
}

func (p *mimePart) baseType() string {
	if p.contentType == "" {
		return "text/plain"
	}
	t, _, _ := mime.ParseMediaType(p.contentType)
	return t
}

// mediaType returns the Content-Type value: text types get charset=utf-8
// and parts with children get the boundary.
func (p *mimePart) mediaType(boundary string) string {
	value := p.contentType
	if value == "" {
		value = "text/plain"
	}
	t, params, err := mime.ParseMediaType(value)
	if err != nil {
		return value
	}
	if strings.HasPrefix(t, "text/") {
		if _, ok := params["charset"]; !ok {
			params["charset"] = "utf-8"
		}
	}
	if boundary != "" {
		params["boundary"] = boundary
	}
	return mime.FormatMediaType(t, params)
}

// dispositionValue returns the Content-Disposition value. The filename
// is written with RFC 2231 encoding when it needs it.
func (p *mimePart) dispositionValue() string {
	disposition := p.disposition
	if disposition == "" {
		disposition = "attachment"
	}
	if p.filename == "" {
		return disposition
	}
	if v := mime.FormatMediaType(disposition, map[string]string{"filename": p.filename}); v != "" {
		return v
	}
	return disposition
}

// encodeMIMEBody chooses a transfer encoding and returns the encoded body:
// 7bit for ASCII text whose lines fit in 998 bytes (line ends made CRLF),
// quoted-printable for text types that are mostly ASCII, base64 otherwise.
func encodeMIMEBody(body []byte, isText bool) (string, []byte) {
	if fitsSevenBit(body) {
		return "7bit", toCRLF(body)
	}

	nonASCII := 0
	for _, c := range body {
		if c >= 0x80 || c == 0 {
			nonASCII++
		}
	}
	if isText && nonASCII*4 <= len(body) {
		var b bytes.Buffer
		w := quotedprintable.NewWriter(&b)
		w.Write(body)
		w.Close()
		return "quoted-printable", b.Bytes()
	}

	encoded := base64.StdEncoding.EncodeToString(body)
	var b bytes.Buffer
	for len(encoded) > 76 {
		b.WriteString(encoded[:76] + "\r\n")
		encoded = encoded[76:]
	}
	if encoded != "" {
		b.WriteString(encoded + "\r\n")
	}
	return "base64", b.Bytes()
}

// fitsSevenBit reports whether body is ASCII without NUL and with lines of
// at most 998 bytes.
func fitsSevenBit(body []byte) bool {
	lineLen := 0
	for _, c := range body {
		switch {
		case c == 0 || c >= 0x80:
			return false
		case c == '\n':
			lineLen = 0
		case c != '\r':
			lineLen++
			if lineLen > 998 {
				return false
			}
		}
	}
	return true
}

// toCRLF turns bare LF and bare CR line ends into CRLF.
func toCRLF(body []byte) []byte {
	var b bytes.Buffer
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\r' && i+1 < len(body) && body[i+1] == '\n':
			b.WriteString("\r\n")
			i++
		case c == '\r' || c == '\n':
			b.WriteString("\r\n")
		default:
			b.WriteByte(c)
		}
	}
	return b.Bytes()
}

// MessageQueue is implemented by hosts that can queue a new message, for
// MIME's queue() method. Hosts attach it like a QueueHost: the Host value
// implements it, or implements MessageQueueProvider.
type MessageQueue interface {
	QueueMessage(m NewMessage) (QueuedMessage, error)
}

// MessageQueueProvider is implemented by host values that carry a message
// queue among other things.
type MessageQueueProvider interface {
	MessageQueue() MessageQueue
}

// NewMessage is a rendered message to queue for one recipient.
type NewMessage struct {
	Sender      string // envelope address, "" for the null sender
	Recipient   string
	TransportID string
	Data        []byte
	Metadata    map[string]string
	JobID       string
	TenantID    string
	Quotas      []string
	Hold        bool
	Delay       time.Duration
}

// QueuedMessage identifies the queued message.
type QueuedMessage struct {
	Transaction string
	Queue       int
}

func messageQueue(c *vm.Call) (MessageQueue, error) {
	switch h := c.Host().(type) {
	case MessageQueue:
		return h, nil
	case MessageQueueProvider:
		if q := h.MessageQueue(); q != nil {
			return q, nil
		}
	}
	return nil, c.Errorf("no queue attached")
}

// envelopeArg reads an address given as a string or as a
// ["localpart" => ..., "domain" => ...] array.
func envelopeArg(c *vm.Call, args []vm.Value, i int, param string) (string, error) {
	v := args[i]
	if v.Kind() != vm.KindArray {
		return newLibArgs(c, args).str(i, param)
	}
	fields := nestedOptions(c, v.Array(), param)
	local, _, err := fields.str("localpart", "")
	if err != nil {
		return "", err
	}
	domain, _, err := fields.str("domain", "")
	if err != nil {
		return "", err
	}
	if domain == "" {
		return escapeLocalpart(local), nil
	}
	return escapeLocalpart(local) + "@" + domain, nil
}

// mimeQueue is ->queue(sender, recipient, transportid [, options]).
func mimeQueue(c *vm.Call, this *vm.Object, p *mimePart, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 4); err != nil {
		return vm.None, err
	}
	var b bytes.Buffer
	p.render(&b, true)
	return queueRendered(c, args, b.Bytes())
}

// queueRendered queues data with the arguments of queue(): sender,
// recipient, transportid and options.
func queueRendered(c *vm.Call, args []vm.Value, data []byte) (vm.Value, error) {
	msg := NewMessage{Data: data}
	var err error
	if msg.Sender, err = envelopeArg(c, args, 0, "sender"); err != nil {
		return vm.None, err
	}
	if msg.Recipient, err = envelopeArg(c, args, 1, "recipient"); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	if msg.TransportID, err = a.str(2, "transportid"); err != nil {
		return vm.None, err
	}
	opts, err := a.options(3)
	if err != nil {
		return vm.None, err
	}
	if err := readQueueMessageOptions(c, opts, &msg); err != nil {
		return vm.None, err
	}

	host, err := messageQueue(c)
	if err != nil {
		return vm.None, err
	}
	queued, err := host.QueueMessage(msg)
	if err != nil {
		return vm.None, c.Errorf("queueing failed: %v", err)
	}
	out := vm.NewArray(2)
	out.SetStr("transaction", vm.String(queued.Transaction))
	out.SetStr("queue", vm.Int(queued.Queue))
	return vm.ArrayValue(out), nil
}

func readQueueMessageOptions(c *vm.Call, opts libOptions, msg *NewMessage) error {
	var err error
	if msg.JobID, _, err = opts.str("jobid", ""); err != nil {
		return err
	}
	if msg.TenantID, _, err = opts.str("tenantid", ""); err != nil {
		return err
	}
	if msg.Hold, err = opts.boolean("hold", false); err != nil {
		return err
	}
	delay, _, err := opts.num("delay", 0)
	if err != nil {
		return err
	}
	if delay < 0 || delay > maxQueueTTL.Seconds() {
		return c.Errorf(`option "delay" must be from 0 seconds to 100 years, got %s`, vm.FormatNumber(delay))
	}
	msg.Delay = secondsDuration(delay)

	if list, err := opts.array("quotas"); err != nil {
		return err
	} else if list != nil {
		if msg.Quotas, err = stringList(c, list, `option "quotas"`); err != nil {
			return err
		}
	}
	if meta, err := opts.array("metadata"); err != nil {
		return err
	} else if meta != nil {
		msg.Metadata = map[string]string{}
		for k, v := range meta.All() {
			s, ok := convertString(v)
			if !ok {
				return c.Errorf(`option "metadata" value %q must be a string, got %s`, k.Value().String(), v.TypeName())
			}
			msg.Metadata[k.Value().String()] = s
		}
	}
	return nil
}
