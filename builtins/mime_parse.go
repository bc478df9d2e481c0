package builtins

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// mailNode is one part of a parsed message. Header fields keep their raw
// text, folding included, so that a message without edits renders back
// byte for byte (after line ends are made CRLF).
type mailNode struct {
	uid      int // stable across clones, used to find a part's copy
	fields   []mailField
	body     []byte // the part's own body; for multipart, unused
	preamble []byte // multipart only: text before the first delimiter
	// epilogue is the text after "--boundary--", starting with the line
	// break that ends the close delimiter line, if there is one.
	epilogue []byte
	children []*mailNode
	multi    bool // parsed or built as multipart with a boundary
	errors   []string
}

// mailField is one header field: name and the raw text after the colon.
// A field set by setDateLater has no raw text: it renders the time of
// rendering.
type mailField struct {
	name, raw string
	dateLater bool
}

// parseMailMessage parses a whole message. Bare LF line ends become CRLF.
func parseMailMessage(data []byte) *mailNode {
	next := 0
	return parseMailNode(toCRLF(data), &next)
}

func parseMailNode(data []byte, next *int) *mailNode {
	n := &mailNode{uid: *next}
	*next++

	header, body, found := bytes.Cut(data, []byte("\r\n\r\n"))
	if !found {
		if bytes.HasPrefix(data, []byte("\r\n")) {
			header, body = nil, data[2:]
		} else {
			header, body = data, nil
		}
	}
	n.parseFields(header)

	mediaType, params, _ := mime.ParseMediaType(n.firstValue("Content-Type"))
	boundary := params["boundary"]
	if !strings.HasPrefix(mediaType, "multipart/") || boundary == "" {
		n.body = body
		return n
	}
	n.multi = true
	n.splitMultipart(body, boundary, next)
	return n
}

// parseFields splits the header block into fields; a line that is neither
// a field nor a continuation is recorded as a bad_header error.
func (n *mailNode) parseFields(header []byte) {
	if len(header) == 0 {
		return
	}
	for _, line := range strings.SplitAfter(string(header), "\r\n") {
		line = strings.TrimSuffix(line, "\r\n")
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(n.fields) > 0 {
			n.fields[len(n.fields)-1].raw += "\r\n" + line
			continue
		}
		name, raw, ok := strings.Cut(line, ":")
		if !ok || !isHeaderName(strings.TrimRight(name, " \t")) {
			n.addError("bad_header")
			continue
		}
		n.fields = append(n.fields, mailField{name: strings.TrimRight(name, " \t"), raw: raw})
	}
}

func (n *mailNode) addError(e string) {
	for _, have := range n.errors {
		if have == e {
			return
		}
	}
	n.errors = append(n.errors, e)
}

// splitMultipart finds the delimiter lines "--boundary" and the close
// delimiter "--boundary--" (RFC 2046 section 5.1.1) and parses each part.
func (n *mailNode) splitMultipart(body []byte, boundary string, next *int) {
	delimiter := "--" + boundary
	lines := bytes.SplitAfter(body, []byte("\r\n"))

	var current []byte
	inPart, closed := false, false
	for _, line := range lines {
		text := strings.TrimRight(string(line), " \t\r\n")
		switch {
		case closed:
			n.epilogue = append(n.epilogue, line...)
		case text == delimiter+"--":
			n.closeParts(current, inPart, next)
			n.epilogue = line[len(strings.TrimRight(string(line), "\r\n")):]
			closed = true
		case text == delimiter:
			n.closeParts(current, inPart, next)
			current = nil
			inPart = true
		default:
			current = append(current, line...)
		}
	}
	if !closed {
		n.addError("unclosed_boundary")
		if inPart {
			n.children = append(n.children, parseMailNode(current, next))
		} else {
			n.preamble = current
		}
	}
}

// closeParts ends the text collected before a delimiter line: the
// preamble, or the content of a part. The CRLF before a delimiter belongs
// to the delimiter.
func (n *mailNode) closeParts(current []byte, inPart bool, next *int) {
	content := bytes.TrimSuffix(current, []byte("\r\n"))
	if inPart {
		n.children = append(n.children, parseMailNode(content, next))
	} else {
		n.preamble = content
	}
}

// firstValue returns the unfolded, trimmed raw value of the first field
// called name, or "".
func (n *mailNode) firstValue(name string) string {
	for _, f := range n.fields {
		if strings.EqualFold(f.name, name) {
			return unfoldHeader(f.raw)
		}
	}
	return ""
}

// unfoldHeader removes folding line breaks and surrounding whitespace.
func unfoldHeader(raw string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", "", "\n", "").Replace(raw))
}

// boundary returns the multipart boundary of the Content-Type field.
func (n *mailNode) boundary() string {
	_, params, _ := mime.ParseMediaType(n.firstValue("Content-Type"))
	return params["boundary"]
}

// render writes the node back as message text; now is the value of
// setDateLater's Date fields.
func (n *mailNode) render(b *bytes.Buffer, now time.Time) {
	for _, f := range n.fields {
		renderField(b, f, now)
	}
	b.WriteString("\r\n")
	if !n.multi {
		b.Write(n.body)
		return
	}

	delimiter := "--" + n.boundary()
	b.Write(n.preamble)
	for i, child := range n.children {
		if i > 0 || len(n.preamble) > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString(delimiter + "\r\n")
		child.render(b, now)
	}
	if len(n.children) > 0 || len(n.preamble) > 0 {
		b.WriteString("\r\n")
	}
	b.WriteString(delimiter + "--")
	b.Write(n.epilogue)
}

// clone copies the node and its children, keeping uids.
func (n *mailNode) clone() *mailNode {
	c := *n
	c.fields = append([]mailField(nil), n.fields...)
	c.errors = append([]string(nil), n.errors...)
	c.children = make([]*mailNode, len(n.children))
	for i, child := range n.children {
		c.children[i] = child.clone()
	}
	return &c
}

// find returns the node with uid, and its parent, in the tree under n.
func (n *mailNode) find(uid int) (node, parent *mailNode) {
	if n.uid == uid {
		return n, nil
	}
	for _, child := range n.children {
		if found, p := child.find(uid); found != nil {
			if p == nil {
				p = n
			}
			return found, p
		}
	}
	return nil, nil
}

// walk calls fn for n and its descendants depth first, with the part id
// ("0" for the root, "1", "1.2", ... below it).
func (n *mailNode) walk(id string, fn func(id string, node *mailNode)) {
	fn(id, n)
	for i, child := range n.children {
		childID := strconv.Itoa(i + 1)
		if id != "0" {
			childID = id + "." + childID
		}
		child.walk(childID, fn)
	}
}

// mediaType returns the lower-case type/subtype, text/plain when absent.
func (n *mailNode) mediaType() string {
	value := n.firstValue("Content-Type")
	if value == "" {
		return "text/plain"
	}
	t, _, err := mime.ParseMediaType(value)
	if err != nil {
		t, _, _ = strings.Cut(value, ";")
		t = strings.ToLower(strings.TrimSpace(t))
	}
	return t
}

// fileName returns the Content-Disposition filename or the Content-Type
// name, decoded.
func (n *mailNode) fileName() (string, bool) {
	if _, params, err := mime.ParseMediaType(n.firstValue("Content-Disposition")); err == nil {
		if name, ok := params["filename"]; ok {
			return decodeHeaderText(name), true
		}
	}
	if _, params, err := mime.ParseMediaType(n.firstValue("Content-Type")); err == nil {
		if name, ok := params["name"]; ok {
			return decodeHeaderText(name), true
		}
	}
	return "", false
}

// decodedBody returns the body decoded per Content-Transfer-Encoding;
// undecodable data is returned as it is.
func (n *mailNode) decodedBody() []byte {
	switch strings.ToLower(n.firstValue("Content-Transfer-Encoding")) {
	case "base64":
		clean := strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, string(n.body))
		if out, err := base64.StdEncoding.DecodeString(clean); err == nil {
			return out
		}
		if out, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "=")); err == nil {
			return out
		}
	case "quoted-printable":
		if out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(n.body))); err == nil {
			return out
		}
	}
	return n.body
}

// decodeHeaderText decodes encoded words and turns other 8-bit text that
// is not UTF-8 into UTF-8 by reading it as Latin-1.
func decodeHeaderText(s string) string {
	if decoded, err := headerWordDecoder.DecodeHeader(s); err == nil {
		s = decoded
	}
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}
