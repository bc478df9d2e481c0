package server

import (
	"fmt"
	"os"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/config"
	"github.com/halonsh/halonsh/mta/hooks"
	"github.com/halonsh/halonsh/mta/queue"
)

// ScriptHooks is the HookLoader that compiles the configured pre- and
// post-delivery scripts against the standard library. queue_policy,
// queue_suspend and queue_policy_delete in the scripts act on the running
// policy engine at once.
func ScriptHooks(cfg *config.Config, env HookEnv) (queue.Hooks, error) {
	pre, post := cfg.Scripting.PreDelivery, cfg.Scripting.PostDelivery
	if pre == "" && post == "" {
		return queue.DefaultHooks{}, nil
	}
	lib := vm.NewLibrary()
	builtins.Install(lib)
	// FFI is always defined, so scripts that mention it compile; it only
	// works when the configuration lists the libraries it may load.
	ffi.Install(lib, ffi.Config{
		Enabled:       len(cfg.Scripting.FFILibraries) > 0,
		Libraries:     cfg.Scripting.FFILibraries,
		MaxAllocation: int(cfg.Scripting.FFIMaxAllocation),
	})

	runner := &hooks.Runner{
		Queue:  &liveQueue{PolicyQueue: &hooks.PolicyQueue{Engine: env.Policy}, queue: env.Queue},
		Logger: env.Logger,
	}
	var err error
	// The configuration directory is the script root, whatever folder
	// a hook sits in.
	root := cfg.Dir
	if runner.Pre, err = compileHook(lib, hooks.PreDelivery, root, pre); err != nil {
		return nil, err
	}
	if runner.Post, err = compileHook(lib, hooks.PostDelivery, root, post); err != nil {
		return nil, err
	}
	return runner, nil
}

func compileHook(lib *vm.Library, kind hooks.Kind, root, path string) (*hooks.Script, error) {
	if path == "" {
		return nil, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scripting.hooks.%s: %w", kind, err)
	}
	return hooks.CompileIn(lib, kind, root, path, src)
}

// liveQueue notifies the queue when a script changes a limit, so that parked
// sub-queues are rechecked at once instead of at their next recheck.
type liveQueue struct {
	*hooks.PolicyQueue
	queue *queue.Queue
}

func (l *liveQueue) AddPolicy(p builtins.DynamicPolicy, update bool) (string, error) {
	id, err := l.PolicyQueue.AddPolicy(p, update)
	if err == nil {
		l.queue.PolicyChanged()
	}
	return id, err
}

func (l *liveQueue) DeleteDynamic(id string) bool {
	ok := l.PolicyQueue.DeleteDynamic(id)
	if ok {
		l.queue.PolicyChanged()
	}
	return ok
}
