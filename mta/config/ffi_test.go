package config

import (
	"strings"
	"testing"
)

func TestScriptingFFILibraries(t *testing.T) {
	cfg, err := Parse("smtpd.yaml", []byte(`
scripting:
  ffi:
    libraries: [libc.so.6, /usr/lib/libexample.so]
    maxallocation: 1m
`), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	libs := cfg.Scripting.FFILibraries
	if len(libs) != 2 || libs[0] != "libc.so.6" || libs[1] != "/usr/lib/libexample.so" {
		t.Errorf("libraries = %v", libs)
	}
	if cfg.Scripting.FFIMaxAllocation != 1<<20 {
		t.Errorf("maxallocation = %d, want 1 MiB", cfg.Scripting.FFIMaxAllocation)
	}
}

func TestScriptingFFIOffByDefault(t *testing.T) {
	cfg, err := Parse("smtpd.yaml", []byte("scripting: {}\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Scripting.FFILibraries) != 0 {
		t.Errorf("libraries = %v, want none", cfg.Scripting.FFILibraries)
	}
}

func TestScriptingFFIUnknownKey(t *testing.T) {
	_, err := Parse("smtpd.yaml", []byte("scripting:\n  ffi:\n    libs: [libc.so.6]\n"), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "smtpd.yaml:3:5: scripting.ffi.libs") {
		t.Errorf("err = %v, want one at smtpd.yaml:3:5 naming scripting.ffi.libs", err)
	}
}

func TestAPITLSNeedsBothFiles(t *testing.T) {
	_, err := Parse("smtpd.yaml", []byte("api:\n  address: 127.0.0.1:8080\n  token: x\n  tls:\n    certfile: cert.pem\n"), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "api.tls: certfile and keyfile go together") {
		t.Errorf("err = %v, want one naming api.tls", err)
	}
}
