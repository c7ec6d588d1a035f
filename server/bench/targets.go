package main

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultTargets are the targets the report judges unless -targets names another file.
//
//go:embed targets.txt
var defaultTargets string

// target is one line of a targets file: figure op limit | name.
type target struct {
	figure, op, limit, name string
}

var comparisons = map[string]struct {
	sign string
	ok   func(v, limit float64) bool
}{
	"<":  {"<", func(v, l float64) bool { return v < l }},
	"<=": {"≤", func(v, l float64) bool { return v <= l }},
	"==": {"=", func(v, l float64) bool { return v == l }},
	">=": {"≥", func(v, l float64) bool { return v >= l }},
	">":  {">", func(v, l float64) bool { return v > l }},
}

// parseTargets reads a targets file (see targets.txt), checking that every figure exists.
func parseTargets(text string) ([]target, error) {
	var out []target
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spec, name, _ := strings.Cut(line, "|")
		f := strings.Fields(spec)
		if len(f) != 3 || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("line %d: want \"figure comparison limit | name\", got %q", i+1, line)
		}
		t := target{figure: f[0], op: f[1], limit: f[2], name: strings.TrimSpace(name)}
		if _, ok := comparisons[t.op]; !ok {
			return nil, fmt.Errorf("line %d: unknown comparison %q", i+1, t.op)
		}
		if !knownFigure(t.figure) {
			return nil, fmt.Errorf("line %d: unknown figure %q", i+1, t.figure)
		}
		if _, _, ok := limitValue(t.limit); !ok && !knownFigure(t.limit) {
			return nil, fmt.Errorf("line %d: limit %q is neither a number, a duration nor a figure", i+1, t.limit)
		}
		out = append(out, t)
	}
	return out, nil
}

// knownFigure reports whether name is a figure the benchmark can measure.
func knownFigure(name string) bool {
	if num, den, ok := strings.Cut(name, "/"); ok {
		return knownFigure(num) && knownFigure(den)
	}
	if _, ok := namedFigures[name]; ok {
		return true
	}
	kind, sc, _ := strings.Cut(name, ":")
	return (kind == "cpu" || kind == "rps") && slices.Contains(scenarioNames(), sc)
}

// limitValue reads a number or a duration (in seconds); duration says which.
func limitValue(s string) (v float64, duration, ok bool) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, false, true
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), true, true
	}
	return 0, false, false
}

// check is a target and how the run fared against it.
type check struct {
	target
	measured figure
	// limitText is the comparison and the limit as the report prints them.
	limitText string
	pass      bool
}

// judge compares the median of t's figure with its limit; false when either was not measured.
func (t target) judge(r results) (check, bool) {
	f, ok := r.figure(t.figure)
	if !ok {
		return check{}, false
	}
	cmp := comparisons[t.op]
	limit, isDuration, isValue := limitValue(t.limit)
	text := f.format(limit)
	if isDuration {
		text = seconds(limit)
	}
	if !isValue {
		lf, ok := r.figure(t.limit)
		if !ok {
			return check{}, false
		}
		limit = lf.spread().median
		text = fmt.Sprintf("%s (%s)", lf.format(limit), t.limit)
	}
	s := f.spread()
	pass := f.problem == "" && s.rounds() > 0 && cmp.ok(s.median, limit)
	return check{target: t, measured: f, limitText: cmp.sign + " " + text, pass: pass}, true
}

// checks judges the targets whose figures were measured.
func (r results) checks() []check {
	var out []check
	for _, t := range r.opts.targets {
		if c, ok := t.judge(r); ok {
			out = append(out, c)
		}
	}
	return out
}
