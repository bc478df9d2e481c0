package vm

// Proto is a compiled function body: code, constants and frame layout.
type Proto struct {
	Name string
}

// userClass is the compiled form of an HSL class declaration.
type userClass struct{}
