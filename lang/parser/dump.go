package parser

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Dump renders a syntax tree as indented text, one node per line with its
// LINE:COL, scalar fields inline and child nodes below. Fields holding
// their zero value are left out. Golden tests compare against this form,
// and it is meant for debugging, not as a stable interface.
func Dump(node any) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(node), 0, "")
	return b.String()
}

var (
	posType = reflect.TypeOf(Pos{})
	opType  = reflect.TypeOf(Op(0))
)

func dumpValue(b *strings.Builder, v reflect.Value, depth int, label string) {
	indent := strings.Repeat("  ", depth)
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}

	if v.Kind() == reflect.Slice {
		for i := 0; i < v.Len(); i++ {
			dumpValue(b, v.Index(i), depth, label)
		}
		return
	}
	if v.Kind() != reflect.Struct {
		fmt.Fprintf(b, "%s%s%s\n", indent, label, scalarText(v))
		return
	}

	t := v.Type()
	b.WriteString(indent)
	b.WriteString(label)
	b.WriteString(t.Name())

	var children []int
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		switch {
		case f.Type == posType:
			if f.Name == "At" {
				pos := fv.Interface().(Pos)
				fmt.Fprintf(b, " @%d:%d", pos.Line, pos.Col)
			}
		case fv.IsZero():
		case f.Type == opType:
			fmt.Fprintf(b, " %s=%q", f.Name, fv.Interface().(Op).String())
		case isScalar(fv.Kind()), f.Type == reflect.TypeOf(Modifiers{}):
			fmt.Fprintf(b, " %s=%s", f.Name, scalarText(fv))
		default:
			children = append(children, i)
		}
	}
	b.WriteByte('\n')

	for _, i := range children {
		dumpValue(b, v.Field(i), depth+1, t.Field(i).Name+": ")
	}
}

func isScalar(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Float64:
		return true
	}
	return false
}

func scalarText(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case reflect.Struct:
		return fmt.Sprintf("%+v", v.Interface())
	}
	return fmt.Sprint(v.Interface())
}
