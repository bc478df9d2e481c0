package builtins

import (
	"net/url"
	"strconv"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{"url_parse": builtinURLParse})
}

// urlParts is a URL split into the components url_parse returns; a
// component that is absent from the URL is left out of the result.
type urlParts struct {
	scheme, username, password, hostname, path, query, fragment string
	port                                                        int

	hasUser, hasPassword, hasPort, hasQuery, hasFragment bool
}

// parseURL splits an absolute URL. A text without a scheme, or with an
// invalid port, is not a URL.
func parseURL(text string) (urlParts, bool) {
	u, err := url.Parse(text)
	if err != nil || u.Scheme == "" {
		return urlParts{}, false
	}

	p := urlParts{
		scheme:      u.Scheme,
		hostname:    u.Hostname(),
		path:        u.EscapedPath(),
		query:       u.RawQuery,
		fragment:    u.EscapedFragment(),
		hasQuery:    u.ForceQuery || u.RawQuery != "",
		hasFragment: u.Fragment != "",
	}
	if u.Opaque != "" {
		p.path = u.Opaque
	}
	if u.User != nil {
		p.username, p.hasUser = u.User.Username(), true
		p.password, p.hasPassword = u.User.Password()
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n > 65535 {
			return urlParts{}, false
		}
		p.port, p.hasPort = n, true
	}
	return p, true
}

// builtinURLParse is url_parse(url [, options]). It returns an array with
// scheme, username, password, hostname, port (a number), path, query and
// fragment, without the components the URL lacks, or none when the text
// is not a URL.
func builtinURLParse(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	text, err := a.str(0, "url")
	if err != nil {
		return vm.None, err
	}
	if _, err := a.options(1); err != nil {
		return vm.None, err
	}

	p, ok := parseURL(text)
	if !ok {
		return vm.None, nil
	}
	out := vm.NewArray(8)
	out.SetStr("scheme", vm.String(p.scheme))
	if p.hasUser {
		out.SetStr("username", vm.String(p.username))
	}
	if p.hasPassword {
		out.SetStr("password", vm.String(p.password))
	}
	if p.hostname != "" {
		out.SetStr("hostname", vm.String(p.hostname))
	}
	if p.hasPort {
		out.SetStr("port", vm.Int(p.port))
	}
	if p.path != "" {
		out.SetStr("path", vm.String(p.path))
	}
	if p.hasQuery {
		out.SetStr("query", vm.String(p.query))
	}
	if p.hasFragment {
		out.SetStr("fragment", vm.String(p.fragment))
	}
	return vm.ArrayValue(out), nil
}
