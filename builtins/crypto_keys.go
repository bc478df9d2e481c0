package builtins

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"

	"github.com/halonsh/halonsh/lang/vm"
)

// Private key resources: rsa_privatekey, ec_privatekey and
// ed25519_privatekey parse PEM text once, and rsa_sign and ed25519_sign
// accept the resulting resources in place of key bytes.
const (
	rsaKeyResourceType     = "RSAPrivateKey"
	ecKeyResourceType      = "ECPrivateKey"
	ed25519KeyResourceType = "ED25519PrivateKey"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"rsa_privatekey":        privateKeyBuiltin(rsaKeyResourceType),
		"ec_privatekey":         privateKeyBuiltin(ecKeyResourceType),
		"ed25519_privatekey":    privateKeyBuiltin(ed25519KeyResourceType),
		"is_rsa_privatekey":     isResourceBuiltin(rsaKeyResourceType),
		"is_ec_privatekey":      isResourceBuiltin(ecKeyResourceType),
		"is_ed25519_privatekey": isResourceBuiltin(ed25519KeyResourceType),
	})
}

// parsePEMPrivateKey reads a PEM private key in PKCS#1, SEC 1 (EC) or
// PKCS#8 form.
func parsePEMPrivateKey(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	return x509.ParseECPrivateKey(block.Bytes)
}

// privateKeyBuiltin parses a PEM key of the resource type's algorithm; a
// key that does not parse or is of another algorithm gives none.
func privateKeyBuiltin(resourceType string) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		data, err := newLibArgs(c, args).str(0, "privatekey")
		if err != nil {
			return vm.None, err
		}
		key, err := parsePEMPrivateKey([]byte(data))
		if err != nil {
			return vm.None, nil
		}
		var ok bool
		switch resourceType {
		case rsaKeyResourceType:
			_, ok = key.(*rsa.PrivateKey)
		case ecKeyResourceType:
			_, ok = key.(*ecdsa.PrivateKey)
		case ed25519KeyResourceType:
			var k ed25519.PrivateKey
			if k, ok = key.(ed25519.PrivateKey); ok {
				key = k
			}
		}
		if !ok {
			return vm.None, nil
		}
		return vm.ResourceValue(&vm.Resource{Type: resourceType, Data: key}), nil
	}
}

func isResourceBuiltin(resourceType string) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		r := args[0].Resource()
		return vm.Bool(r != nil && r.Type == resourceType), nil
	}
}
