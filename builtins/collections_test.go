package builtins

import (
	"sync"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestMapConcurrentMerge(t *testing.T) {
	m, err := newMap(&vm.Call{}, []vm.Value{vStr("string"), vStr("number")})
	if err != nil {
		t.Fatal(err)
	}
	obj := m.Object()

	const workers, merges = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < merges; i++ {
				if _, err := mapMerge(&vm.Call{}, obj, []vm.Value{vStr("hits"), vNum(1)}); err != nil {
					t.Error(err)
					return
				}
				if _, err := collectionSize(&vm.Call{}, obj, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()

	got, err := mapGet(&vm.Call{}, obj, []vm.Value{vStr("hits")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Num() != workers*merges {
		t.Errorf("hits = %v after %d concurrent merges, want %d", got.Num(), workers*merges, workers*merges)
	}
}

func TestPCRECacheConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				pattern := `(\d+)-` + string(rune('a'+(i+w)%26))
				re, err := cachedPCRE(pattern, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if ok, err := re.MatchString("12-" + string(rune('a'+(i+w)%26))); err != nil || !ok {
					t.Errorf("%s did not match: %v", pattern, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}
