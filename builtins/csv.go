package builtins

// csv_encode and csv_decode (parsing in csv_parse.go).

import "github.com/halonsh/halonsh/lang/vm"

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"csv_encode": builtinCSVEncode,
		"csv_decode": builtinCSVDecode,
	})
}

// delimiterOption reads the one-byte `delimiter` option (default ",").
func delimiterOption(c *vm.Call, opts libOptions) (byte, error) {
	d, _, err := opts.str("delimiter", ",")
	if err != nil {
		return 0, err
	}
	if len(d) != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n' {
		return 0, c.Errorf(`option "delimiter" must be one byte other than a quote, CR or LF, got %q`, d)
	}
	return d[0], nil
}

func builtinCSVEncode(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	values, err := a.array(0, "values")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(1)
	if err != nil {
		return vm.None, err
	}
	delim, err := delimiterOption(c, opts)
	if err != nil {
		return vm.None, err
	}

	fields := make([]string, 0, values.Len())
	values.Each(func(_ vm.Key, v vm.Value) bool {
		fields = append(fields, v.String())
		return true
	})
	return vm.String(encodeCSVRow(fields, delim)), nil
}

// csvColumn is the schema of one column.
type csvColumn struct {
	kind      string          // "string", "number" or "boolean"
	nullAll   bool            // every empty cell is none
	nullTexts map[string]bool // cell texts that mean none
	trueTexts map[string]bool
	falseText map[string]bool
}

// csvSchema reads the `schema` option: column name (or 0-based index
// without a header) → column settings.
func csvSchema(c *vm.Call, opts libOptions) (map[vm.Key]*csvColumn, error) {
	schema, err := opts.array("schema")
	if err != nil || schema == nil {
		return nil, err
	}
	columns := map[vm.Key]*csvColumn{}
	err = eachPair(schema, func(k vm.Key, v vm.Value) error {
		label := "schema " + k.String()
		if v.Kind() != vm.KindArray {
			return c.Errorf("%s must be an array, got %s", label, v.TypeName())
		}
		entry := nestedOptions(c, v.Array(), label+" option")
		col := &csvColumn{
			trueTexts: map[string]bool{"true": true},
			falseText: map[string]bool{"false": true},
		}

		var err error
		if col.kind, _, err = entry.str("type", "string"); err != nil {
			return err
		}
		if col.kind != "string" && col.kind != "number" && col.kind != "boolean" {
			return c.Errorf(`%s: type must be "string", "number" or "boolean", got %q`, label, col.kind)
		}
		if nullable, ok := entry.get("nullable"); ok {
			if nullable.Kind() == vm.KindArray {
				if col.nullTexts, err = textSet(c, nullable.Array(), label+" nullable"); err != nil {
					return err
				}
			} else if col.nullAll, err = entry.boolean("nullable", false); err != nil {
				return err
			}
		}
		for _, name := range []string{"true", "false"} {
			list, err := entry.array(name)
			if err != nil {
				return err
			}
			if list == nil {
				continue
			}
			set, err := textSet(c, list, label+" "+name)
			if err != nil {
				return err
			}
			if name == "true" {
				col.trueTexts = set
			} else {
				col.falseText = set
			}
		}
		columns[k] = col
		return nil
	})
	return columns, err
}

func textSet(c *vm.Call, list *vm.Array, label string) (map[string]bool, error) {
	set := map[string]bool{}
	err := eachPair(list, func(_ vm.Key, v vm.Value) error {
		s, ok := convertString(v)
		if !ok {
			return c.Errorf("%s must contain strings, got %s", label, v.TypeName())
		}
		set[s] = true
		return nil
	})
	return set, err
}

// cell converts one cell by the column schema; ok is false when the text
// does not fit the type.
func (col *csvColumn) cell(text string) (vm.Value, bool) {
	if col == nil {
		return vm.String(text), true
	}
	if col.nullAll && text == "" || col.nullTexts[text] {
		return vm.None, true
	}
	switch col.kind {
	case "number":
		if !isNumericText(text) {
			return vm.None, false
		}
		return vm.Number(vm.ParseNumber(text)), true
	case "boolean":
		switch {
		case col.trueTexts[text]:
			return vm.True, true
		case col.falseText[text]:
			return vm.False, true
		}
		return vm.None, false
	}
	return vm.String(text), true
}

// builtinCSVDecode returns the rows of a CSV text: arrays keyed by the
// header row's names, or lists without a header. A row whose field count
// differs, invalid quoting, or a cell that does not fit its schema type
// gives none.
func builtinCSVDecode(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	text, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(1)
	if err != nil {
		return vm.None, err
	}
	delim, err := delimiterOption(c, opts)
	if err != nil {
		return vm.None, err
	}
	header, err := opts.boolean("header", true)
	if err != nil {
		return vm.None, err
	}
	schema, err := csvSchema(c, opts)
	if err != nil {
		return vm.None, err
	}

	rows, err := parseCSV(text, delim)
	if err != nil || len(rows) == 0 {
		if err != nil {
			return vm.None, nil
		}
		return vm.ArrayValue(vm.NewArray(0)), nil
	}

	width := len(rows[0])
	var names []vm.Key
	if header {
		for _, name := range rows[0] {
			key, _ := vm.ToKey(vm.String(name))
			names = append(names, key)
		}
		rows = rows[1:]
	}
	columns := make([]*csvColumn, width)
	for i := range columns {
		key := vm.IntKey(int32(i))
		if header {
			key = names[i]
		}
		columns[i] = schema[key]
	}

	out := make([]vm.Value, 0, len(rows))
	for _, row := range rows {
		if len(row) != width {
			return vm.None, nil
		}
		record := vm.NewArray(width)
		for i, text := range row {
			v, ok := columns[i].cell(text)
			if !ok {
				return vm.None, nil
			}
			if header {
				record.Set(names[i], v)
			} else {
				record.Set(vm.IntKey(int32(i)), v)
			}
		}
		out = append(out, vm.ArrayValue(record))
	}
	return vm.ArrayValue(vm.NewList(out)), nil
}
