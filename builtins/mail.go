package builtins

import (
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

// isAtext reports whether c may appear unquoted in an RFC 5322 atom. Bytes
// of 0x80 and above are allowed so that SMTPUTF8 addresses parse.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c >= 0x80:
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isDotAtom reports whether s is a valid RFC 5322 dot-atom: atoms joined by
// single dots, with no dot at either end.
func isDotAtom(s string) bool {
	if s == "" {
		return false
	}
	for _, atom := range strings.Split(s, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			if !isAtext(atom[i]) {
				return false
			}
		}
	}
	return true
}

// isDomainChar reports whether c may appear in the domain of an envelope
// address outside an address literal.
func isDomainChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c >= 0x80
}

// parseEnvelopeAddress splits an envelope address at its last '@' outside
// quotes. The local part is returned with quotes and backslash escapes
// removed. An address without '@' has an empty domain.
func parseEnvelopeAddress(address string) (localpart, domain string, err error) {
	if address == "" {
		return "", "", errors.New("empty address")
	}

	// Find the last '@' that is not inside a quoted string.
	at := -1
	quoted := false
	for i := 0; i < len(address); i++ {
		switch c := address[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '@':
			at = i
		}
	}
	if quoted {
		return "", "", errors.New("unbalanced quotes")
	}

	local := address
	if at >= 0 {
		local, domain = address[:at], address[at+1:]
	}

	localpart, err = unquoteLocalpart(local)
	if err != nil {
		return "", "", err
	}
	if err := checkEnvelopeDomain(domain); err != nil {
		return "", "", err
	}
	return localpart, domain, nil
}

// unquoteLocalpart checks a local part made of atoms, dots and quoted
// strings, and returns it with the quoting removed.
func unquoteLocalpart(local string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '"':
			for i++; i < len(local) && local[i] != '"'; i++ {
				if local[i] == '\\' {
					i++
					if i == len(local) {
						return "", errors.New("unbalanced quotes")
					}
				}
				if local[i] == '\r' || local[i] == '\n' || local[i] == 0 {
					return "", fmt.Errorf("invalid character %q in local part", local[i])
				}
				b.WriteByte(local[i])
			}
		case c == '.' || isAtext(c):
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("invalid character %q in local part", c)
		}
	}
	return b.String(), nil
}

// checkEnvelopeDomain accepts an empty domain, a host name, or an address
// literal in brackets.
func checkEnvelopeDomain(domain string) error {
	if strings.HasPrefix(domain, "[") {
		if !strings.HasSuffix(domain, "]") || strings.ContainsAny(domain[1:len(domain)-1], "[]\\ \t\r\n") {
			return fmt.Errorf("invalid address literal %q", domain)
		}
		return nil
	}
	for i := 0; i < len(domain); i++ {
		if !isDomainChar(domain[i]) {
			return fmt.Errorf("invalid character %q in domain", domain[i])
		}
	}
	return nil
}

// escapeLocalpart returns localpart unchanged when it is a dot-atom, and
// otherwise quoted with '"' and '\' escaped.
func escapeLocalpart(localpart string) string {
	if isDotAtom(localpart) {
		return localpart
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(localpart); i++ {
		if c := localpart[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(localpart[i])
	}
	b.WriteByte('"')
	return b.String()
}

// headerFieldValue strips "Name:" from a whole header field.
func headerFieldValue(field string) (string, error) {
	_, value, ok := strings.Cut(field, ":")
	if !ok {
		return "", errors.New("header field has no colon")
	}
	return value, nil
}

// headerWordDecoder decodes RFC 2047 encoded words. Charsets other than
// UTF-8, US-ASCII and ISO-8859-1 are left encoded.
var headerWordDecoder = &mime.WordDecoder{}

// extractAddressList parses an RFC 5322 address list, with display names,
// groups and comments, into its mailboxes in order. Encoded words in
// display names are decoded.
func extractAddressList(value string) ([]*mail.Address, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	parser := mail.AddressParser{WordDecoder: headerWordDecoder}
	list, err := parser.ParseList(value)
	if err == nil {
		return list, nil
	}

	// net/mail rejects comments inside an address, such as
	// "pete(his account)@silly.test"; retry without any comments.
	if stripped := stripHeaderComments(value); stripped != value {
		if list, err2 := parser.ParseList(stripped); err2 == nil {
			return list, nil
		}
	}
	return nil, err
}

// stripHeaderComments removes RFC 5322 comments (nested parentheses,
// with backslash escapes) that are outside quoted strings.
func stripHeaderComments(value string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(value) {
					b.WriteByte(value[i+1])
				}
			}
			i++
		case depth == 0 && c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case !quoted && c == '(':
			depth++
		case !quoted && c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// compileAddress renders one mailbox for a header: the bare address
// without a name, else the name (quoted when needed, encoded when not
// ASCII) followed by the address in angle brackets.
func compileAddress(name, address string) string {
	if name == "" {
		return address
	}
	return (&mail.Address{Name: name, Address: address}).String()
}

// dkimTag is one tag=value pair of a DKIM-Signature header.
type dkimTag struct {
	name, value string
}

// decodeDKIMTags parses a DKIM tag list (RFC 6376 section 3.2). Tag names
// and values are trimmed of surrounding whitespace; a duplicate tag or a
// tag without '=' is an error. A final ';' is allowed.
func decodeDKIMTags(value string) ([]dkimTag, error) {
	var tags []dkimTag
	seen := map[string]bool{}

	specs := strings.Split(value, ";")
	for i, spec := range specs {
		if strings.TrimSpace(spec) == "" {
			if i == len(specs)-1 {
				break
			}
			return nil, errors.New("empty tag")
		}

		name, val, ok := strings.Cut(spec, "=")
		if !ok {
			return nil, fmt.Errorf("tag %q has no value", strings.TrimSpace(spec))
		}
		name = strings.TrimSpace(name)
		if !isDKIMTagName(name) {
			return nil, fmt.Errorf("invalid tag name %q", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate tag %q", name)
		}
		seen[name] = true
		tags = append(tags, dkimTag{name, strings.Trim(val, " \t\r\n")})
	}
	return tags, nil
}

// isDKIMTagName checks the tag-name rule: ALPHA followed by ALPHA, DIGIT
// or '_'.
func isDKIMTagName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if i == 0 && !alpha || !alpha && c != '_' && !('0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"envelope_address_parse":     builtinEnvelopeAddressParse,
		"envelope_localpart_escape":  builtinEnvelopeLocalpartEscape,
		"header_addresslist_extract": builtinHeaderAddresslistExtract,
		"header_addresslist_compile": builtinHeaderAddresslistCompile,
		"header_dkim_decode":         builtinHeaderDKIMDecode,
	})
	registerAlias("GetAddressList", "header_addresslist_extract")
}

func builtinEnvelopeAddressParse(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	address, err := newLibArgs(c, args).str(0, "address")
	if err != nil {
		return vm.None, err
	}
	localpart, domain, err := parseEnvelopeAddress(address)
	if err != nil {
		return vm.None, nil
	}
	result := vm.NewArray(2)
	result.SetStr("localpart", vm.String(localpart))
	result.SetStr("domain", vm.String(domain))
	return vm.ArrayValue(result), nil
}

func builtinEnvelopeLocalpartEscape(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	localpart, err := newLibArgs(c, args).str(0, "localpart")
	if err != nil {
		return vm.None, err
	}
	return vm.String(escapeLocalpart(localpart)), nil
}

// headerValueArgs reads (value [, options]) with the field option, which
// says that value is a whole "Name: value" header field.
func headerValueArgs(c *vm.Call, args []vm.Value) (string, libOptions, error) {
	a := newLibArgs(c, args)
	value, err := a.str(0, "value")
	if err != nil {
		return "", libOptions{}, err
	}
	opts, err := a.options(1)
	if err != nil {
		return "", libOptions{}, err
	}
	isField, err := opts.boolean("field", false)
	if err != nil {
		return "", libOptions{}, err
	}
	if isField {
		if value, err = headerFieldValue(value); err != nil {
			return "", opts, errNotParsed
		}
	}
	return value, opts, nil
}

// errNotParsed marks input that a function reports as none.
var errNotParsed = errors.New("input could not be parsed")

func builtinHeaderAddresslistExtract(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	value, opts, err := headerValueArgs(c, args)
	if errors.Is(err, errNotParsed) {
		return vm.None, nil
	}
	if err != nil {
		return vm.None, err
	}
	withNames, err := opts.boolean("name", false)
	if err != nil {
		return vm.None, err
	}

	list, err := extractAddressList(value)
	if err != nil {
		return vm.None, nil
	}
	result := vm.NewArray(len(list))
	for _, addr := range list {
		item := vm.String(addr.Address)
		if withNames {
			pair := vm.NewArray(2)
			pair.SetStr("name", vm.String(addr.Name))
			pair.SetStr("address", vm.String(addr.Address))
			item = vm.ArrayValue(pair)
		}
		if err := result.Append(item); err != nil {
			return vm.None, err
		}
	}
	return vm.ArrayValue(result), nil
}

// builtinHeaderAddresslistCompile joins addresses, given as strings or as
// ["name" => ..., "address" => ...] arrays, into a header value.
func builtinHeaderAddresslistCompile(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	list, err := newLibArgs(c, args).array(0, "addresses")
	if err != nil {
		return vm.None, err
	}

	parts := make([]string, 0, list.Len())
	for _, item := range list.All() {
		if item.Kind() == vm.KindArray {
			fields := nestedOptions(c, item.Array(), "address item")
			name, _, err := fields.str("name", "")
			if err != nil {
				return vm.None, err
			}
			address, _, err := fields.str("address", "")
			if err != nil {
				return vm.None, err
			}
			parts = append(parts, compileAddress(name, address))
			continue
		}
		address, ok := convertString(item)
		if !ok {
			return vm.None, c.Errorf("addresses must contain strings or arrays, got %s", item.TypeName())
		}
		parts = append(parts, address)
	}
	return vm.String(strings.Join(parts, ", ")), nil
}

func builtinHeaderDKIMDecode(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	value, _, err := headerValueArgs(c, args)
	if errors.Is(err, errNotParsed) {
		return vm.None, nil
	}
	if err != nil {
		return vm.None, err
	}
	tags, err := decodeDKIMTags(value)
	if err != nil {
		return vm.None, nil
	}
	result := vm.NewArray(len(tags))
	for _, tag := range tags {
		result.SetStr(tag.name, vm.String(tag.value))
	}
	return vm.ArrayValue(result), nil
}
