package policy

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is one loaded, validated policy configuration. It is immutable and
// may be shared by engines.
type Config struct {
	// File is the name given to Load, used in error positions.
	File string
	// Version is the optional "version" key; it is not interpreted.
	Version string
	// Policies are in file order.
	Policies []*Policy
	// Suspends are the configured suspends, in force while the
	// configuration is loaded.
	Suspends []*Suspend

	lists     map[string]*valueList
	groupings *groupings
}

// Policy is one counter definition: fields with rollups, conditions and an
// optional default.
type Policy struct {
	// ID is the configured id, or "policies[N]" when none is given.
	ID string
	// Fields are the key fields in configuration order. Empty means one
	// global key.
	Fields []Field
	// Conditions are the static conditions in file order.
	Conditions []*Condition
	// Default gives the limits of keys no condition matches; nil means
	// such keys are not limited by this policy.
	Default *Limits

	index     int
	defaultID bool       // ID was made from the position, not configured
	static    *condTable // Conditions, indexed
	rollups   [numFields]*rollupSet
	// fieldMask has bit f set for every field in Fields.
	fieldMask uint16
	// keyPrefix starts every interned key of this policy.
	keyPrefix string
}

// RollupNames returns the names of the rollups the policy defines for f,
// in file order.
func (p *Policy) RollupNames(f Field) []string {
	if r := p.rollups[f]; r != nil {
		return append([]string(nil), r.names...)
	}
	return nil
}

// HasField reports whether f is one of the policy's fields.
func (p *Policy) HasField(f Field) bool {
	return p.fieldMask&(1<<f) != 0
}

// FieldNames returns the names of the policy's fields.
func (p *Policy) FieldNames() []string {
	out := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		out[i] = f.String()
	}
	return out
}

// FieldMatch is one field of a condition or suspend and the matcher strings
// given for it, after rollup normalisation.
type FieldMatch struct {
	Field  Field
	Values []string
}

// Condition is a static or dynamic condition of a policy.
type Condition struct {
	// Index is the position among the policy's static conditions, or -1
	// for a dynamic condition.
	Index int
	// ID is the id of a dynamic condition, "" for a static one.
	ID string
	// If lists the matched fields in policy field order. A dynamic
	// condition may have none: it then matches every key.
	If []FieldMatch
	// Limits are the limits the condition gives.
	Limits *Limits
	// Created and Expires are set for dynamic conditions.
	Created time.Time
	Expires time.Time

	policy  *Policy
	match   [numFields]*matcherSet
	expires int64 // Expires in Unix nanoseconds; 0 for static conditions
	// identity is the normalised condition text, the key for updates.
	identity string
}

// Policy returns the policy the condition belongs to.
func (c *Condition) Policy() *Policy { return c.policy }

// Dynamic reports whether the condition was added at runtime.
func (c *Condition) Dynamic() bool { return c.ID != "" }

// Remaining returns the time to live left at now of a dynamic condition,
// and 0 for a static one or once it has expired.
func (c *Condition) Remaining(now time.Time) time.Duration {
	if c.Expires.IsZero() {
		return 0
	}
	return max(c.Expires.Sub(now), 0)
}

// String formats the condition as "remotemx=#gsuite,localip=10.0.0.1", or
// "*" when it has no fields.
func (c *Condition) String() string {
	return formatMatches(c.If)
}

func formatMatches(ms []FieldMatch) string {
	if len(ms) == 0 {
		return "*"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		v := strings.Join(m.Values, "|")
		parts[i] = m.Field.String() + "=" + v
	}
	return strings.Join(parts, ",")
}

// matches reports whether the key values vals (indexed by field, with
// rolled[f] set where the value came from a rollup) satisfy every field of
// the condition.
func (c *Condition) matches(vals *[numFields]string, rolled *[numFields]bool) bool {
	for f := Field(0); f < numFields; f++ {
		m := c.match[f]
		if m == nil {
			continue
		}
		if m.first(vals[f], rolled[f], nil) < 0 {
			return false
		}
	}
	return true
}

// Suspend holds back entries whose raw field values match every field.
type Suspend struct {
	// ID is "suspends[N]" for a configured suspend, or the id of a dynamic
	// one.
	ID string
	// Match lists the fields and matchers.
	Match []FieldMatch
	// Tag is reported as the reason.
	Tag string
	// Created and Expires are set for dynamic suspends; Expires is zero
	// for configured ones.
	Created time.Time
	Expires time.Time

	match    [numFields]*matcherSet
	expires  int64
	identity string
}

// Dynamic reports whether the suspend was added at runtime.
func (s *Suspend) Dynamic() bool { return !s.Expires.IsZero() }

// Remaining returns the time to live left at now of a dynamic suspend,
// and 0 for a configured one or once it has expired.
func (s *Suspend) Remaining(now time.Time) time.Duration {
	if s.Expires.IsZero() {
		return 0
	}
	return max(s.Expires.Sub(now), 0)
}

// String formats the suspend's matchers like Condition.String.
func (s *Suspend) String() string { return formatMatches(s.Match) }

func (s *Suspend) matches(e *Entry, ctx *matchContext) bool {
	for f := Field(0); f < numFields; f++ {
		m := s.match[f]
		if m == nil {
			continue
		}
		if m.first(normalizeValue(f, e.Value(f)), false, ctx) < 0 {
			return false
		}
	}
	return true
}

// Lists returns the names of the top-level lists.
func (c *Config) Lists() []string {
	names := make([]string, 0, len(c.lists))
	for name := range c.lists {
		names = append(names, name)
	}
	return names
}

// PolicyByID returns the policy with the given id, or nil.
func (c *Config) PolicyByID(id string) *Policy {
	for _, p := range c.Policies {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// PolicyForFields returns the first policy, in file order, whose field set
// equals fields as a set, or nil. Dynamic policies attach to it.
func (c *Config) PolicyForFields(fields []Field) *Policy {
	var mask uint16
	for _, f := range fields {
		mask |= 1 << f
	}
	for _, p := range c.Policies {
		if p.fieldMask == mask {
			return p
		}
	}
	return nil
}

// LoadFile reads and validates a policy configuration file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// LoadFiles loads several files, such as smtpd-policy.yaml and
// smtpd-suspend.yaml, into one configuration: policies and suspends in the
// order given. Inside a file, matchers see only that file's lists; the
// suspends of a later file may name the rollups of earlier files' policies.
func LoadFiles(paths ...string) (*Config, error) {
	var merged *Config
	var errs ErrorList
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		cfg, err := load(path, data, merged)
		if err != nil {
			if list, ok := err.(ErrorList); ok {
				errs = append(errs, list...)
				continue
			}
			return nil, err
		}
		if merged == nil {
			merged = cfg
			continue
		}
		errs = append(errs, merged.merge(cfg)...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if merged == nil {
		merged = &Config{}
	}
	return merged, nil
}

// merge appends other's policies and suspends to c.
func (c *Config) merge(other *Config) ErrorList {
	var errs ErrorList
	for _, p := range other.Policies {
		if p.defaultID {
			// Number policies without an id by their position in the
			// merged configuration, so two files' "policies[0]" differ.
			p.ID = index("policies", len(c.Policies))
			p.keyPrefix = keyPrefix(p)
		}
		if c.PolicyByID(p.ID) != nil {
			errs = append(errs, &Error{File: other.File, Path: "policies", Msg: fmt.Sprintf("duplicate policy id %q (also in %s)", p.ID, c.File)})
			continue
		}
		p.index = len(c.Policies)
		c.Policies = append(c.Policies, p)
	}
	c.Suspends = append(c.Suspends, other.Suspends...)
	// Dynamic conditions and suspends may use the lists of every file;
	// the first file defining a name wins.
	for name, list := range other.lists {
		if _, dup := c.lists[name]; !dup {
			c.lists[name] = list
		}
	}
	if other.groupings != nil {
		c.groupings = other.groupings
	}
	return errs
}
