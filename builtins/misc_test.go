package builtins

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestUUIDBuiltins(t *testing.T) {
	out, err := runLibScript(t, `echo uuid(); echo uuid();`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if len(lines) != 2 || !v4.MatchString(lines[0]) || !v4.MatchString(lines[1]) || lines[0] == lines[1] {
		t.Errorf("uuid() twice = %q, want two distinct v4 UUIDs", lines)
	}

	runScriptCases(t, []scriptCase{
		// RFC 4122 appendix B's DNS namespace with python's uuid5 value for "python.org".
		{src: `echo uuidv5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org");`, want: "886313e1-3b8a-5372-9b90-0c9aee199e5d\n"},
		{src: `uuidv5("not a uuid", "x");`, err: "uuidv5(): argument 1 (uuidnamespace) is not a UUID"},
		{src: `uuid(1);`, err: "uuid(): expected 0 arguments, got 1"},
	})
}

func TestHostnameAndSerial(t *testing.T) {
	SetHostname("mx.example.test")
	defer SetHostname("")
	dir := t.TempDir()
	serial, err := LoadSerial(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadSerial(dir)
	if err != nil || again != serial {
		t.Fatalf("second LoadSerial = %q, %v, want the kept %q", again, err, serial)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, serialFileName)); strings.TrimSpace(string(data)) != serial {
		t.Errorf("serial file contains %q, want %q", data, serial)
	}

	out, err := runLibScript(t, `echo gethostname(); echo serial();`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "mx.example.test\n" + serial + "\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

func TestSyslogWritesProcessLog(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)

	_, err := runLibScript(t, `
		syslog("err", "disk full");
		syslog("warning", "slow");
		syslog(6, "hello");
		syslog((3 << 3) | 7, "debugging");
		syslog("3", "numeric text");`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	logged := buf.String()
	for _, want := range []string{
		`level=ERROR msg="disk full" priority=err`,
		`level=WARN msg=slow priority=warning`,
		`level=INFO msg=hello priority=info`,
		`level=DEBUG msg=debugging priority=debug facility=3`,
		`level=ERROR msg="numeric text" priority=err`,
	} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %q:\n%s", want, logged)
		}
	}

	runScriptCases(t, []scriptCase{
		{src: `syslog("loud", "x");`, err: `syslog(): argument 1 (priority) must be one of emerg, alert, crit, err, warning, notice, info, debug or a number, got "loud"`},
		{src: `syslog([], "x");`, err: "syslog(): argument 1 (priority) must be a number, got array"},
		{src: `syslog(-1, "x");`, err: "syslog(): argument 1 (priority) must not be negative"},
	})
}

func TestInstallDefinesNetworkAndSystemGroups(t *testing.T) {
	lib := vm.NewLibrary()
	Install(lib)
	names := []string{
		"md5", "sha1", "sha2", "hmac_md5", "hmac_sha1", "hmac_sha2", "hash", "aes_encrypt", "aes_decrypt",
		"rsa_sign", "rsa_verify", "ed25519_sign", "ed25519_verify", "random_bytes", "random_number", "crypt",
		"dns_query", "domain_includes", "http", "url_parse",
		"envelope_address_parse", "envelope_localpart_escape", "header_addresslist_extract",
		"header_addresslist_compile", "header_dkim_decode",
		"rate", "uuid", "uuidv5", "gethostname", "serial", "syslog",
		"inet_includes", "inet_pton", "inet_ntop", "inet_reverse",
		"memory_add", "memory_store", "memory_fetch", "memory_exists", "memory_delete", "memory_inc",
		"memory_dec", "memory_update",
		"queue_policy", "queue_suspend", "queue_policy_delete", "queue_quota", "PickupPolicy", "PickupSuspend",
		"rand", "is_subdomain", "in_network", "GetAddressList",
		"File", "MIME", "MIMEPart", "MailMessage", "Socket", "TLSSocket", "X509",
	}
	for _, name := range names {
		if _, ok := lib.Func(name); !ok {
			t.Errorf("%s is not installed", name)
		}
	}
}
