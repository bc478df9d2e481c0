package compile

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/halonsh/halonsh/lang/parser"
	"github.com/halonsh/halonsh/lang/vm"
)

// compileModuleAt compiles an imported file as its own module.
func (c *compiler) compileModuleAt(abs, path string, f *parser.File) (*module, error) {
	m, err := c.compileModule(path, f, false)
	if err != nil {
		return nil, err
	}
	delete(c.modules, path)
	c.modules[abs] = m
	return m, nil
}

// importData loads a data file at compile time into a read-only global.
func (fs *funcState) importData(s *parser.ImportDataStmt) {
	if !fs.isTop {
		fs.errorf(s.At, "import is only allowed at the top level")
	}
	p := s.Path.Value
	loader := strings.TrimPrefix(filepath.Ext(p), ".")
	if i := strings.Index(p, "!"); i >= 0 {
		loader = p[:i]
	}
	path := fs.c.resolvePath(s.At.File, s.Path.At, p)
	src := fs.c.read(s.Path.At, path)
	opts := map[string]vm.Value{}
	if s.Options != nil {
		v, ok := fs.constValue(s.Options)
		if !ok {
			fs.errorf(s.Options.At, "import options must be a constant array")
		}
		for k, x := range v.Array().All() {
			opts[k.Str()] = x
		}
	}
	var val vm.Value
	var err error
	switch loader {
	case "json":
		if len(opts) > 0 {
			fs.errorf(s.Options.At, "json imports take no options")
		}
		val, err = decodeJSON(src)
	case "txt":
		for k := range opts {
			if k != "array" {
				fs.errorf(s.Options.At, "unknown txt import option %q", k)
			}
		}
		if o, ok := opts["array"]; ok && o.Truthy() {
			lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
			if len(lines) > 0 && lines[len(lines)-1] == "" {
				lines = lines[:len(lines)-1]
			}
			vals := make([]vm.Value, len(lines))
			for i, l := range lines {
				vals[i] = vm.String(l)
			}
			val = vm.ArrayValue(vm.NewList(vals))
		} else {
			val = vm.String(string(src))
		}
	case "csv":
		for k := range opts {
			if k != "delimiter" && k != "header" && k != "schema" {
				fs.errorf(s.Options.At, "unknown csv import option %q", k)
			}
		}
		val, err = fs.decodeWith("csv_decode", src, s.Options, func() (vm.Value, error) { return decodeCSV(src, opts) })
	case "yaml", "yml":
		val, err = fs.decodeWith("yaml_decode", src, nil, nil)
	default:
		fs.errorf(s.Path.At, "unsupported data import type %q", loader)
	}
	if err == nil && val.IsNone() && loader != "json" {
		err = fmt.Errorf("the %s decoder returned none", loader)
	}
	if err != nil {
		fs.errorf(s.Path.At, "cannot decode %s: %v", p, err)
	}
	v, _ := vm.CopyShared(val)
	slot := fs.mod.globalSlot(s.Var.Name)
	fs.mod.consts[slot] = v
	fs.mod.readOnly[s.Var.Name] = true
	fs.assigned[s.Var.Name] = true
}

// decodeWith decodes a data file with the library's builtin decoder, or
// with fallback when the library lacks it.
func (fs *funcState) decodeWith(builtin string, src []byte, options *parser.ArrayLit, fallback func() (vm.Value, error)) (vm.Value, error) {
	if _, ok := fs.c.opts.Library.Func(builtin); !ok {
		if fallback == nil {
			return vm.None, fmt.Errorf("%s is not available", builtin)
		}
		return fallback()
	}
	args := []vm.Value{vm.String(string(src))}
	if options != nil {
		v, _ := fs.constValue(options)
		args = append(args, v)
	}
	return fs.c.opts.Library.Invoke(builtin, args...)
}

// stripJSONComments removes // and /* */ comments outside strings.
func stripJSONComments(b []byte) []byte {
	var out bytes.Buffer
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out.WriteByte(c)
			if c == '\\' && i+1 < len(b) {
				i++
				out.WriteByte(b[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
		} else if c == '/' && i+1 < len(b) && b[i+1] == '/' {
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out.WriteByte('\n')
			continue
		} else if c == '/' && i+1 < len(b) && b[i+1] == '*' {
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 {
				break
			}
			i += end + 3
			continue
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}

func decodeJSON(src []byte) (vm.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(stripJSONComments(src)))
	dec.UseNumber()
	return decodeJSONValue(dec)
}

func decodeJSONValue(dec *json.Decoder) (vm.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return vm.None, err
	}
	switch t := tok.(type) {
	case json.Delim:
		arr := vm.NewArray(0)
		if t == '[' {
			for dec.More() {
				v, err := decodeJSONValue(dec)
				if err != nil {
					return vm.None, err
				}
				arr.Append(v)
			}
		} else {
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return vm.None, err
				}
				v, err := decodeJSONValue(dec)
				if err != nil {
					return vm.None, err
				}
				arr.SetStr(kt.(string), v)
			}
		}
		if _, err := dec.Token(); err != nil {
			return vm.None, err
		}
		return vm.ArrayValue(arr), nil
	case string:
		return vm.String(t), nil
	case json.Number:
		f, err := t.Float64()
		return vm.Number(f), err
	case bool:
		return vm.Bool(t), nil
	}
	return vm.None, nil
}

func decodeCSV(src []byte, opts map[string]vm.Value) (vm.Value, error) {
	r := csv.NewReader(bytes.NewReader(src))
	if d, ok := opts["delimiter"]; ok && len(d.Str()) == 1 {
		r.Comma = rune(d.Str()[0])
	}
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return vm.None, err
	}
	header := true
	if h, ok := opts["header"]; ok {
		header = h.Truthy()
	}
	out := vm.NewArray(len(rows))
	var names []string
	for i, row := range rows {
		if header && i == 0 {
			names = row
			continue
		}
		rec := vm.NewArray(len(row))
		for j, f := range row {
			if header && j < len(names) {
				rec.SetStr(names[j], vm.String(f))
			} else {
				rec.Append(vm.String(f))
			}
		}
		out.Append(vm.ArrayValue(rec))
	}
	return vm.ArrayValue(out), nil
}

// cache compiles `cache [options] f(args)`.
func (fs *funcState) cache(e *parser.CacheExpr) {
	if e.Options != nil {
		for _, it := range e.Options.Items {
			if k, ok := it.Key.(*parser.StringLit); ok {
				known := false
				for _, n := range vm.CacheOptionNames {
					known = known || n == k.Value
				}
				if !known {
					fs.errorf(k.At, "unknown cache option %q", k.Value)
				}
			}
		}
	}
	var fn vm.Value
	var id string
	switch c := e.Callee.(type) {
	case *parser.Ident:
		fn = fs.resolveFunc(c.Name, c.At, true)
		id = fs.mod.name + ":" + c.Name
		if fn.Function().IsBuiltin() {
			id = "builtin:" + c.Name
		}
	case *parser.BuiltinExpr:
		v, ok := fs.c.opts.Library.Func(c.Name)
		if !ok {
			fs.errorf(c.At, "undefined builtin function %s", c.Name)
		}
		fn, id = v, "builtin:"+c.Name
	default:
		fs.errorf(e.Callee.Pos(), "cache needs a named function")
	}
	if fi, _ := fs.lookupFunc(funcName(e.Callee)); fi != nil && fi.decl != nil {
		id = fi.decl.At.String() + ":" + fi.decl.Name
	}
	site := &vm.CacheSite{Fn: fn, ID: id}
	if e.Options != nil {
		fs.expr(e.Options)
	} else {
		fs.emit(vm.OpNewArray, 0, 0)
	}
	args := make([]*parser.Arg, len(e.Args))
	copy(args, e.Args)
	fs.argArray(args)
	fs.pos = e.At
	fs.emit(vm.OpCache, fs.constIndex(vm.ResourceValue(&vm.Resource{Type: "CacheSite", Data: site}), nil), 0)
}

func funcName(e parser.Expr) string {
	if id, ok := e.(*parser.Ident); ok {
		return id.Name
	}
	return ""
}
