package builtins

import (
	"bytes"
	"maps"
	"mime"
	"slices"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

// MIMEPartClass is a part of a parsed message and MailMessageClass the
// whole message. Reads ("get" methods) see the message as it was parsed.
// Edits apply to a working copy, which toString, toFile and queue render
// and which reset, snapshot and restore manage. modifyContent adds byte
// edits on top of that copy (see mime_message_content.go).
var (
	MIMEPartClass    = &vm.Class{Name: "MIMEPart"}
	MailMessageClass = &vm.Class{Name: "MailMessage"}
)

// mailMessage is the state shared by a message and its part objects.
type mailMessage struct {
	original  *mailNode
	work      *mailNode
	content   []contentEdit // modifyContent edits, in call order
	snapshots []messageState
	edits     int // edits since parsing or the last reset
	nextUID   int
}

// messageState is an edit state that snapshot saves.
type messageState struct {
	work    *mailNode
	content []contentEdit
}

// mailPartRef is the native state of MIMEPart and MailMessage objects.
type mailPartRef struct {
	msg *mailMessage
	uid int
}

func init() {
	partMethods := map[string]vm.MethodFunc{
		"getID":            partRead(partGetID),
		"getSize":          partRead(partGetSize),
		"getFileName":      partRead(partGetFileName),
		"getType":          partRead(partGetType),
		"getTypeParameter": partRead(partGetTypeParameter),
		"getHeader":        partRead(partGetHeader),
		"getHeaders":       partRead(partGetHeaders),
		"getHeaderNames":   partRead(partGetHeaderNames),
		"getBody":          partRead(partGetBody),
		"getPreamble":      partRead(partGetPreamble),
		"getEpilogue":      partRead(partGetEpilogue),
		"getErrors":        partRead(partGetErrors),
		"getParts":         partRead(partGetParts),
		"findByType":       partRead(partFindByType),
		"findByFileName":   partRead(partFindByFileName),
		"getByID":          partRead(partGetByID),
		"setHeader":        partEdit(partSetHeader),
		"addHeader":        partEdit(partAddHeader),
		"delHeader":        partEdit(partDelHeader),
		"renameHeader":     partEdit(partRenameHeader),
		"setBody":          partEdit(partSetBody),
		"setPreamble":      partEdit(partSetPreamble),
		"setEpilogue":      partEdit(partSetEpilogue),
		"appendPart":       partEdit(partAppendPart),
		"prependPart":      partEdit(partPrependPart),
		"replacePart":      partEdit(partReplacePart),
		"remove":           partEdit(partRemove),
		"setDateLater":     partEdit(partSetDateLater),
	}
	MIMEPartClass.Methods = partMethods

	messageMethods := maps.Clone(partMethods)
	messageMethods["reset"] = messageReset
	messageMethods["snapshot"] = messageSnapshot
	messageMethods["restore"] = messageRestore
	messageMethods["toString"] = messageToString
	messageMethods["toFile"] = messageToFile
	messageMethods["queue"] = mailMessageQueue
	messageMethods["modifyContent"] = messageModifyContent
	for _, name := range []string{"signDKIM", "verifyDKIM", "send"} {
		// NOTE: these need DKIM or direct SMTP delivery, neither of which
		// exists yet.
		messageMethods[name] = mimeNotAvailable
	}
	MailMessageClass.Methods = messageMethods
	MailMessageClass.Statics = map[string]vm.BuiltinFunc{
		"String": builtinMailMessageString,
		"File":   builtinMailMessageFile,
	}

	registerClass(MIMEPartClass)
	registerClass(MailMessageClass)
}

// NewMailMessage parses data into a MailMessage object, as hosts do for
// $arguments["mail"].
func NewMailMessage(data []byte) vm.Value {
	root := parseMailMessage(data)
	msg := &mailMessage{original: root, work: root.clone()}
	root.walk("0", func(_ string, n *mailNode) { msg.nextUID = max(msg.nextUID, n.uid+1) })
	return vm.ObjectValue(vm.NewObject(MailMessageClass, &mailPartRef{msg: msg, uid: root.uid}))
}

// MailMessageBytes renders a MailMessage object with its edits, for hosts
// that deliver the message a script changed.
func MailMessageBytes(v vm.Value) ([]byte, bool) {
	obj := v.Object()
	if obj == nil || obj.Class() != MailMessageClass {
		return nil, false
	}
	return obj.Native.(*mailPartRef).msg.renderAll(), true
}

func builtinMailMessageString(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	data, err := newLibArgs(c, args).str(0, "data")
	if err != nil {
		return vm.None, err
	}
	return NewMailMessage([]byte(data)), nil
}

// builtinMailMessageFile is MailMessage::File(file): the message in a File
// object, read from its start.
func builtinMailMessageFile(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	obj, err := c.ObjectArg(args, 0, "file", FileClass)
	if err != nil {
		return vm.None, err
	}
	h := obj.Native.(*fileHandle)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return vm.None, c.Errorf("file is closed")
	}
	data := make([]byte, h.size)
	if n, err := h.data.ReadAt(data, 0); n != len(data) && err != nil {
		return vm.None, nil
	}
	return NewMailMessage(data), nil
}

// partObject returns the MIMEPart object for a node of msg.
func partObject(msg *mailMessage, uid int) vm.Value {
	return vm.ObjectValue(vm.NewObject(MIMEPartClass, &mailPartRef{msg: msg, uid: uid}))
}

// partRead wraps a read method: it gets the part as parsed, or as added
// when the part did not exist in the parsed message.
func partRead(fn func(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error)) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		ref := this.Native.(*mailPartRef)
		n, _ := ref.msg.original.find(ref.uid)
		if n == nil {
			if n, _ = ref.msg.work.find(ref.uid); n == nil {
				return vm.None, c.Errorf("the part was removed")
			}
		}
		return fn(c, ref, n, args)
	}
}

// partEdit wraps an edit method: it gets the working copy of the part and
// counts the edit.
func partEdit(fn func(c *vm.Call, this *vm.Object, ref *mailPartRef, n, parent *mailNode, args []vm.Value) (vm.Value, error)) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		ref := this.Native.(*mailPartRef)
		if len(ref.msg.content) > 0 {
			return vm.None, c.Errorf(contentEditsPending)
		}
		n, parent := ref.msg.work.find(ref.uid)
		if n == nil {
			return vm.None, c.Errorf("the part was removed")
		}
		result, err := fn(c, this, ref, n, parent, args)
		if err == nil {
			ref.msg.edits++
		}
		return result, err
	}
}

func partGetID(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	id := ""
	root := ref.msg.original
	if found, _ := root.find(n.uid); found == nil {
		root = ref.msg.work
	}
	root.walk("0", func(partID string, node *mailNode) {
		if node.uid == n.uid {
			id = partID
		}
	})
	return vm.String(id), nil
}

func partGetSize(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	var b bytes.Buffer
	n.render(&b, vm.Now())
	return vm.Int(b.Len()), nil
}

func partGetFileName(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if name, ok := n.fileName(); ok {
		return vm.String(name), nil
	}
	return vm.None, nil
}

func partGetType(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.String(n.mediaType()), nil
}

func partGetTypeParameter(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	name, err := newLibArgs(c, args).str(0, "name")
	if err != nil {
		return vm.None, err
	}
	_, params, err := mime.ParseMediaType(n.firstValue("Content-Type"))
	if err != nil {
		return vm.None, nil
	}
	if v, ok := params[strings.ToLower(name)]; ok {
		return vm.String(v), nil
	}
	return vm.None, nil
}

// headerArgs reads (name [, options]) with options index and field.
func headerArgs(c *vm.Call, args []vm.Value) (name string, index int64, hasIndex, field bool, err error) {
	a := newLibArgs(c, args)
	if name, err = a.str(0, "name"); err != nil {
		return
	}
	opts, err := a.options(1)
	if err != nil {
		return
	}
	var f float64
	if f, hasIndex, err = opts.num("index", 0); err != nil {
		return
	}
	index = int64(f)
	field, err = opts.boolean("field", false)
	return
}

// headerText returns a field's value for scripts: decoded text, or the
// raw "Name: value" with field.
func headerText(f mailField, field bool) string {
	if field {
		return f.name + ":" + f.raw
	}
	return decodeHeaderText(unfoldHeader(f.raw))
}

func partGetHeader(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	name, index, _, field, err := headerArgs(c, args)
	if err != nil {
		return vm.None, err
	}
	seen := int64(0)
	for _, f := range n.fields {
		if strings.EqualFold(f.name, name) {
			if seen == index {
				return vm.String(headerText(f, field)), nil
			}
			seen++
		}
	}
	return vm.None, nil
}

func partGetHeaders(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	name, _, _, field, err := headerArgs(c, args)
	if err != nil {
		return vm.None, err
	}
	var out []vm.Value
	for _, f := range n.fields {
		if strings.EqualFold(f.name, name) {
			out = append(out, vm.String(headerText(f, field)))
		}
	}
	return vm.ArrayValue(vm.NewList(out)), nil
}

func partGetHeaderNames(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	out := make([]vm.Value, len(n.fields))
	for i, f := range n.fields {
		out[i] = vm.String(strings.ToLower(f.name))
	}
	return vm.ArrayValue(vm.NewList(out)), nil
}

func partGetBody(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 1); err != nil {
		return vm.None, err
	}
	opts, err := newLibArgs(c, args).options(0)
	if err != nil {
		return vm.None, err
	}
	decode, err := opts.boolean("decode", true)
	if err != nil {
		return vm.None, err
	}
	if n.multi {
		return vm.None, nil
	}
	if !decode {
		return vm.Bytes(n.body), nil
	}
	return vm.Bytes(n.decodedBody()), nil
}

func partGetPreamble(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil || !n.multi {
		return vm.None, err
	}
	return vm.Bytes(n.preamble), nil
}

func partGetEpilogue(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil || !n.multi {
		return vm.None, err
	}
	return vm.Bytes(n.epilogue), nil
}

func partGetErrors(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	out := make([]vm.Value, len(n.errors))
	for i, e := range n.errors {
		out[i] = vm.String(e)
	}
	return vm.ArrayValue(vm.NewList(out)), nil
}

func partGetParts(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	out := make([]vm.Value, len(n.children))
	for i, child := range n.children {
		out[i] = partObject(ref.msg, child.uid)
	}
	return vm.ArrayValue(vm.NewList(out)), nil
}

// findParts returns the descendants of n (not n itself) for which match
// returns true, depth first.
func findParts(ref *mailPartRef, n *mailNode, match func(*mailNode) bool) vm.Value {
	var out []vm.Value
	for _, child := range n.children {
		child.walk("0", func(_ string, node *mailNode) {
			if match(node) {
				out = append(out, partObject(ref.msg, node.uid))
			}
		})
	}
	return vm.ArrayValue(vm.NewList(out))
}

// textMatcher matches a string argument as a case-insensitive pattern, or
// a regex value as it is.
func textMatcher(c *vm.Call, args []vm.Value, param string) (func(string) bool, error) {
	if r := args[0].Regex(); r != nil {
		return func(s string) bool {
			ok, err := r.MatchString(s)
			return err == nil && ok
		}, nil
	}
	pattern, err := newLibArgs(c, args).str(0, param)
	if err != nil {
		return nil, err
	}
	r, err := vm.CompileRegex(pattern, "i")
	if err != nil {
		return nil, c.Errorf("argument 1 (%s): %v", param, err)
	}
	return func(s string) bool {
		ok, err := r.MatchString(s)
		return err == nil && ok
	}, nil
}

func partFindByType(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	match, err := textMatcher(c, args, "type")
	if err != nil {
		return vm.None, err
	}
	return findParts(ref, n, func(node *mailNode) bool { return match(node.mediaType()) }), nil
}

func partFindByFileName(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	match, err := textMatcher(c, args, "filename")
	if err != nil {
		return vm.None, err
	}
	return findParts(ref, n, func(node *mailNode) bool {
		name, ok := node.fileName()
		return ok && match(name)
	}), nil
}

func partGetByID(c *vm.Call, ref *mailPartRef, n *mailNode, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	want, err := newLibArgs(c, args).str(0, "id")
	if err != nil {
		return vm.None, err
	}
	result := vm.None
	ref.msg.original.walk("0", func(id string, node *mailNode) {
		if id == want {
			if found, _ := n.find(node.uid); found != nil {
				result = partObject(ref.msg, node.uid)
			}
		}
	})
	return result, nil
}

func messageOf(this *vm.Object) *mailMessage { return this.Native.(*mailPartRef).msg }

// messageReset drops every edit and returns how many there were.
func messageReset(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	msg := messageOf(this)
	n := msg.edits
	msg.work, msg.content, msg.edits = msg.original.clone(), nil, 0
	return vm.Int(n), nil
}

// messageSnapshot saves the current edit state and returns its id.
func messageSnapshot(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	msg := messageOf(this)
	msg.snapshots = append(msg.snapshots, messageState{work: msg.work.clone(), content: slices.Clone(msg.content)})
	return vm.Int(len(msg.snapshots) - 1), nil
}

func messageRestore(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	id, err := newLibArgs(c, args).integer(0, "id")
	if err != nil {
		return vm.None, err
	}
	msg := messageOf(this)
	if id < 0 || id >= int64(len(msg.snapshots)) {
		return vm.False, nil
	}
	state := msg.snapshots[id]
	msg.work, msg.content = state.work.clone(), slices.Clone(state.content)
	return vm.True, nil
}

// renderMessage renders the message with all its edits.
func renderMessage(this *vm.Object) []byte { return messageOf(this).renderAll() }

func messageToString(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.Bytes(renderMessage(this)), nil
}

func messageToFile(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return NewFileFromBytes(renderMessage(this)), nil
}

// mailMessageQueue is ->queue(sender, recipient, transportid [, options]), as
// MIME's queue() but with the message's own text.
func mailMessageQueue(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 4); err != nil {
		return vm.None, err
	}
	return queueRendered(c, args, renderMessage(this))
}
