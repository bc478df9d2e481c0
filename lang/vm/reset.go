package vm

// ResetSharedState empties the process-wide state of scripts: every cache
// of the `cache` statement and every value of the memory store. Locks held
// by running scripts stay. The hook tester calls it between test files so
// that each starts as a fresh process would.
func ResetSharedState() {
	caches.Lock()
	caches.m = map[string]*cacheStore{}
	caches.Unlock()

	mem := SharedMemory()
	for _, key := range mem.Keys() {
		mem.Delete(key)
	}
}
