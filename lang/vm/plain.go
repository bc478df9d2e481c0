package vm

import "strconv"

// ToPlain converts a value made of none, booleans, numbers, strings and
// arrays to Go values that encoding/json writes: nil, bool, float64,
// string, []any for arrays keyed 0..n-1 and map[string]any for other
// arrays. Other kinds become their display form. Hosts use it to report
// the memory store.
func ToPlain(v Value) any {
	switch v.Kind() {
	case KindNone:
		return nil
	case KindBool:
		return v.Bool()
	case KindNumber:
		return v.Num()
	case KindString:
		return v.Str()
	case KindArray:
		a := v.Array()
		if a.IsList() {
			out := make([]any, 0, a.Len())
			for _, item := range a.Values() {
				out = append(out, ToPlain(item))
			}
			return out
		}
		out := make(map[string]any, a.Len())
		a.Each(func(k Key, item Value) bool {
			name := k.Str()
			if !k.IsString() {
				name = strconv.Itoa(int(k.Int()))
			}
			out[name] = ToPlain(item)
			return true
		})
		return out
	}
	return v.String()
}
