package vm

import (
	"encoding/json"
	"testing"
)

func TestToPlainShapes(t *testing.T) {
	inner := NewList([]Value{Int(1), String("two")})
	a := NewArray(0)
	a.SetStr("list", ArrayValue(inner))
	a.Set(IntKey(7), True)
	a.SetStr("none", None)

	got, err := json.Marshal(ToPlain(ArrayValue(a)))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"7":true,"list":[1,"two"],"none":null}`; string(got) != want {
		t.Errorf("ToPlain = %s, want %s", got, want)
	}
}
