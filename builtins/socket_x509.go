package builtins

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

// X509Class is the X509 class: read access to one certificate.
var X509Class = &vm.Class{Name: "X509"}

// X509ResourceType is the resource type name of certificates; its Data is
// a *x509.Certificate.
const X509ResourceType = "X509Resource"

func init() {
	X509Class.New = builtinX509New
	X509Class.Methods = map[string]vm.MethodFunc{
		"subject":          x509Method(func(c *x509.Certificate) vm.Value { return x509Names(c.RawSubject) }),
		"issuer":           x509Method(func(c *x509.Certificate) vm.Value { return x509Names(c.RawIssuer) }),
		"subject_alt_name": x509Method(x509AltNames),
		// NOTE: the version is the certificate's version number (3 for
		// X.509v3); upstream's choice between this and OpenSSL's 0-based
		// field value is not documented.
		"version": x509Method(func(c *x509.Certificate) vm.Value { return vm.Int(c.Version) }),
		"serial_number": x509Method(func(c *x509.Certificate) vm.Value {
			return vm.String(strings.ToUpper(c.SerialNumber.Text(16)))
		}),
		"not_valid_before": x509Method(func(c *x509.Certificate) vm.Value { return vm.Number(float64(c.NotBefore.Unix())) }),
		"not_valid_after":  x509Method(func(c *x509.Certificate) vm.Value { return vm.Number(float64(c.NotAfter.Unix())) }),
		"public_key":       x509Export(func(c *x509.Certificate) ([]byte, string) { return c.RawSubjectPublicKeyInfo, "PUBLIC KEY" }),
		"export":           x509Export(func(c *x509.Certificate) ([]byte, string) { return c.Raw, "CERTIFICATE" }),
		"toResource": func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
			if err := c.Arity(args, 0, 0); err != nil {
				return vm.None, err
			}
			return NewX509Resource(this.Native.(*x509.Certificate)), nil
		},
	}
	X509Class.Statics = map[string]vm.BuiltinFunc{"String": builtinX509String}
	registerClass(X509Class)
}

// NewX509Resource wraps a certificate for scripts, as hosts do for
// $connection["tls"]["peercert"]["x509"].
func NewX509Resource(cert *x509.Certificate) vm.Value {
	return vm.ResourceValue(&vm.Resource{Type: X509ResourceType, Data: cert})
}

// newX509Object returns an X509 object for cert.
func newX509Object(cert *x509.Certificate) vm.Value {
	return vm.ObjectValue(vm.NewObject(X509Class, cert))
}

func builtinX509New(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	if r := args[0].Resource(); r != nil {
		if cert, ok := r.Data.(*x509.Certificate); ok {
			return newX509Object(cert), nil
		}
	}
	return vm.None, c.ArgError(0, "x509resource", "an X509Resource", args[0])
}

// builtinX509String is X509::String(data [, options]): a certificate from
// PEM or DER bytes. Unparseable data raises.
func builtinX509String(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	data, err := a.str(0, "data")
	if err != nil {
		return vm.None, err
	}
	if _, err := a.options(1); err != nil {
		return vm.None, err
	}
	cert, err := parseCertificate([]byte(data))
	if err != nil {
		return vm.None, c.Errorf("invalid certificate: %v", err)
	}
	return newX509Object(cert), nil
}

// parseCertificate reads the first certificate of PEM text, or DER bytes.
func parseCertificate(data []byte) (*x509.Certificate, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block is %q, not CERTIFICATE", block.Type)
		}
		data = block.Bytes
	}
	return x509.ParseCertificate(data)
}

func x509Method(fn func(*x509.Certificate) vm.Value) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 0, 0); err != nil {
			return vm.None, err
		}
		return fn(this.Native.(*x509.Certificate)), nil
	}
}

// x509Export returns DER bytes, or PEM text with option pem.
func x509Export(fn func(*x509.Certificate) ([]byte, string)) vm.MethodFunc {
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 0, 1); err != nil {
			return vm.None, err
		}
		opts, err := newLibArgs(c, args).options(0)
		if err != nil {
			return vm.None, err
		}
		asPEM, err := opts.boolean("pem", false)
		if err != nil {
			return vm.None, err
		}
		der, blockType := fn(this.Native.(*x509.Certificate))
		if asPEM {
			return vm.Bytes(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})), nil
		}
		return vm.Bytes(der), nil
	}
}

// x509AttributeNames are the short names of common distinguished-name
// attributes, as OpenSSL prints them.
var x509AttributeNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.17":                   "postalCode",
	"2.5.4.42":                   "GN",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// x509Names lists a distinguished name as [name, value] pairs in the
// order of the certificate.
func x509Names(raw []byte) vm.Value {
	var seq pkix.RDNSequence
	out := vm.NewArray(0)
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return vm.ArrayValue(out)
	}
	for _, rdn := range seq {
		for _, attr := range rdn {
			name, ok := x509AttributeNames[attr.Type.String()]
			if !ok {
				name = attr.Type.String()
			}
			pair := vm.NewList([]vm.Value{vm.String(name), vm.String(fmt.Sprint(attr.Value))})
			out.Append(vm.ArrayValue(pair))
		}
	}
	return vm.ArrayValue(out)
}

func x509AltNames(c *x509.Certificate) vm.Value {
	names := make([]vm.Value, len(c.DNSNames))
	for i, n := range c.DNSNames {
		names[i] = vm.String(n)
	}
	return vm.ArrayValue(vm.NewList(names))
}
