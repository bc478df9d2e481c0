package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/halonsh/halonsh/mta/policy"
)

func init() {
	register(&command{
		name:    "policy",
		summary: "check a queue policy file, or show the sub-queue and limits of one entry",
		run: func(args []string) int {
			return runPolicy(args, os.Stdout, os.Stderr)
		},
	})
}

const policyUsage = `Usage: halonsh policy check [--json] FILE...
       halonsh policy match [--json] FILE... FIELD=VALUE...

check validates smtpd-policy.yaml (and smtpd-suspend.yaml) files and prints
a summary of their policies and suspends. Errors are printed as
FILE:LINE:COL: KEY: MESSAGE and make the exit status 1.

match prints, for one entry, each policy's sub-queue key, the condition or
default that gives its limits, and the limits and tags; and the suspends
that hold it. Fields: tenantid, jobid, transportid, localip, grouping,
remoteip, remotemx, recipientdomain. Arguments containing "=" are fields;
the others are files.

Example:
  halonsh policy match smtpd-policy.yaml localip=10.0.0.1 remotemx=alt1.aspmx.l.google.com
`

// runPolicy runs `halonsh policy` with its output going to stdout and
// stderr, and returns the exit status.
func runPolicy(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, policyUsage)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, policyUsage)
		return 0
	case "check":
		return runPolicyCheck(args[1:], stdout, stderr)
	case "match":
		return runPolicyMatch(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "halonsh policy: unknown subcommand %q; use check or match\n", args[0])
	return 2
}

// policyFlags parses the flags shared by check and match. Flags may come
// anywhere among the arguments, so that --json can follow an entry.
func policyFlags(name string, args []string, stdout, stderr io.Writer) (*flag.FlagSet, *bool, bool) {
	var flags, rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
			flags = append(flags, a)
		} else {
			rest = append(rest, a)
		}
	}
	args = append(flags, rest...)

	fs := flag.NewFlagSet("policy "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if helpOrUsage(flags) == 0 {
		fs.SetOutput(stdout)
	}
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), policyUsage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := fs.Parse(args); err != nil {
		return nil, nil, false
	}
	return fs, asJSON, true
}

func runPolicyCheck(args []string, stdout, stderr io.Writer) int {
	fs, asJSON, ok := policyFlags("check", args, stdout, stderr)
	if !ok {
		return helpOrUsage(args)
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "halonsh policy check: name at least one policy file")
		return 2
	}
	cfg, err := policy.LoadFiles(fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	summary := summarizeConfig(cfg)
	if *asJSON {
		return printJSON(stdout, summary)
	}
	printSummary(stdout, fs.Args(), summary)
	return 0
}

func runPolicyMatch(args []string, stdout, stderr io.Writer) int {
	fs, asJSON, ok := policyFlags("match", args, stdout, stderr)
	if !ok {
		return helpOrUsage(args)
	}
	var files []string
	var en policy.Entry
	set := map[string]string{}
	for _, arg := range fs.Args() {
		if !strings.Contains(arg, "=") {
			files = append(files, arg)
			continue
		}
		if err := en.Set(arg); err != nil {
			fmt.Fprintf(stderr, "halonsh policy match: %v\n", err)
			return 2
		}
		name, value, _ := strings.Cut(arg, "=")
		set[name] = value
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "halonsh policy match: name at least one policy file")
		return 2
	}
	cfg, err := policy.LoadFiles(files...)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}

	x := policy.New(cfg).Explain(&en)
	report := matchReport{Entry: set, Suspends: []suspendJSON{}}
	for _, s := range x.Suspends {
		report.Suspends = append(report.Suspends, suspendJSON{ID: s.ID, Match: s.String(), Tag: s.Tag})
	}
	for _, pe := range x.Policies {
		report.Policies = append(report.Policies, policyMatchJSON(pe))
	}
	if *asJSON {
		return printJSON(stdout, report)
	}
	printMatch(stdout, report)
	return 0
}

// helpOrUsage returns 0 when args ask for help and 2 otherwise, the exit
// status after the flag package printed the usage or a flag error.
func helpOrUsage(args []string) int {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return 0
		}
	}
	return 2
}

// limitsJSON is the machine form of policy.Limits.
type limitsJSON struct {
	Concurrency     int               `json:"concurrency,omitempty"`
	Rate            *rateJSON         `json:"rate,omitempty"`
	ConnectInterval float64           `json:"connectinterval,omitempty"`
	Tags            []string          `json:"tags,omitempty"`
	Properties      map[string]string `json:"properties,omitempty"`
	Stop            *bool             `json:"stop,omitempty"`
	Cluster         *bool             `json:"cluster,omitempty"`
}

type rateJSON struct {
	Count    int     `json:"count"`
	Interval float64 `json:"interval"` // seconds
}

func toLimitsJSON(l *policy.Limits) *limitsJSON {
	if l == nil {
		return nil
	}
	out := &limitsJSON{
		Concurrency:     l.Concurrency,
		ConnectInterval: l.ConnectInterval.Seconds(),
		Tags:            l.Tags,
		Properties:      l.Properties,
		Stop:            l.Stop,
		Cluster:         l.Cluster,
	}
	if !l.Rate.IsZero() {
		out.Rate = &rateJSON{Count: l.Rate.Count, Interval: l.Rate.Interval.Seconds()}
	}
	return out
}

// conditionJSON names a condition: its position among the static ones (or
// its dynamic id) and its matchers by field.
type conditionJSON struct {
	Index int                 `json:"index"`
	ID    string              `json:"id,omitempty"`
	If    map[string][]string `json:"if"`
}

func toConditionJSON(c *policy.Condition) *conditionJSON {
	if c == nil {
		return nil
	}
	out := &conditionJSON{Index: c.Index, ID: c.ID, If: map[string][]string{}}
	for _, m := range c.If {
		out.If[m.Field.String()] = m.Values
	}
	return out
}

type policyMatch struct {
	Policy    string            `json:"policy"`
	Key       string            `json:"key"`
	Values    map[string]string `json:"values"`
	Condition *conditionJSON    `json:"condition"`
	Default   bool              `json:"default"`
	Limited   bool              `json:"limited"`
	Limits    *limitsJSON       `json:"limits"`
}

type suspendJSON struct {
	ID    string `json:"id"`
	Match string `json:"match"`
	Tag   string `json:"tag,omitempty"`
}

type matchReport struct {
	Entry    map[string]string `json:"entry"`
	Suspends []suspendJSON     `json:"suspends"`
	Policies []policyMatch     `json:"policies"`
}

func policyMatchJSON(pe policy.PolicyExplanation) policyMatch {
	m := policyMatch{
		Policy:    pe.Policy.ID,
		Key:       pe.Key,
		Values:    map[string]string{},
		Condition: toConditionJSON(pe.Condition),
		Default:   pe.Default,
		Limited:   pe.Limits != nil,
		Limits:    toLimitsJSON(pe.Limits),
	}
	for i, f := range pe.Policy.Fields {
		m.Values[f.String()] = pe.Values[i]
	}
	return m
}

func printMatch(w io.Writer, r matchReport) {
	for _, s := range r.Suspends {
		tag := ""
		if s.Tag != "" {
			tag = " (tag " + s.Tag + ")"
		}
		fmt.Fprintf(w, "suspended by %s: %s%s\n", s.ID, s.Match, tag)
	}
	for _, p := range r.Policies {
		fmt.Fprintln(w, p.Key)
		switch {
		case p.Condition != nil:
			fmt.Fprintf(w, "  condition: conditions[%d] %s\n", p.Condition.Index, formatIf(p.Condition.If))
		case p.Default:
			fmt.Fprintln(w, "  condition: default")
		default:
			fmt.Fprintln(w, "  not limited: no condition matches and the policy has no default")
			continue
		}
		l := p.Limits
		if l.Concurrency > 0 {
			fmt.Fprintf(w, "  concurrency: %d\n", l.Concurrency)
		}
		if l.Rate != nil {
			fmt.Fprintf(w, "  rate: %d per %gs\n", l.Rate.Count, l.Rate.Interval)
		}
		if l.ConnectInterval > 0 {
			fmt.Fprintf(w, "  connectinterval: %gs\n", l.ConnectInterval)
		}
		if len(l.Tags) > 0 {
			fmt.Fprintf(w, "  tags: %s\n", strings.Join(l.Tags, ", "))
		}
		if len(l.Properties) > 0 {
			fmt.Fprintf(w, "  properties: %s\n", formatProperties(l.Properties))
		}
	}
}

func formatIf(m map[string][]string) string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + strings.Join(m[name], "|")
	}
	return strings.Join(parts, ",")
}

func formatProperties(props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + props[k]
	}
	return strings.Join(keys, ", ")
}

// configSummary is the output of `halonsh policy check`.
type configSummary struct {
	Version  string           `json:"version,omitempty"`
	Lists    []string         `json:"lists,omitempty"`
	Policies []policySummary  `json:"policies"`
	Suspends []suspendSummary `json:"suspends"`
}

type policySummary struct {
	ID         string              `json:"id"`
	Fields     []string            `json:"fields"`
	Rollups    map[string][]string `json:"rollups,omitempty"`
	Conditions int                 `json:"conditions"`
	Default    *limitsJSON         `json:"default"`
}

type suspendSummary struct {
	ID    string `json:"id"`
	Match string `json:"match"`
	Tag   string `json:"tag,omitempty"`
}

func summarizeConfig(cfg *policy.Config) configSummary {
	s := configSummary{Version: cfg.Version, Lists: cfg.Lists(), Policies: []policySummary{}, Suspends: []suspendSummary{}}
	sort.Strings(s.Lists)
	for _, p := range cfg.Policies {
		ps := policySummary{ID: p.ID, Fields: p.FieldNames(), Conditions: len(p.Conditions), Default: toLimitsJSON(p.Default)}
		for _, f := range p.Fields {
			if names := p.RollupNames(f); len(names) > 0 {
				if ps.Rollups == nil {
					ps.Rollups = map[string][]string{}
				}
				ps.Rollups[f.String()] = names
			}
		}
		s.Policies = append(s.Policies, ps)
	}
	for _, sus := range cfg.Suspends {
		s.Suspends = append(s.Suspends, suspendSummary{ID: sus.ID, Match: sus.String(), Tag: sus.Tag})
	}
	return s
}

func printSummary(w io.Writer, files []string, s configSummary) {
	fmt.Fprintf(w, "%s: valid\n", strings.Join(files, ", "))
	if len(s.Lists) > 0 {
		fmt.Fprintf(w, "lists: %s\n", strings.Join(s.Lists, ", "))
	}
	fmt.Fprintf(w, "policies: %d\n", len(s.Policies))
	for _, p := range s.Policies {
		fields := make([]string, len(p.Fields))
		for i, f := range p.Fields {
			fields[i] = f
			if names := p.Rollups[f]; len(names) > 0 {
				fields[i] += " (rollups " + strings.Join(names, ", ") + ")"
			}
		}
		if len(fields) == 0 {
			fields = []string{"none, one global key"}
		}
		def := "no default"
		if p.Default != nil {
			def = "default " + formatLimitsJSON(p.Default)
		}
		conditions := fmt.Sprintf("%d conditions", p.Conditions)
		if p.Conditions == 1 {
			conditions = "1 condition"
		}
		fmt.Fprintf(w, "  %s: fields %s; %s; %s\n", p.ID, strings.Join(fields, ", "), conditions, def)
	}
	fmt.Fprintf(w, "suspends: %d\n", len(s.Suspends))
	for _, sus := range s.Suspends {
		tag := ""
		if sus.Tag != "" {
			tag = " (tag " + sus.Tag + ")"
		}
		fmt.Fprintf(w, "  %s: %s%s\n", sus.ID, sus.Match, tag)
	}
}

func formatLimitsJSON(l *limitsJSON) string {
	var parts []string
	if l.Concurrency > 0 {
		parts = append(parts, fmt.Sprintf("concurrency %d", l.Concurrency))
	}
	if l.Rate != nil {
		parts = append(parts, fmt.Sprintf("rate %d per %gs", l.Rate.Count, l.Rate.Interval))
	}
	if l.ConnectInterval > 0 {
		parts = append(parts, fmt.Sprintf("connectinterval %gs", l.ConnectInterval))
	}
	return strings.Join(parts, ", ")
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "halonsh policy: %v\n", err)
		return 1
	}
	return 0
}
