package builtins

import (
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestAliasTargetsExist(t *testing.T) {
	lib := vm.NewLibrary()
	Install(lib)
	for oldName, name := range registeredAliases {
		if _, ok := lib.Func(name); !ok {
			t.Errorf("alias %s names %s, which no group defines", oldName, name)
		}
		if _, ok := lib.Func(oldName); !ok {
			t.Errorf("alias %s is not installed", oldName)
		}
	}
}

func TestInstallDefinesEveryGroup(t *testing.T) {
	lib := vm.NewLibrary()
	Install(lib)
	for _, name := range []string{"length", "array_map", "json_decode", "strftime", "pcre_match", "base64_encode", "csv_decode", "pack", "Map", "Set", "round", "str_split", "explode"} {
		if _, ok := lib.Func(name); !ok {
			t.Errorf("%s is not installed", name)
		}
	}
}
