package builtins

import (
	"bytes"
	"fmt"
	"mime"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

// The edit methods of MIMEPart and MailMessage. Each works on the working
// copy of its part (see partEdit), so the get methods keep seeing the
// parsed message.

// encodedField returns a header field for name and value, encoded unless
// option encode is false.
func encodedField(c *vm.Call, name, value string, opts libOptions) (mailField, error) {
	encode, err := opts.boolean("encode", true)
	if err != nil {
		return mailField{}, err
	}
	if !isHeaderName(name) {
		return mailField{}, c.Errorf("argument 1 (name) is not a valid header name: %q", name)
	}
	value, err = encodeHeaderValue(name, value, encode)
	if err != nil {
		return mailField{}, c.Errorf("%v", err)
	}
	return mailField{name: name, raw: " " + value}, nil
}

// partSetHeader replaces every field called name, or only the index-th,
// adding one at the top when none exists; it returns the count changed.
func partSetHeader(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
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
	index, hasIndex, err := opts.num("index", 0)
	if err != nil {
		return vm.None, err
	}
	field, err := encodedField(c, name, value, opts)
	if err != nil {
		return vm.None, err
	}

	changed, seen := 0, 0
	for i, f := range n.fields {
		if !strings.EqualFold(f.name, name) {
			continue
		}
		if !hasIndex || seen == int(index) {
			n.fields[i] = field
			changed++
		}
		seen++
	}
	if seen == 0 {
		n.fields = append([]mailField{field}, n.fields...)
		changed = 1
	}
	return vm.Int(changed), nil
}

// partAddHeader adds a field at the top of the part.
func partAddHeader(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
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
	field, err := encodedField(c, name, value, opts)
	if err != nil {
		return vm.None, err
	}
	n.fields = append([]mailField{field}, n.fields...)
	return vm.None, nil
}

// partDelHeader deletes every field called name, or only the index-th,
// and returns the count.
func partDelHeader(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	name, index, hasIndex, _, err := headerArgs(c, args)
	if err != nil {
		return vm.None, err
	}
	kept := n.fields[:0:0]
	deleted, seen := 0, int64(0)
	for _, f := range n.fields {
		if strings.EqualFold(f.name, name) {
			match := !hasIndex || seen == index
			seen++
			if match {
				deleted++
				continue
			}
		}
		kept = append(kept, f)
	}
	n.fields = kept
	return vm.Int(deleted), nil
}

func partRenameHeader(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	name, err := a.str(0, "name")
	if err != nil {
		return vm.None, err
	}
	newName, err := a.str(1, "newname")
	if err != nil {
		return vm.None, err
	}
	if !isHeaderName(newName) {
		return vm.None, c.Errorf("argument 2 (newname) is not a valid header name: %q", newName)
	}
	renamed := 0
	for i, f := range n.fields {
		if strings.EqualFold(f.name, name) {
			n.fields[i].name = newName
			renamed++
		}
	}
	return vm.Int(renamed), nil
}

// partSetBody replaces the body of a non-multipart part and sets
// Content-Transfer-Encoding to the encoding chosen for it.
func partSetBody(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	data, err := newLibArgs(c, args).str(0, "data")
	if err != nil {
		return vm.None, err
	}
	if n.multi {
		return vm.None, nil
	}
	encoding, encoded := encodeMIMEBody([]byte(data), strings.HasPrefix(n.mediaType(), "text/"))
	n.body = encoded
	replaced := false
	kept := n.fields[:0:0]
	for _, f := range n.fields {
		if strings.EqualFold(f.name, "Content-Transfer-Encoding") {
			if replaced {
				continue
			}
			f.raw, replaced = " "+encoding, true
		}
		kept = append(kept, f)
	}
	if !replaced {
		kept = append(kept, mailField{name: "Content-Transfer-Encoding", raw: " " + encoding})
	}
	n.fields = kept
	return vm.ObjectValue(this), nil
}

func setMultipartText(target func(n *mailNode) *[]byte) func(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	return func(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		data, err := newLibArgs(c, args).str(0, "data")
		if err != nil {
			return vm.None, err
		}
		if !n.multi {
			return vm.None, nil
		}
		*target(n) = toCRLF([]byte(data))
		return vm.ObjectValue(this), nil
	}
}

var (
	partSetPreamble = setMultipartText(func(n *mailNode) *[]byte { return &n.preamble })
	partSetEpilogue = setMultipartText(func(n *mailNode) *[]byte { return &n.epilogue })
)

// nodeFromPartArg converts a MIME builder object or a MIMEPart into a new
// node of msg.
func nodeFromPartArg(c *vm.Call, msg *mailMessage, args []vm.Value) (*mailNode, error) {
	obj := args[0].Object()
	var data []byte
	switch {
	case obj != nil && obj.Class() == MIMEClass:
		var b bytes.Buffer
		obj.Native.(*mimePart).render(&b, false)
		data = b.Bytes()
	case obj != nil && (obj.Class() == MIMEPartClass || obj.Class() == MailMessageClass):
		ref := obj.Native.(*mailPartRef)
		node, _ := ref.msg.work.find(ref.uid)
		if node == nil {
			return nil, c.Errorf("argument 1 (part) was removed")
		}
		var b bytes.Buffer
		node.render(&b, vm.Now())
		data = b.Bytes()
	default:
		return nil, c.ArgError(0, "part", "a MIME or MIMEPart object", args[0])
	}
	node := parseMailNode(data, &msg.nextUID)
	return node, nil
}

// makeMultipart turns n into a multipart/<type> container whose first
// child is n's former content, when n is not multipart yet.
func makeMultipart(msg *mailMessage, n *mailNode, mediaType string) {
	if n.multi {
		return
	}
	inner := &mailNode{uid: msg.nextUID, body: n.body}
	msg.nextUID++
	var outer []mailField
	for _, f := range n.fields {
		if strings.HasPrefix(strings.ToLower(f.name), "content-") {
			inner.fields = append(inner.fields, f)
		} else {
			outer = append(outer, f)
		}
	}
	boundary := fmt.Sprintf("%x", secureRandomBytes(12))
	outer = append(outer, mailField{name: "Content-Type", raw: " " + mime.FormatMediaType(mediaType, map[string]string{"boundary": boundary})})
	n.fields, n.body, n.multi, n.epilogue = outer, nil, true, []byte("\r\n")
	n.children = []*mailNode{inner}
}

func insertPart(atStart bool) func(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	return func(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 2); err != nil {
			return vm.None, err
		}
		opts, err := newLibArgs(c, args).options(1)
		if err != nil {
			return vm.None, err
		}
		mediaType, _, err := opts.str("type", "multipart/mixed")
		if err != nil {
			return vm.None, err
		}
		node, err := nodeFromPartArg(c, ref.msg, args)
		if err != nil {
			return vm.None, err
		}
		makeMultipart(ref.msg, n, mediaType)
		if atStart {
			n.children = append([]*mailNode{node}, n.children...)
		} else {
			n.children = append(n.children, node)
		}
		return vm.ObjectValue(this), nil
	}
}

var (
	partAppendPart  = insertPart(false)
	partPrependPart = insertPart(true)
)

func partReplacePart(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	node, err := nodeFromPartArg(c, ref.msg, args)
	if err != nil {
		return vm.None, err
	}
	node.uid = n.uid // the object keeps naming this position
	if parent == nil {
		ref.msg.work = node
		return vm.None, nil
	}
	for i, child := range parent.children {
		if child == n {
			parent.children[i] = node
		}
	}
	return vm.None, nil
}

func partRemove(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if parent == nil {
		return vm.None, c.Errorf("cannot remove the message itself")
	}
	kept := parent.children[:0:0]
	for _, child := range parent.children {
		if child != n {
			kept = append(kept, child)
		}
	}
	parent.children = kept
	return vm.None, nil
}
