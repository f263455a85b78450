package nexudus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Query holds list parameters: {Entity}_{Prop} equality filters and
// from_/to_ ranges (nexudus.md §3.2). Methods return a modified copy; the
// zero Query lists everything. page and size are set by the pager.
type Query struct {
	v    url.Values
	size int
}

func (q Query) with(key, value string) Query {
	v := make(url.Values, len(q.v)+1)
	for k, vs := range q.v {
		v[k] = append([]string(nil), vs...)
	}
	v.Set(key, value)
	q.v = v
	return q
}

// Equal adds {entity}_{prop}=value, e.g. Equal("CoworkerTimePass", "Used",
// "false"). prop may be a navigation path such as "Resource_Name".
func (q Query) Equal(entity, prop, value string) Query {
	return q.with(entity+"_"+prop, value)
}

// From adds from_{entity}_{prop}=value: on or after (inclusive). value is a
// FilterTimeLayout string: see FormatFilterTime and Cursor.Format.
func (q Query) From(entity, prop, value string) Query {
	return q.with("from_"+entity+"_"+prop, value)
}

// To adds to_{entity}_{prop}=value: on or before (inclusive).
func (q Query) To(entity, prop, value string) Query {
	return q.with("to_"+entity+"_"+prop, value)
}

// UpdatedSince adds from_{entity}_UpdatedOn=cursor, unless cursor is ""
// (a full sync).
func (q Query) UpdatedSince(entity, cursor string) Query {
	if cursor == "" {
		return q
	}
	return q.From(entity, "UpdatedOn", cursor)
}

// OrderBy sets orderBy. The direction parameter is documented three
// conflicting ways (Q9), so the client never sends it and callers must not
// rely on the order: the typed List functions sort by Id themselves.
func (q Query) OrderBy(prop string) Query { return q.with("orderBy", prop) }

// Size sets the page size for this query (Config.PageSize otherwise).
func (q Query) Size(n int) Query {
	q.size = n
	return q
}

// Values returns the parameters as they will be sent (without page/size).
func (q Query) Values() url.Values {
	v := make(url.Values, len(q.v)+2)
	for k, vs := range q.v {
		v[k] = append([]string(nil), vs...)
	}
	return v
}

// Page is the list envelope (§3.2). Sort fields are left out: their type
// varies between the APIs and nothing here relies on them (Q9).
type Page[T any] struct {
	Records         []T  `json:"Records"`
	CurrentPage     int  `json:"CurrentPage"`
	CurrentPageSize int  `json:"CurrentPageSize"`
	TotalItems      int  `json:"TotalItems"`
	TotalPages      int  `json:"TotalPages"`
	HasNextPage     bool `json:"HasNextPage"`
	HasPreviousPage bool `json:"HasPreviousPage"`
}

// DecodePage decodes one list envelope of entity records. Unknown fields are
// ignored; a field of the wrong type, a missing Records array or a body that
// is not an object is a *DecodeError naming entity and field.
func DecodePage[T any](entity string, b []byte) (*Page[T], error) {
	var p struct {
		Page[T]
		Records *[]T `json:"Records"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, decodeError(entity, err)
	}
	if p.Records == nil {
		return nil, &DecodeError{Entity: entity, Field: "Records", Want: "array", Got: "nothing", Err: errTypeMismatch}
	}
	p.Page.Records = *p.Records
	return &p.Page, nil
}

// maxPages stops a server that always claims another page.
const maxPages = 1_000_000

// Each pages through path with q and calls fn for every record, in the
// server's order (which callers must not rely on, Q9). Paging follows
// HasNextPage; a page number that is not echoed back, or an empty page that
// claims a successor, is ErrPaging. A record may be seen twice if the data
// changes while paging; callers upsert by Id.
func Each[T any](ctx context.Context, c *Client, entity, path string, q Query, fn func(*T) error) error {
	size := q.size
	if size <= 0 {
		size = c.cfg.PageSize
	}
	for page := 1; ; page++ {
		v := q.Values()
		v.Set("page", strconv.Itoa(page))
		v.Set("size", strconv.Itoa(size))
		b, err := c.get(ctx, path, v)
		if err != nil {
			return err
		}
		p, err := DecodePage[T](entity, b)
		if err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		if p.CurrentPage != 0 && p.CurrentPage != page {
			return fmt.Errorf("%w: %s asked page %d, got page %d", ErrPaging, path, page, p.CurrentPage)
		}
		for i := range p.Records {
			if err := fn(&p.Records[i]); err != nil {
				return err
			}
		}
		if !p.HasNextPage {
			return nil
		}
		if len(p.Records) == 0 || page >= maxPages {
			return fmt.Errorf("%w: %s page %d is empty but claims a next page", ErrPaging, path, page)
		}
	}
}

// Get fetches one record by id (a bare object, with the collection fields
// lists leave out, §3.2).
func Get[T any](ctx context.Context, c *Client, entity, path string, id string) (*T, error) {
	b, err := c.get(ctx, path+"/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, decodeError(entity, err)
	}
	return &v, nil
}
