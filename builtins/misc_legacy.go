package builtins

import (
	"bytes"
	"log/slog"
	"strings"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

// Functions kept for 5.x scripts: mail() queues a simple text message,
// stat() is accepted and logged, and globalview() exists only to raise
// "not available".
func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"mail":       builtinMail,
		"stat":       builtinStat,
		"globalview": builtinGlobalview,
	})
}

// builtinMail is mail(sender, recipient, subject, body, transportid [,
// options]) with options sender_name, recipient_name, headers (an array
// of name => value), metadata, jobid and quotas. It returns the
// transaction id.
func builtinMail(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 5, 6); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	var texts [5]string
	for i, name := range []string{"sender", "recipient", "subject", "body", "transportid"} {
		var err error
		if texts[i], err = a.str(i, name); err != nil {
			return vm.None, err
		}
	}
	sender, recipient, subject, body, transport := texts[0], texts[1], texts[2], texts[3], texts[4]
	opts, err := a.options(5)
	if err != nil {
		return vm.None, err
	}
	senderName, _, err := opts.str("sender_name", "")
	if err != nil {
		return vm.None, err
	}
	recipientName, _, err := opts.str("recipient_name", "")
	if err != nil {
		return vm.None, err
	}

	part := &mimePart{}
	headers := []mimeHeader{
		{"From", compileAddress(senderName, sender)},
		{"To", compileAddress(recipientName, recipient)},
		{"Subject", subject},
		{"Date", time.Now().Format(time.RFC1123Z)},
	}
	if extra, err := opts.array("headers"); err != nil {
		return vm.None, err
	} else if extra != nil {
		for k, v := range extra.All() {
			value, ok := convertString(v)
			if !ok {
				return vm.None, c.Errorf(`option "headers" value %q must be a string, got %s`, k.Value().String(), v.TypeName())
			}
			headers = append(headers, mimeHeader{k.Value().String(), value})
		}
	}
	for _, h := range headers {
		if !isHeaderName(h.name) {
			return vm.None, c.Errorf(`option "headers": invalid header name %q`, h.name)
		}
		value, err := encodeHeaderValue(h.name, h.value, true)
		if err != nil {
			return vm.None, c.Errorf("%v", err)
		}
		part.headers = append(part.headers, mimeHeader{h.name, value})
	}
	part.body = []byte(body)

	var rendered bytes.Buffer
	part.render(&rendered, true)
	msg := NewMessage{Sender: sender, Recipient: recipient, TransportID: transport, Data: rendered.Bytes()}
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
	return vm.String(queued.Transaction), nil
}

// builtinStat is stat(name, legends): 5.x graph counters, which halonsh
// does not keep. The call is logged at debug level.
func builtinStat(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	name, err := a.str(0, "name")
	if err != nil {
		return vm.None, err
	}
	legends, err := a.array(1, "legends")
	if err != nil {
		return vm.None, err
	}
	var parts []string
	for k, v := range legends.All() {
		parts = append(parts, k.Value().String()+"="+v.String())
	}
	slog.Debug("stat() is not kept", "name", name, "legends", strings.Join(parts, ","))
	return vm.None, nil
}

func builtinGlobalview(c *vm.Call, args []vm.Value) (vm.Value, error) {
	return vm.None, c.Errorf("not available")
}
