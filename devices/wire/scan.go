package wire

import (
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON values (the top-level object is 1).
const maxDepth = 8

// members iterates over the members of one JSON object, checking the syntax
// of every value it passes over. It allocates only for a key with escapes.
//
//	var m members
//	m.init(data)
//	for m.next() { use m.key, m.val }
//	if m.err != nil { ... }
type members struct {
	b     []byte
	i     int
	depth int // depth of this object's values
	state uint8
	key   []byte // member name, unescaped
	val   []byte // raw JSON value, syntax checked
	err   *Error
}

const (
	stStart uint8 = iota // before '{'
	stFirst              // after '{'
	stMore               // after a value
	stDone
)

// init starts iterating the top-level object in data; trailing non-space
// bytes after it are an error.
func (m *members) init(data []byte) {
	*m = members{b: data, depth: 2}
}

// initNested starts iterating an object that is the raw value v at depth d.
func (m *members) initNested(v []byte, d int) {
	*m = members{b: v, depth: d + 1}
}

func (m *members) fail(msg string) bool {
	m.err = errf(CodeBadJSON, "", msg)
	m.state = stDone
	return false
}

func (m *members) next() bool {
	switch m.state {
	case stStart:
		m.ws()
		if m.i >= len(m.b) || m.b[m.i] != '{' {
			return m.fail("payload is not a JSON object")
		}
		m.i++
		m.ws()
		if m.i < len(m.b) && m.b[m.i] == '}' {
			m.i++
			return m.end()
		}
		m.state = stFirst
	case stMore:
		m.ws()
		if m.i >= len(m.b) {
			return m.fail("unexpected end of object")
		}
		switch m.b[m.i] {
		case '}':
			m.i++
			return m.end()
		case ',':
			m.i++
			m.ws()
		default:
			return m.fail("expected ',' or '}' after object member")
		}
	case stFirst:
	default:
		return false
	}
	if m.i >= len(m.b) || m.b[m.i] != '"' {
		return m.fail("expected a member name")
	}
	start := m.i
	end, esc, msg := scanString(m.b, m.i)
	if msg != "" {
		return m.fail(msg)
	}
	m.i = end
	if esc {
		m.key = appendUnquote(nil, m.b[start:end]) // rare: allocates
	} else {
		m.key = m.b[start+1 : end-1]
	}
	m.ws()
	if m.i >= len(m.b) || m.b[m.i] != ':' {
		return m.fail("expected ':' after member name")
	}
	m.i++
	m.ws()
	vs := m.i
	if msg := m.skipValue(m.depth); msg != "" {
		return m.fail(msg)
	}
	m.val = m.b[vs:m.i]
	m.state = stMore
	return true
}

func (m *members) end() bool {
	m.state = stDone
	m.ws()
	if m.i != len(m.b) {
		return m.fail("trailing data after JSON object")
	}
	return false
}

func (m *members) ws() { m.i = skipWS(m.b, m.i) }

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue moves m.i past one JSON value at the given depth; it returns a
// non-empty message on a syntax error.
func (m *members) skipValue(depth int) string {
	var msg string
	m.i, msg = skipValue(m.b, m.i, depth)
	return msg
}

func skipValue(b []byte, i, depth int) (int, string) {
	if i >= len(b) {
		return i, "unexpected end of input"
	}
	switch c := b[i]; {
	case c == '"':
		end, _, msg := scanString(b, i)
		return end, msg
	case c == '{' || c == '[':
		if depth > maxDepth {
			return i, "JSON nested too deeply"
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, ""
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, "expected a member name"
				}
				var msg string
				if i, _, msg = scanString(b, i); msg != "" {
					return i, msg
				}
				i = skipWS(b, i)
				if i >= len(b) || b[i] != ':' {
					return i, "expected ':' after member name"
				}
				i = skipWS(b, i+1)
			}
			var msg string
			if i, msg = skipValue(b, i, depth+1); msg != "" {
				return i, msg
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, "unexpected end of input"
			}
			if b[i] == closer {
				return i + 1, ""
			}
			if b[i] != ',' {
				return i, "expected ',' or a closing bracket"
			}
			i = skipWS(b, i+1)
		}
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	default:
		return i, "invalid JSON value"
	}
}

func literal(b []byte, i int, lit string) (int, string) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, "invalid JSON literal"
	}
	return i + len(lit), ""
}

// scanNumber checks the JSON number grammar.
func scanNumber(b []byte, i int) (int, string) {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, "invalid number"
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, "invalid number"
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, "invalid number"
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, "invalid number"
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i, ""
}

// scanString checks the string starting at b[i] == '"' and returns the index
// after its closing quote and whether it contains escapes.
func scanString(b []byte, i int) (end int, esc bool, msg string) {
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, esc, ""
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return i, esc, "unterminated string"
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, esc, "invalid \\u escape"
				}
				for _, h := range b[i+2 : i+6] {
					if unhex(h) < 0 {
						return i, esc, "invalid \\u escape"
					}
				}
				i += 6
			default:
				return i, esc, "invalid escape in string"
			}
		case c < 0x20:
			return i, esc, "control character in string"
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return i, esc, "invalid UTF-8 in string"
			}
			i += n
		}
	}
	return i, esc, "unterminated string"
}

// elements iterates over the elements of a JSON array given as a raw,
// syntax-checked value.
type elements struct {
	b     []byte
	i     int
	depth int
	val   []byte
	n     int
}

func (e *elements) init(v []byte, depth int) {
	*e = elements{b: v, i: 1, depth: depth + 1}
}

func (e *elements) next() bool {
	e.i = skipWS(e.b, e.i)
	if e.i >= len(e.b) || e.b[e.i] == ']' {
		return false
	}
	if e.b[e.i] == ',' {
		e.i = skipWS(e.b, e.i+1)
	}
	s := e.i
	e.i, _ = skipValue(e.b, e.i, e.depth) // already checked
	e.val = e.b[s:e.i]
	e.n++
	return true
}
