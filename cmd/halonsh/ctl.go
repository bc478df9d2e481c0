package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/halonsh/halonsh/mta/policy"
)

func init() {
	register(&command{
		name:    "ctl",
		summary: "query and steer a running MTA through its HTTP API (queue, policies, suspends, memory)",
		run:     runCtl,
	})
}

const ctlUsage = `Usage: halonsh ctl [flags] COMMAND [ARGS...]

Commands:
  queue shape [--by FIELD,...] [--buckets MIN,...] [--where F=V]...
  queue list [--age MIN-MAX|MIN+] [--where FIELD=VALUE]... [--limit N] [--offset N]
  queue show ID
  queue why ID
  queue retry|hold|release|bounce|delete [--reason TEXT] (ID... | [--age A] [--where F=V]...)
  policy list
  policy add --fields F,... [--condition F=MATCHER]... [--concurrency N] [--rate N/SECONDS]
             [--connectinterval SECONDS] [--tag TAG] --ttl SECONDS [--no-update]
  policy delete ID
  suspend list
  suspend add --field F=MATCHER... --ttl SECONDS [--tag TAG] [--no-update]
  suspend delete ID
  memory list | get KEY | set KEY JSON | delete KEY
  rates
  reload

Fields: transportid, localip, remotemx, remoteip, recipientdomain,
senderdomain, jobid, tenantid, subqueue, state.

The token comes from --token, else the HALONSH_API_TOKEN environment
variable, else --token-file.

Flags:`

// ctlClient talks to the control API.
type ctlClient struct {
	base  string
	token string
	json  bool
	out   io.Writer
	http  *http.Client
}

func runCtl(args []string) int {
	fs := flag.NewFlagSet("ctl", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), ctlUsage)
		fs.PrintDefaults()
	}
	api := fs.String("api", envOr("HALONSH_API", "http://127.0.0.1:8080"), "base URL of the MTA's API (env HALONSH_API)")
	token := fs.String("token", "", "API bearer token")
	tokenFile := fs.String("token-file", "", "file holding the API bearer token")
	caCert := fs.String("cacert", os.Getenv("HALONSH_API_CACERT"), "PEM file of the CA that signed an HTTPS API's certificate (env HALONSH_API_CACERT); default: the system roots")
	asJSON := fs.Bool("json", false, "print the API's JSON answer instead of a table")
	// --json is accepted after the subcommand too, where users put it.
	args, jsonAnywhere := extractFlag(args, "json")
	if helpRequested(args) {
		fs.SetOutput(os.Stdout)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	*asJSON = *asJSON || jsonAnywhere

	c := &ctlClient{base: strings.TrimRight(*api, "/"), json: *asJSON, out: os.Stdout, http: &http.Client{Timeout: 30 * time.Second}}
	if *caCert != "" {
		pem, err := os.ReadFile(*caCert)
		if err != nil {
			return usageError("ctl: --cacert: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return usageError("ctl: --cacert: no PEM certificate in %s", *caCert)
		}
		c.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	switch {
	case *token != "":
		c.token = *token
	case os.Getenv("HALONSH_API_TOKEN") != "":
		c.token = os.Getenv("HALONSH_API_TOKEN")
	case *tokenFile != "":
		data, err := os.ReadFile(*tokenFile)
		if err != nil {
			return usageError("ctl: --token-file: %v", err)
		}
		c.token = strings.TrimSpace(string(data))
	default:
		return usageError("ctl: no API token; give --token, HALONSH_API_TOKEN or --token-file")
	}

	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	var err error
	switch rest[0] {
	case "queue":
		err = c.queue(rest[1:])
	case "policy":
		err = c.policy(rest[1:])
	case "suspend":
		err = c.suspend(rest[1:])
	case "memory":
		err = c.memory(rest[1:])
	case "rates":
		err = c.show("GET", "/api/v1/rates", nil, printRates)
	case "reload":
		err = c.show("POST", "/api/v1/reload", nil, func(w io.Writer, _ map[string]any) { fmt.Fprintln(w, "configuration reloaded") })
	default:
		err = usagef("unknown command %q; run 'halonsh ctl --help'", rest[0])
	}
	var ue usageErr
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "halonsh ctl: "+ue.msg)
		return 2
	default:
		fmt.Fprintln(os.Stderr, "halonsh ctl: "+err.Error())
		return 1
	}
}

// usageErr is a command-line mistake (exit status 2); other errors are
// failures of the request (exit status 1).
type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageErr{fmt.Sprintf(format, args...)} }

// extractFlag removes every -name and --name from args and reports
// whether there was one.
func extractFlag(args []string, name string) ([]string, bool) {
	out := args[:0:0]
	found := false
	for _, a := range args {
		if a == "-"+name || a == "--"+name {
			found = true
			continue
		}
		out = append(out, a)
	}
	return out, found
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// do sends a request and decodes the JSON response. A 4xx or 5xx status
// becomes an error with the API's message and field.
func (c *ctlClient) do(method, path string, body any) (map[string]any, []byte, error) {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, reader)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	if u, err := user.Current(); err == nil {
		req.Header.Set("X-Operator", u.Username)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach the API at %s: %v", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, raw, fmt.Errorf("%s %s: status %d with a body that is not JSON", method, path, resp.StatusCode)
	}
	if resp.StatusCode >= 400 {
		msg := fmt.Sprintf("%s %s: status %d", method, path, resp.StatusCode)
		if e, ok := out["error"].(map[string]any); ok {
			msg += ": " + fmt.Sprint(e["message"])
			if f, ok := e["field"].(string); ok && f != "" {
				msg += " (field " + f + ")"
			}
		}
		return nil, raw, fmt.Errorf("%s", msg)
	}
	return out, raw, nil
}

// show makes a request and prints the response as JSON or through table.
func (c *ctlClient) show(method, path string, body any, table func(io.Writer, map[string]any)) error {
	out, raw, err := c.do(method, path, body)
	if err != nil {
		return err
	}
	if c.json {
		_, err := c.out.Write(raw)
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	table(tw, out)
	return tw.Flush()
}

func (c *ctlClient) queue(args []string) error {
	if len(args) == 0 {
		return usagef("queue needs a subcommand: shape, list, show, why, retry, hold, release, bounce or delete")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("queue "+sub, flag.ContinueOnError)
	by := fs.String("by", "", "grouping fields, comma-separated")
	buckets := fs.String("buckets", "", "age bucket bounds in minutes, comma-separated")
	age := fs.String("age", "", "age interval in minutes: MIN-MAX or MIN+")
	var where multiFlag
	fs.Var(&where, "where", "FIELD=VALUE filter (repeatable)")
	limit := fs.Int("limit", 50, "page size")
	offset := fs.Int("offset", 0, "entries to skip")
	reason := fs.String("reason", "", "reason logged and used in a bounce")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}

	q := url.Values{}
	if *age != "" {
		q.Set("age", *age)
	}
	for _, w := range where {
		q.Add("where", w)
	}

	switch sub {
	case "shape":
		if *by != "" {
			q.Set("by", *by)
		}
		if *buckets != "" {
			q.Set("buckets", *buckets)
		}
		return c.show("GET", "/api/v1/queue/shape?"+q.Encode(), nil, printShape)
	case "list":
		q.Set("limit", strconv.Itoa(*limit))
		q.Set("offset", strconv.Itoa(*offset))
		return c.show("GET", "/api/v1/queue/messages?"+q.Encode(), nil, printList)
	case "show", "why":
		if fs.NArg() != 1 {
			return usagef("queue %s needs one message id", sub)
		}
		path := "/api/v1/queue/messages/" + url.PathEscape(fs.Arg(0))
		if sub == "why" {
			return c.show("GET", path+"/why", nil, printWhy)
		}
		return c.show("GET", path, nil, printFields)
	case "retry", "hold", "release", "bounce", "delete":
		body := map[string]any{"action": sub}
		if *reason != "" {
			body["reason"] = *reason
		}
		switch {
		case fs.NArg() > 0 && (*age != "" || len(where) > 0):
			return usagef("queue %s takes ids or --age/--where, not both", sub)
		case fs.NArg() > 0:
			body["ids"] = fs.Args()
		case *age != "" || len(where) > 0:
			sel := map[string]any{}
			if *age != "" {
				sel["age"] = *age
			}
			w := map[string]string{}
			for _, item := range where {
				k, v, ok := strings.Cut(item, "=")
				if !ok {
					return usagef("--where needs FIELD=VALUE, got %q", item)
				}
				w[k] = v
			}
			sel["where"] = w
			body["selection"] = sel
		default:
			return usagef("queue %s needs message ids or --age/--where", sub)
		}
		out, raw, err := c.do("POST", "/api/v1/queue/actions", body)
		if err != nil {
			return err
		}
		if c.json {
			_, err = c.out.Write(raw)
		} else {
			printAction(c.out, out)
		}
		if err == nil && len(asList(out["done"])) == 0 && str(out["matched"]) != "0" {
			return fmt.Errorf("%s applied to none of the selected messages", sub)
		}
		return err
	}
	return usagef("unknown queue subcommand %q", sub)
}

func (c *ctlClient) policy(args []string) error {
	if len(args) == 0 {
		return usagef("policy needs a subcommand: list, add or delete")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		return c.show("GET", "/api/v1/policies", nil, printPolicies)
	case "delete":
		if len(args) != 1 {
			return usagef("policy delete needs one id")
		}
		return c.show("DELETE", "/api/v1/policies/"+url.PathEscape(args[0]), nil, func(w io.Writer, _ map[string]any) { fmt.Fprintln(w, "deleted", args[0]) })
	case "add":
		fs := flag.NewFlagSet("policy add", flag.ContinueOnError)
		fields := fs.String("fields", "", "fields of the configured policy to add to, comma-separated (required)")
		var cond multiFlag
		fs.Var(&cond, "condition", "FIELD=MATCHER (repeatable; a field given twice takes both matchers)")
		concurrency := fs.Int("concurrency", 0, "maximum attempts in flight per sub-queue")
		rate := fs.String("rate", "", "pickups per interval: N (per second) or N/SECONDS")
		connectInterval := fs.Float64("connectinterval", 0, "minimum seconds between new connections")
		tag := fs.String("tag", "", "tag reported to scripts")
		ttl := fs.Float64("ttl", 0, "seconds the policy stays (required)")
		noUpdate := fs.Bool("no-update", false, "leave an existing policy with the same condition unchanged")
		if err := fs.Parse(args); err != nil {
			return usagef("%v", err)
		}
		if *fields == "" || *ttl <= 0 {
			return usagef("policy add needs --fields and a positive --ttl")
		}
		matchers, err := fieldMatchers(cond)
		if err != nil {
			return err
		}
		pol := map[string]any{}
		if *concurrency > 0 {
			pol["concurrency"] = *concurrency
		}
		if *rate != "" {
			pol["rate"] = *rate
		}
		if *connectInterval > 0 {
			pol["connectinterval"] = *connectInterval
		}
		if *tag != "" {
			pol["tag"] = *tag
		}
		body := map[string]any{"fields": strings.Split(*fields, ","), "condition": matchers, "policy": pol, "ttl": *ttl, "update": !*noUpdate}
		if *rate != "" {
			if _, err := policy.ParseRate(*rate); err != nil {
				return usagef("--rate: %v", err)
			}
		}
		return c.show("POST", "/api/v1/policies", body, func(w io.Writer, out map[string]any) {
			fmt.Fprintf(w, "%s dynamic policy %v: condition %v in policy %v\n", changeVerb(out["created"] == true, *noUpdate), out["id"], conditionText(asMap(out["condition"])), out["policy"])
		})
	}
	return usagef("unknown policy subcommand %q", sub)
}

func (c *ctlClient) suspend(args []string) error {
	if len(args) == 0 {
		return usagef("suspend needs a subcommand: list, add or delete")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		return c.show("GET", "/api/v1/suspends", nil, printSuspends)
	case "delete":
		if len(args) != 1 {
			return usagef("suspend delete needs one id")
		}
		return c.show("DELETE", "/api/v1/suspends/"+url.PathEscape(args[0]), nil, func(w io.Writer, _ map[string]any) { fmt.Fprintln(w, "deleted", args[0]) })
	case "add":
		fs := flag.NewFlagSet("suspend add", flag.ContinueOnError)
		var fields multiFlag
		fs.Var(&fields, "field", "FIELD=MATCHER (repeatable, at least one)")
		ttl := fs.Float64("ttl", 0, "seconds the suspend stays (required)")
		tag := fs.String("tag", "", "reason shown in listings")
		noUpdate := fs.Bool("no-update", false, "leave an existing suspend with the same fields unchanged")
		if err := fs.Parse(args); err != nil {
			return usagef("%v", err)
		}
		if len(fields) == 0 || *ttl <= 0 {
			return usagef("suspend add needs at least one --field and a positive --ttl")
		}
		matchers, err := fieldMatchers(fields)
		if err != nil {
			return err
		}
		body := map[string]any{"fields": matchers, "ttl": *ttl, "tag": *tag, "update": !*noUpdate}
		return c.show("POST", "/api/v1/suspends", body, func(w io.Writer, out map[string]any) {
			fmt.Fprintf(w, "%s suspend %v\n", changeVerb(out["created"] == true, *noUpdate), out["id"])
		})
	}
	return usagef("unknown suspend subcommand %q", sub)
}

// changeVerb returns the verb for what an add did: added, updated, or
// kept unchanged under --no-update.
func changeVerb(created, noUpdate bool) string {
	switch {
	case created:
		return "added"
	case noUpdate:
		return "kept the existing"
	}
	return "updated"
}

// conditionText formats a field-to-matchers map as "f=a|b, g=c".
func conditionText(m map[string]any) string {
	if len(m) == 0 {
		return "*"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		var vals []string
		for _, v := range asList(m[k]) {
			vals = append(vals, str(v))
		}
		parts[i] = k + "=" + strings.Join(vals, "|")
	}
	return strings.Join(parts, ", ")
}

// seconds formats a number of seconds rounded to whole seconds.
func seconds(v any) string {
	f, ok := v.(float64)
	if !ok {
		return str(v)
	}
	return (time.Duration(f+0.5) * time.Second).String()
}

// words joins a JSON list of strings with spaces.
func words(v any) string {
	var out []string
	for _, item := range asList(v) {
		out = append(out, str(item))
	}
	return strings.Join(out, " ")
}

func fieldMatchers(items []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, item := range items {
		k, v, ok := strings.Cut(item, "=")
		if !ok || k == "" {
			return nil, usagef("expected FIELD=MATCHER, got %q", item)
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

func (c *ctlClient) memory(args []string) error {
	if len(args) == 0 {
		return usagef("memory needs a subcommand: list, get, set or delete")
	}
	switch {
	case args[0] == "list" && len(args) == 1:
		return c.show("GET", "/api/v1/memory", nil, func(w io.Writer, out map[string]any) {
			for _, k := range asList(out["keys"]) {
				fmt.Fprintln(w, k)
			}
		})
	case args[0] == "get" && len(args) == 2:
		return c.show("GET", "/api/v1/memory/"+url.PathEscape(args[1]), nil, func(w io.Writer, out map[string]any) {
			fmt.Fprintln(w, jsonText(out["value"]))
		})
	case args[0] == "set" && len(args) == 3:
		var v any
		if err := json.Unmarshal([]byte(args[2]), &v); err != nil {
			return usagef("memory set: the value must be JSON (quote strings: '\"text\"'): %v", err)
		}
		return c.show("PUT", "/api/v1/memory/"+url.PathEscape(args[1]), map[string]any{"value": json.RawMessage(args[2])}, func(w io.Writer, out map[string]any) {
			fmt.Fprintf(w, "%s = %s\n", args[1], jsonText(out["value"]))
		})
	case args[0] == "delete" && len(args) == 2:
		return c.show("DELETE", "/api/v1/memory/"+url.PathEscape(args[1]), nil, func(w io.Writer, _ map[string]any) { fmt.Fprintln(w, "deleted", args[1]) })
	}
	return usagef("usage: memory list | get KEY | set KEY JSON | delete KEY")
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return jsonText(v)
}

func printShape(w io.Writer, out map[string]any) {
	by := asList(out["by"])
	buckets := asList(out["buckets"])
	header := []string{}
	for _, f := range by {
		header = append(header, strings.ToUpper(str(f)))
	}
	header = append(header, "TOTAL")
	for _, b := range buckets {
		header = append(header, str(b))
	}
	fmt.Fprintln(w, strings.Join(header, "\t"))

	row := func(key []string, total any, counts []any) {
		cells := append([]string{}, key...)
		cells = append(cells, str(total))
		for _, c := range counts {
			cells = append(cells, str(c))
		}
		fmt.Fprintln(w, strings.Join(cells, "\t"))
	}
	totalKey := make([]string, len(by))
	if len(by) > 0 {
		totalKey[0] = "(all)"
	}
	row(totalKey, out["total"], asList(out["totals"]))
	if len(by) == 0 {
		// Without grouping the single group repeats the totals.
		return
	}
	for _, g := range asList(out["groups"]) {
		gm := asMap(g)
		key := make([]string, len(by))
		for i, f := range by {
			key[i] = str(asMap(gm["key"])[str(f)])
		}
		row(key, gm["total"], asList(gm["counts"]))
	}
}

func printList(w io.Writer, out map[string]any) {
	fmt.Fprintln(w, "ID\tAGE\tSTATE\tRETRY\tSENDER\tRECIPIENT\tLAST RESULT")
	for _, m := range asList(out["messages"]) {
		mm := asMap(m)
		age := time.Duration(mm["age"].(float64) * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", str(mm["id"]), age, str(mm["state"]), str(mm["retry"]), str(mm["sender"]), str(mm["recipient"]), str(mm["last_result"]))
	}
	fmt.Fprintf(w, "(%v of %v, offset %v)\n", len(asList(out["messages"])), str(out["total"]), str(out["offset"]))
}

func printFields(w io.Writer, out map[string]any) {
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := str(out[k])
		if k == "age" {
			v = seconds(out[k])
		}
		fmt.Fprintf(w, "%s:\t%s\n", k, v)
	}
}

func printWhy(w io.Writer, out map[string]any) {
	fmt.Fprintf(w, "%s: %s\n", str(out["id"]), str(out["summary"]))
	fmt.Fprintf(w, "state:\t%s\nretry:\t%s\nlast result:\t%s\nnext attempt:\t%s\n", str(out["state"]), str(out["retry"]), str(out["last_result"]), str(out["next_attempt"]))
	for _, s := range asList(out["suspends"]) {
		sm := asMap(s)
		fmt.Fprintf(w, "suspend:\t%s %s %s\n", str(sm["id"]), jsonText(sm["fields"]), str(sm["tag"]))
	}
	fmt.Fprintln(w, "POLICY\tSUB-QUEUE\tLIMITS\tIN FLIGHT\tRATE EVENTS\tHOLDS BY")
	for _, p := range asList(out["policies"]) {
		pm := asMap(p)
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", str(pm["policy"]), str(pm["key"]), str(pm["limits"]), str(pm["in_flight"]), str(pm["rate_events"]), str(pm["reason"]))
	}
}

func printAction(w io.Writer, out map[string]any) {
	fmt.Fprintf(w, "%s: %d of %s done", str(out["action"]), len(asList(out["done"])), str(out["matched"]))
	if skipped := asList(out["skipped"]); len(skipped) > 0 {
		fmt.Fprintf(w, "; not applied (unknown id, already in that state, or in flight): %s", words(skipped))
	}
	fmt.Fprintln(w)
}

func printPolicies(w io.Writer, out map[string]any) {
	fmt.Fprintln(w, "POLICY\tCONDITION\tID\tLIMITS\tTAGS\tTTL")
	for _, p := range asList(out["policies"]) {
		pm := asMap(p)
		for _, c := range asList(pm["conditions"]) {
			cm := asMap(c)
			cond := conditionText(asMap(cm["condition"]))
			if cm["default"] == true {
				cond = "default"
			}
			lim := asMap(cm["limits"])
			var parts []string
			if v := str(lim["concurrency"]); v != "" {
				parts = append(parts, "concurrency="+v)
			}
			if v := str(lim["rate"]); v != "" {
				parts = append(parts, "rate="+v)
			}
			if v := str(lim["connectinterval"]); v != "" {
				parts = append(parts, "connectinterval="+v+"s")
			}
			ttl := "configured"
			if cm["ttl"] != nil {
				ttl = seconds(cm["ttl"])
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", str(pm["id"]), cond, str(cm["id"]), strings.Join(parts, " "), words(lim["tags"]), ttl)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "SUB-QUEUE\tIN FLIGHT\tRATE EVENTS\tLIMITS\tPICKED\tREFUSED")
	for _, p := range asList(out["policies"]) {
		for _, c := range asList(asMap(p)["counters"]) {
			cm := asMap(c)
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", str(cm["key"]), str(cm["in_flight"]), str(cm["rate_events"]), str(cm["limits"]), str(cm["picked"]), str(cm["refused"]))
		}
	}
}

func printSuspends(w io.Writer, out map[string]any) {
	fmt.Fprintln(w, "ID\tFIELDS\tTAG\tTTL")
	for _, s := range asList(out["suspends"]) {
		sm := asMap(s)
		ttl := "configured"
		if sm["ttl"] != nil {
			ttl = seconds(sm["ttl"])
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", str(sm["id"]), conditionText(asMap(sm["fields"])), str(sm["tag"]), ttl)
	}
}

func printRates(w io.Writer, out map[string]any) {
	fmt.Fprintln(w, "NAMESPACE\tENTRY\tEVENTS\tINTERVAL")
	for _, r := range asList(out["rates"]) {
		rm := asMap(r)
		fmt.Fprintf(w, "%s\t%s\t%s\t%ss\n", str(rm["namespace"]), str(rm["entry"]), str(rm["events"]), str(rm["interval"]))
	}
}
