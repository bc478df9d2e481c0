package vm

import "testing"

func TestArrayAllSkipsDeleted(t *testing.T) {
	a := NewArray(0)
	a.Set(StrKey("x"), Int(1))
	a.Set(StrKey("y"), Int(2))
	a.Set(StrKey("z"), Int(3))
	a.Delete(StrKey("y"))

	var keys []string
	for k := range a.All() {
		keys = append(keys, k.Str())
	}
	if len(keys) != 2 || keys[0] != "x" || keys[1] != "z" {
		t.Errorf("All() keys = %v, want [x z]", keys)
	}
}
