package hub

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxConfigSize bounds a site configuration file.
const MaxConfigSize = 4 << 20

// maxMappingKeys bounds the keys of one YAML mapping. No section has more
// than a few dozen; the bound keeps yaml.v3's quadratic duplicate-key check
// cheap on hostile input.
const maxMappingKeys = 256

// LoadConfig reads a site configuration (at most MaxConfigSize bytes of one
// YAML document), fills in defaults and validates it. Unknown fields are
// errors. A failure is a *ConfigError listing every problem with its field
// path (and line, for decode errors); values are never echoed, since the file
// holds credentials.
func LoadConfig(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("config is larger than %d MiB", MaxConfigSize>>20)
	}
	c, err := decodeConfig(data)
	if err != nil {
		return nil, err
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadConfigFile is LoadConfig on a file; errors name the file.
func LoadConfigFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("config %s: not a regular file", path)
	}
	c, err := LoadConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func decodeConfig(data []byte) (*Config, error) {
	fileErr := func(format string, args ...any) error {
		return &ConfigError{Problems: []*FieldError{{Err: fmt.Errorf(format, args...)}}}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fileErr("config is empty")
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fileErr("config is empty")
		}
		return nil, fileErr("parse yaml: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fileErr("config must be a single YAML document")
	}
	if len(root.Content) == 1 && root.Content[0].ShortTag() == "!!null" {
		return nil, fileErr("config is empty")
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fileErr("config must be a mapping of sections (site, domains, locks, ...)")
	}
	if n := bigMapping(&root, 0); n != nil {
		return nil, &ConfigError{Problems: []*FieldError{{Line: n.Line,
			Err: fmt.Errorf("mapping has more than %d keys", maxMappingKeys)}}}
	}
	c := &Config{}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(c); err != nil {
		return nil, describeDecodeError(&root, err)
	}
	return c, nil
}

// bigMapping returns a mapping node with too many keys, if any. It does not
// follow aliases.
func bigMapping(n *yaml.Node, depth int) *yaml.Node {
	if n.Kind == yaml.MappingNode && len(n.Content) > 2*maxMappingKeys {
		return n
	}
	if depth > 64 {
		return nil
	}
	for _, c := range n.Content {
		if m := bigMapping(c, depth+1); m != nil {
			return m
		}
	}
	return nil
}

// nodeAt is a node of the parsed file with its field path.
type nodeAt struct {
	path  string
	key   string // for mapping keys: the key; the path is the parent's
	node  *yaml.Node
	isKey bool
}

func indexNodes(n *yaml.Node, path string, out *[]nodeAt, depth int) {
	if depth > 64 {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexNodes(c, path, out, depth+1)
		}
	case yaml.MappingNode:
		*out = append(*out, nodeAt{path: path, node: n})
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			*out = append(*out, nodeAt{path: path, key: k.Value, node: k, isKey: true})
			indexNodes(v, joinPath(path, k.Value), out, depth+1)
		}
	case yaml.SequenceNode:
		*out = append(*out, nodeAt{path: path, node: n})
		for i, c := range n.Content {
			indexNodes(c, path+"["+strconv.Itoa(i)+"]", out, depth+1)
		}
	case yaml.ScalarNode:
		*out = append(*out, nodeAt{path: path, node: n})
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// describeDecodeError turns yaml.v3's errors ("line 4: field x not found in
// type hub.LockConfig") into FieldErrors with paths, without the values.
func describeDecodeError(root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return &ConfigError{Problems: []*FieldError{{Err: fmt.Errorf("decode yaml: %s",
			strings.TrimPrefix(err.Error(), "yaml: "))}}}
	}
	var nodes []nodeAt
	indexNodes(root, "", &nodes, 0)
	var p problems
	used := map[*yaml.Node]bool{}
	for _, msg := range te.Errors {
		p = append(p, describeOne(nodes, used, msg))
	}
	return p.err()
}

func describeOne(nodes []nodeAt, used map[*yaml.Node]bool, msg string) *FieldError {
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, text
			}
		}
	}
	fe := &FieldError{Line: line}
	if name, ok := fieldNamed(msg, "field ", " not found in type "); ok {
		fe.Field = keyPath(nodes, line, name)
		fe.Err = fmt.Errorf("%w %q", ErrUnknownField, name)
		return fe
	}
	if name, ok := fieldNamed(msg, "field ", " already set in type "); ok {
		fe.Field = keyPath(nodes, line, name)
		fe.Err = fmt.Errorf("field %q given twice", name)
		return fe
	}
	if rest, ok := strings.CutPrefix(msg, "mapping key "); ok {
		name, _, _ := strings.Cut(rest, " already defined")
		name = strings.Trim(name, `"`)
		fe.Field = keyPath(nodes, line, name)
		fe.Err = fmt.Errorf("key %q given twice", name)
		return fe
	}
	if rest, ok := strings.CutPrefix(msg, "cannot unmarshal "); ok {
		tag, _, _ := strings.Cut(rest, " ")
		_, goType, _ := strings.Cut(rest, " into ")
		fe.Field = valuePath(nodes, used, line, tagKind(tag))
		fe.Err = fmt.Errorf("want %s, got %s", describeGoType(goType), describeTag(tag))
		return fe
	}
	// Our own unmarshalers (durations, sizes): the message is safe to show.
	fe.Field = valuePath(nodes, used, line, yaml.ScalarNode)
	fe.Err = errors.New(msg)
	return fe
}

func fieldNamed(msg, prefix, infix string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, infix)
	return name, ok
}

// keyPath finds the mapping key called name on line and returns its parent's
// path.
func keyPath(nodes []nodeAt, line int, name string) string {
	for _, n := range nodes {
		if n.isKey && n.node.Line == line && n.key == name {
			return n.path
		}
	}
	return ""
}

// valuePath finds the deepest value node of the kind on line that has not
// been reported yet.
func valuePath(nodes []nodeAt, used map[*yaml.Node]bool, line int, kind yaml.Kind) string {
	best := -1
	for i, n := range nodes {
		if n.isKey || n.node.Line != line || n.node.Kind != kind || used[n.node] {
			continue
		}
		if best < 0 || len(n.path) > len(nodes[best].path) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	used[nodes[best].node] = true
	return nodes[best].path
}

func tagKind(tag string) yaml.Kind {
	switch tag {
	case "!!map":
		return yaml.MappingNode
	case "!!seq":
		return yaml.SequenceNode
	}
	return yaml.ScalarNode
}

func describeTag(tag string) string {
	switch tag {
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true or false"
	case "!!null":
		return "nothing"
	case "!!timestamp":
		return "a timestamp"
	case "!!str":
		return "text"
	}
	return "a value tagged " + strconv.Quote(tag)
}

func describeGoType(t string) string {
	switch {
	case t == "hub.Duration", t == "*hub.Duration":
		return "a duration such as 30s, 5m or 7d"
	case t == "hub.ByteSize":
		return "a size such as 64MiB"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "hub."), strings.HasPrefix(t, "*hub."):
		return "a mapping"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "uint"):
		return "a whole number, 0 or more"
	case strings.HasPrefix(t, "int"):
		return "a whole number"
	case t == "string":
		return "text"
	}
	return "a value of type " + t
}
