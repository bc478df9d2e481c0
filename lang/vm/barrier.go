package vm

// enterBarrier takes the process-wide lock of name for this run and binds
// the variable (root, or -1 for none) to the stored value. Inside a
// memory callback only the callback's own key may be locked again.
func (th *thread) enterBarrier(name string, root int32, fr *frame) error {
	if th.keyHeld && name != th.heldKey {
		return Errorf("barrier %q: cannot lock another key inside a memory callback for key %q", name, th.heldKey)
	}
	unlock, err := sharedMemory.Lock(th.ctx, th, name)
	if err != nil {
		return &Error{Message: "barrier: " + err.Error(), Fatal: true, Err: err}
	}
	if root >= 0 {
		ref := th.rootRef(root, fr)
		if v, ok := sharedMemory.Load(name); ok {
			*ref = v
		} else {
			*ref = undef
		}
	}
	th.barriers = append(th.barriers, barrierRecord{frame: len(th.frames) - 1, root: root, key: name, unlock: unlock})
	return nil
}

// endBarrier leaves the innermost barrier: it writes the bound variable
// back (removing the entry when the variable is unset) and unlocks. A
// value that cannot be stored is dropped; the error is returned for the
// normal exit path.
func (th *thread) endBarrier() error {
	rec := th.barriers[len(th.barriers)-1]
	th.barriers = th.barriers[:len(th.barriers)-1]
	defer rec.unlock()
	if rec.root < 0 || rec.frame >= len(th.frames) {
		return nil
	}
	ref := th.rootRef(rec.root, &th.frames[rec.frame])
	if ref.kind == kindUndef {
		sharedMemory.Delete(rec.key)
		return nil
	}
	if err := sharedMemory.Store(rec.key, *ref); err != nil {
		return Errorf("barrier %q: %s", rec.key, err.Error())
	}
	return nil
}
