package builtins

// The Iconv class: character-set conversion in the manner of iconv(3),
// with charsets from the WHATWG index of golang.org/x/text.

import (
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"

	"github.com/halonsh/halonsh/lang/vm"
)

// errnoEILSEQ is Linux's EILSEQ, what errno() returns after a failed
// conversion.
const errnoEILSEQ = 84

var iconvClass = &vm.Class{Name: "Iconv"}

func init() {
	iconvClass.New = newIconv
	iconvClass.Methods = map[string]vm.MethodFunc{
		"convert": iconvConvert,
		"errno":   iconvErrno,
		"close":   iconvClose,
	}
	registerClass(iconvClass)
}

// iconvState is the payload of an Iconv object.
type iconvState struct {
	mu        sync.Mutex
	from, to  encoding.Encoding
	fromUTF8  bool // the source is UTF-8, checked strictly
	fromASCII bool // US-ASCII: bytes above 0x7F are invalid
	toASCII   bool // US-ASCII: characters above U+007F cannot be converted
	ignore    bool // //IGNORE: drop what cannot be converted
	translit  bool // //TRANSLIT: write "?" for what the target lacks
	lastErrno int
	closed    bool
}

// lookupCharset finds a charset by name. ISO-8859-1 is the exact Latin-1
// table, not the Windows-1252 the WHATWG index maps it to; US-ASCII uses
// that table too, and the converter restricts it to 0x00–0x7F.
func lookupCharset(name string) (encoding.Encoding, bool) {
	switch strings.ToLower(name) {
	case "utf-8", "utf8":
		return unicode.UTF8, true
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return charmap.ISO8859_1, true
	case "us-ascii", "ascii":
		return charmap.ISO8859_1, true
	}
	enc, err := htmlindex.Get(name)
	return enc, err == nil
}

func newIconv(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	fromName, err := a.str(0, "fromcharset")
	if err != nil {
		return vm.None, err
	}
	toName, err := a.str(1, "tocharset")
	if err != nil {
		return vm.None, err
	}

	state := &iconvState{}
	for {
		switch {
		case strings.HasSuffix(strings.ToUpper(toName), "//IGNORE"):
			state.ignore = true
			toName = toName[:len(toName)-len("//IGNORE")]
			continue
		case strings.HasSuffix(strings.ToUpper(toName), "//TRANSLIT"):
			state.translit = true
			toName = toName[:len(toName)-len("//TRANSLIT")]
			continue
		}
		break
	}

	var ok bool
	if state.from, ok = lookupCharset(fromName); !ok {
		return vm.None, c.Errorf("unsupported charset %q", fromName)
	}
	if state.to, ok = lookupCharset(toName); !ok {
		return vm.None, c.Errorf("unsupported charset %q", toName)
	}
	state.fromUTF8 = state.from == unicode.UTF8
	state.fromASCII = isASCIIName(fromName)
	state.toASCII = isASCIIName(toName)
	return vm.ObjectValue(vm.NewObject(iconvClass, state)), nil
}

func isASCIIName(name string) bool {
	name = strings.ToLower(name)
	return name == "us-ascii" || name == "ascii"
}

// lockIconv locks the object's state; the caller unlocks it. A closed
// object is an error.
func lockIconv(c *vm.Call, this *vm.Object) (*iconvState, error) {
	state := this.Native.(*iconvState)
	state.mu.Lock()
	if state.closed {
		state.mu.Unlock()
		return nil, c.Errorf("the Iconv object is closed")
	}
	return state, nil
}

// iconvConvert converts text and returns none on an invalid or
// unconvertible sequence, unless //IGNORE or //TRANSLIT was given.
func iconvConvert(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	text, err := newLibArgs(c, args).str(0, "text")
	if err != nil {
		return vm.None, err
	}
	state, err := lockIconv(c, this)
	if err != nil {
		return vm.None, err
	}
	defer state.mu.Unlock()

	out, ok := state.convert(text)
	if !ok {
		state.lastErrno = errnoEILSEQ
		return vm.None, nil
	}
	state.lastErrno = 0
	return vm.String(out), nil
}

func (s *iconvState) convert(text string) (string, bool) {
	// Decode to UTF-8 first.
	var decoded string
	if s.fromUTF8 {
		if !utf8.ValidString(text) {
			if !s.ignore {
				return "", false
			}
			text = strings.ToValidUTF8(text, "")
		}
		decoded = text
	} else {
		if s.fromASCII {
			if i := strings.IndexFunc(text, func(r rune) bool { return r >= 0x80 }); i >= 0 && !s.ignore {
				return "", false
			}
			text = stripHighBytes(text)
		}
		b, err := s.from.NewDecoder().Bytes([]byte(text))
		if err != nil {
			return "", false
		}
		decoded = string(b)
		// The x/text decoders write U+FFFD for bytes the charset does not
		// define.
		if strings.ContainsRune(decoded, utf8.RuneError) {
			if !s.ignore && !s.translit {
				return "", false
			}
			replacement := ""
			if s.translit {
				replacement = "?"
			}
			decoded = strings.ReplaceAll(decoded, string(utf8.RuneError), replacement)
		}
	}

	if s.to == unicode.UTF8 {
		return decoded, true
	}

	// Encode character by character so that //IGNORE and //TRANSLIT can
	// handle each one the target charset lacks.
	enc := s.to.NewEncoder()
	var b strings.Builder
	for _, r := range decoded {
		out, err := enc.String(string(r))
		if s.toASCII && r >= 0x80 {
			err = errNotASCII
		}
		if err == nil {
			b.WriteString(out)
			continue
		}
		switch {
		case s.translit:
			b.WriteByte('?')
		case s.ignore:
		default:
			return "", false
		}
	}
	return b.String(), true
}

var errNotASCII = vm.Errorf("not an ASCII character")

// stripHighBytes removes the bytes above 0x7F.
func stripHighBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func iconvErrno(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	state, err := lockIconv(c, this)
	if err != nil {
		return vm.None, err
	}
	defer state.mu.Unlock()
	return vm.Int(state.lastErrno), nil
}

func iconvClose(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	state, err := lockIconv(c, this)
	if err != nil {
		return vm.None, err
	}
	defer state.mu.Unlock()
	state.closed = true
	return vm.None, nil
}
