package builtins

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/halonsh/halonsh/lang/vm"
)

// FileClass is the File class: a read-only file opened from a path, a
// FileResource or an in-memory string.
var FileClass = &vm.Class{Name: "File"}

func init() {
	FileClass.New = builtinFileNew
	FileClass.Methods = map[string]vm.MethodFunc{
		"read":     fileMethod(fileRead),
		"readline": fileMethod(fileReadline),
		"seek":     fileMethod(fileSeek),
		"tell":     fileMethod(fileTell),
		"getPath":  fileMethod(fileGetPath),
		"close":    builtinFileClose,
	}
	FileClass.Statics = map[string]vm.BuiltinFunc{
		"String": builtinFileString,
		"read":   builtinFileReadAll,
	}
	registerClass(FileClass)
}

// FileResourceType is the resource type name of file handles that hosts
// hand to scripts, such as $message["file"]. The resource's Data is a path
// (string), the content ([]byte), or a FileSource.
const FileResourceType = "FileResource"

// FileSource is a file a host can open many times, such as a spooled
// message with edits applied.
type FileSource interface {
	Open() (io.ReaderAt, int64, io.Closer, error)
	Path() string
}

// fileHandle is the native state of a File object. Reads go through
// ReadAt at an explicit position, so readline, seek and tell stay exact
// without a buffered reader getting ahead of the position.
type fileHandle struct {
	mu     sync.Mutex
	data   io.ReaderAt
	size   int64
	pos    int64
	path   string
	closer io.Closer
	closed bool
}

// newFileObject wraps an open handle in a File object; the file is
// closed when the object is collected, unless the script closed it.
func newFileObject(h *fileHandle) vm.Value {
	obj := vm.NewObject(FileClass, h)
	if h.closer != nil {
		runtime.AddCleanup(obj, func(h *fileHandle) { h.close() }, h)
	}
	return vm.ObjectValue(obj)
}

// NewFileFromBytes returns a File object reading data, for builtins that
// hand content to scripts as a file (MIME toFile).
func NewFileFromBytes(data []byte) vm.Value {
	return newFileObject(&fileHandle{data: bytes.NewReader(data), size: int64(len(data))})
}

func (h *fileHandle) close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	if h.closer != nil {
		return h.closer.Close()
	}
	return nil
}

// openFilePath opens path read-only.
func openFilePath(path string) (*fileHandle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if info.IsDir() {
		f.Close()
		return nil, errors.New("is a directory")
	}
	return &fileHandle{data: f, size: info.Size(), path: path, closer: f}, nil
}

// resolveScriptPath resolves a path the way imports name files: a
// "file://" or "file:" prefix or a plain relative name resolves from the
// program's script root, a name starting with "./" or "../" from the
// directory of the script making the call, and an absolute path stands
// as it is.
func resolveScriptPath(c *vm.Call, name string) string {
	if rest, ok := strings.CutPrefix(name, "file://"); ok {
		return filepath.Join(c.Root(), rest)
	}
	if rest, ok := strings.CutPrefix(name, "file:"); ok {
		return filepath.Join(c.Root(), rest)
	}
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") {
		dir := "."
		if pos := c.Pos(); pos.File != "" {
			dir = filepath.Dir(pos.File)
		}
		return filepath.Join(dir, name)
	}
	return filepath.Join(c.Root(), name)
}

// builtinFileNew is File(x): x is a FileResource or a path.
func builtinFileNew(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}

	if r := args[0].Resource(); r != nil {
		h, err := openFileResource(r)
		if err != nil {
			return vm.None, c.Errorf("cannot open %s: %v", r.Type, err)
		}
		return newFileObject(h), nil
	}

	name, err := newLibArgs(c, args).str(0, "x")
	if err != nil {
		return vm.None, c.ArgError(0, "x", "a path or a FileResource", args[0])
	}
	path := resolveScriptPath(c, name)
	h, err := openFilePath(path)
	if err != nil {
		return vm.None, c.Errorf("cannot open %q: %v", name, unwrapPathError(err))
	}
	return newFileObject(h), nil
}

func openFileResource(r *vm.Resource) (*fileHandle, error) {
	switch data := r.Data.(type) {
	case string:
		return openFilePath(data)
	case []byte:
		return &fileHandle{data: bytes.NewReader(data), size: int64(len(data))}, nil
	case FileSource:
		ra, size, closer, err := data.Open()
		if err != nil {
			return nil, err
		}
		return &fileHandle{data: ra, size: size, path: data.Path(), closer: closer}, nil
	}
	return nil, errors.New("unsupported resource data")
}

// unwrapPathError drops the "open PATH:" prefix that os errors repeat.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileMethod wraps a method that needs an open handle; calls after
// close() raise.
func fileMethod(fn func(c *vm.Call, h *fileHandle, args []vm.Value) (vm.Value, error)) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		h := this.Native.(*fileHandle)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.closed {
			return vm.None, c.Errorf("file is closed")
		}
		return fn(c, h, args)
	}
}

// fileRead is ->read([length]): up to length bytes, or the rest of the
// file; "" at the end.
func fileRead(c *vm.Call, h *fileHandle, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 1); err != nil {
		return vm.None, err
	}
	want := h.size - h.pos
	a := newLibArgs(c, args)
	if a.has(0) {
		n, err := a.integer(0, "length")
		if err != nil {
			return vm.None, err
		}
		if n < 0 {
			return vm.None, c.Errorf("argument 1 (length) must not be negative, got %d", n)
		}
		want = min(want, n)
	}
	if want <= 0 {
		return vm.String(""), nil
	}

	buf := make([]byte, want)
	n, err := h.data.ReadAt(buf, h.pos)
	if err != nil && !errors.Is(err, io.EOF) {
		return vm.None, nil
	}
	h.pos += int64(n)
	return vm.Bytes(buf[:n]), nil
}

// fileReadline is ->readline(): the next line without its CRLF or LF, or
// false when no lines remain.
func fileReadline(c *vm.Call, h *fileHandle, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if h.pos >= h.size {
		return vm.False, nil
	}

	var line []byte
	chunk := make([]byte, 4096)
	for h.pos < h.size {
		n, err := h.data.ReadAt(chunk, h.pos)
		if n == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return vm.None, nil
		}
		if i := bytes.IndexByte(chunk[:n], '\n'); i >= 0 {
			line = append(line, chunk[:i]...)
			h.pos += int64(i + 1)
			return vm.Bytes(bytes.TrimSuffix(line, []byte("\r"))), nil
		}
		line = append(line, chunk[:n]...)
		h.pos += int64(n)
	}
	return vm.Bytes(bytes.TrimSuffix(line, []byte("\r"))), nil
}

// fileSeek is ->seek(offset [, whence]) with SEEK_SET, SEEK_CUR or
// SEEK_END; it returns the new position, none for a position before the
// start.
func fileSeek(c *vm.Call, h *fileHandle, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	offset, err := a.integer(0, "offset")
	if err != nil {
		return vm.None, err
	}
	whence := "SEEK_SET"
	if a.has(1) {
		if whence, err = a.str(1, "whence"); err != nil {
			return vm.None, err
		}
	}

	var base int64
	switch whence {
	case "SEEK_SET":
	case "SEEK_CUR":
		base = h.pos
	case "SEEK_END":
		base = h.size
	default:
		return vm.None, c.Errorf("argument 2 (whence) must be SEEK_SET, SEEK_CUR or SEEK_END, got %q", whence)
	}
	if base+offset < 0 {
		return vm.None, nil
	}
	h.pos = base + offset
	return vm.Number(float64(h.pos)), nil
}

func fileTell(c *vm.Call, h *fileHandle, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.Number(float64(h.pos)), nil
}

func fileGetPath(c *vm.Call, h *fileHandle, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	if h.path == "" {
		return vm.None, nil
	}
	return vm.String(h.path), nil
}

// builtinFileClose is ->close(); a second close raises like any other
// call on a closed file.
func builtinFileClose(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	h := this.Native.(*fileHandle)
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return vm.None, c.Errorf("file is closed")
	}
	h.close()
	return vm.None, nil
}

// builtinFileString is File::String(data): an in-memory file.
func builtinFileString(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	data, err := newLibArgs(c, args).str(0, "data")
	if err != nil {
		return vm.None, err
	}
	return NewFileFromBytes([]byte(data)), nil
}

// builtinFileReadAll is File::read(filename): the whole file, none when it
// cannot be read.
func builtinFileReadAll(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	name, err := newLibArgs(c, args).str(0, "filename")
	if err != nil {
		return vm.None, err
	}
	data, err := os.ReadFile(resolveScriptPath(c, name))
	if err != nil {
		return vm.None, nil
	}
	return vm.Bytes(data), nil
}
