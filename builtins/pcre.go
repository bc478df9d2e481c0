package builtins

// Regular expression builtins with PCRE semantics (see pcre_syntax.go).

import (
	"container/list"
	"strconv"
	"strings"
	"sync"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	// Regex literals and =~ compile through the same translation as the
	// pcre_* functions, so a pattern matches the same subjects in both.
	registerInstaller(func(*vm.Library) {
		vm.SetRegexEngine(func(pattern, flags string) (vm.RegexMatcher, error) {
			f, err := parseRegexFlags(flags)
			if err != nil {
				return nil, err
			}
			return cachedPCRE(pattern, f)
		})
	})
	registerFuncs(map[string]vm.BuiltinFunc{
		"pcre_compile":   builtinPCRECompile,
		"pcre_match":     builtinPCREMatch,
		"pcre_match_all": builtinPCREMatchAll,
		"pcre_quote":     builtinPCREQuote,
		"pcre_replace":   builtinPCREReplace,
	})
}

// pcreCacheSize bounds the process-wide cache of compiled patterns.
const pcreCacheSize = 1000

// pcreCache maps flags and pattern text to compiled patterns, least
// recently used first out.
var pcreCache = struct {
	sync.Mutex
	order *list.List // of *pcreCacheEntry, most recent first
	items map[string]*list.Element
}{order: list.New(), items: map[string]*list.Element{}}

type pcreCacheEntry struct {
	key string
	re  *pcreRegex
}

// cachedPCRE compiles pattern with flags, or returns the cached result.
func cachedPCRE(pattern string, flags regexFlags) (*pcreRegex, error) {
	key := flags.String() + "/" + pattern
	pcreCache.Lock()
	if el, ok := pcreCache.items[key]; ok {
		pcreCache.order.MoveToFront(el)
		re := el.Value.(*pcreCacheEntry).re
		pcreCache.Unlock()
		return re, nil
	}
	pcreCache.Unlock()

	re, err := compilePCRE(pattern, flags)
	if err != nil {
		return nil, err
	}

	pcreCache.Lock()
	defer pcreCache.Unlock()
	if _, ok := pcreCache.items[key]; !ok {
		pcreCache.items[key] = pcreCache.order.PushFront(&pcreCacheEntry{key: key, re: re})
		if pcreCache.order.Len() > pcreCacheSize {
			oldest := pcreCache.order.Back()
			pcreCache.order.Remove(oldest)
			delete(pcreCache.items, oldest.Value.(*pcreCacheEntry).key)
		}
	}
	return re, nil
}

// patternArg reads a pattern argument: a regex value, or a string that is
// either /pattern/flags or a whole pattern without flags.
func patternArg(c *vm.Call, args []vm.Value, i int) (*pcreRegex, error) {
	v := args[i]
	var pattern string
	var flags regexFlags
	switch v.Kind() {
	case vm.KindRegex:
		r := v.Regex()
		var err error
		if flags, err = parseRegexFlags(r.Flags); err != nil {
			return nil, c.Errorf("invalid pattern %s: %v", r, err)
		}
		pattern = r.Pattern
	case vm.KindString, vm.KindNumber:
		text, _ := convertString(v)
		var err error
		if pattern, flags, err = splitDelimitedPattern(text); err != nil {
			return nil, c.Errorf("invalid pattern %q: %v", text, err)
		}
	default:
		return nil, c.ArgError(i, "pattern", "a regex or a string", v)
	}

	re, err := cachedPCRE(pattern, flags)
	if err != nil {
		return nil, c.Errorf("invalid pattern /%s/%s: %v", pattern, flags, err)
	}
	return re, nil
}

// builtinPCRECompile compiles a pattern once for reuse with =~ and the
// pcre_* functions.
func builtinPCRECompile(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	if args[0].Kind() == vm.KindRegex {
		return args[0], nil
	}
	re, err := patternArg(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	value, err := vm.CompileRegex(re.pattern, re.flags.String())
	if err != nil {
		return vm.None, c.Errorf("invalid pattern %s: %v", re, err)
	}
	return vm.RegexValue(value), nil
}

// matchArray builds the pcre_match result for one match: the whole match
// and each group by number, named groups also under their names (before
// their number, as PCRE lists them). A group that did not take part is "".
func matchArray(re *pcreRegex, m *pcreMatch) *vm.Array {
	out := vm.NewArray(re.groupCount + 1)
	for i := 0; i <= re.groupCount; i++ {
		text, _ := m.Group(i)
		if name := re.groupNames[i]; name != "" {
			out.Set(vm.StrKey(name), vm.String(text))
		}
		out.Set(vm.IntKey(int32(i)), vm.String(text))
	}
	return out
}

func patternAndSubject(c *vm.Call, args []vm.Value, min, max int) (*pcreRegex, string, error) {
	if err := c.Arity(args, min, max); err != nil {
		return nil, "", err
	}
	re, err := patternArg(c, args, 0)
	if err != nil {
		return nil, "", err
	}
	subject, err := newLibArgs(c, args).str(min-1, "subject")
	if err != nil {
		return nil, "", err
	}
	return re, subject, nil
}

func builtinPCREMatch(c *vm.Call, args []vm.Value) (vm.Value, error) {
	re, subject, err := patternAndSubject(c, args, 2, 2)
	if err != nil {
		return vm.None, err
	}
	result := vm.NewArray(0)
	err = re.FindEach(subject, 1, func(m *pcreMatch) (bool, error) {
		result = matchArray(re, m)
		return false, nil
	})
	if err != nil {
		return vm.None, c.Errorf("%v", err)
	}
	return vm.ArrayValue(result), nil
}

// builtinPCREMatchAll returns all non-overlapping matches grouped by
// group: [0 => [whole, ...], 1 => [group 1, ...], name => [...]], or []
// when nothing matches.
func builtinPCREMatchAll(c *vm.Call, args []vm.Value) (vm.Value, error) {
	re, subject, err := patternAndSubject(c, args, 2, 2)
	if err != nil {
		return vm.None, err
	}
	columns := make([][]vm.Value, re.groupCount+1)
	err = re.FindEach(subject, 0, func(m *pcreMatch) (bool, error) {
		for i := range columns {
			text, _ := m.Group(i)
			columns[i] = append(columns[i], vm.String(text))
		}
		return true, nil
	})
	if err != nil {
		return vm.None, c.Errorf("%v", err)
	}

	result := vm.NewArray(0)
	if len(columns[0]) == 0 {
		return vm.ArrayValue(result), nil
	}
	for i, column := range columns {
		if name := re.groupNames[i]; name != "" {
			result.Set(vm.StrKey(name), vm.ArrayValue(vm.NewList(append([]vm.Value(nil), column...))))
		}
		result.Set(vm.IntKey(int32(i)), vm.ArrayValue(vm.NewList(column)))
	}
	return vm.ArrayValue(result), nil
}

// pcreQuoteSet lists the bytes pcre_quote escapes with a backslash.
const pcreQuoteSet = `.\+*?[^]$(){}=!<>|:-#/`

func builtinPCREQuote(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	s, err := newLibArgs(c, args).str(0, "string")
	if err != nil {
		return vm.None, err
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == 0:
			b.WriteString(`\000`)
		case strings.IndexByte(pcreQuoteSet, ch) >= 0:
			b.WriteByte('\\')
			b.WriteByte(ch)
		default:
			b.WriteByte(ch)
		}
	}
	return vm.String(b.String()), nil
}

// builtinPCREReplace replaces up to limit matches (0: all). A string
// replacement may refer to groups as $n or ${n} (n from 0 to 99); a
// function replacement is called with the pcre_match array of each match
// and string() of its result is inserted.
func builtinPCREReplace(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 4); err != nil {
		return vm.None, err
	}
	re, err := patternArg(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	replacement := args[1]
	var template string
	if replacement.Kind() != vm.KindFunction {
		if template, err = a.str(1, "replace"); err != nil {
			return vm.None, c.ArgError(1, "replace", "a string or a function", replacement)
		}
	}
	subject, err := a.str(2, "subject")
	if err != nil {
		return vm.None, err
	}
	var limit int64
	if len(args) > 3 {
		if limit, err = a.integer(3, "limit"); err != nil {
			return vm.None, err
		}
	}
	if limit < 0 {
		limit = 0
	}

	var b strings.Builder
	last := 0
	err = re.FindEach(subject, int(limit), func(m *pcreMatch) (bool, error) {
		b.WriteString(subject[last:m.spans[0]])
		last = m.spans[1]
		if replacement.Kind() != vm.KindFunction {
			expandReplacement(&b, template, m)
			return true, nil
		}
		r, err := c.Call(replacement, vm.ArrayValue(matchArray(re, m)))
		if err != nil {
			return false, err
		}
		b.WriteString(r.String())
		return true, nil
	})
	if err != nil {
		if _, isScriptError := err.(*vm.Error); isScriptError {
			return vm.None, err
		}
		return vm.None, c.Errorf("%v", err)
	}
	b.WriteString(subject[last:])
	return vm.String(b.String()), nil
}

// expandReplacement writes template with $n and ${n} replaced by the
// groups of m. A reference to a group the pattern does not have, or one
// that did not take part, inserts "".
func expandReplacement(b *strings.Builder, template string, m *pcreMatch) {
	for i := 0; i < len(template); i++ {
		ch := template[i]
		if ch != '$' || i+1 >= len(template) {
			b.WriteByte(ch)
			continue
		}

		var digits string
		end := i + 1
		if template[end] == '{' {
			close := strings.IndexByte(template[end:], '}')
			if close < 2 || close > 3 || !isDecimal(template[end+1:end+close]) {
				b.WriteByte(ch)
				continue
			}
			digits = template[end+1 : end+close]
			end += close + 1
		} else {
			for end < len(template) && end-i <= 2 && template[end] >= '0' && template[end] <= '9' {
				end++
			}
			digits = template[i+1 : end]
			if digits == "" {
				b.WriteByte(ch)
				continue
			}
		}

		n, _ := strconv.Atoi(digits)
		if 2*n+1 < len(m.spans) {
			text, _ := m.Group(n)
			b.WriteString(text)
		}
		i = end - 1
	}
}
