package nexudus

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// envelope is the list answer (nexudus.md §3.2).
type envelope struct {
	Records              []row
	CurrentPage          int
	CurrentPageSize      int
	CurrentOrderField    string
	CurrentSortDirection int
	FirstItem            int
	LastItem             int
	TotalItems           int
	TotalPages           int
	HasNextPage          bool
	HasPreviousPage      bool
}

// writeResult writes the write/error envelope (nexudus.md §3.2 [S39][S44]).
func writeResult(w http.ResponseWriter, status int, msg string, id int) {
	var value any
	if id != 0 {
		value = map[string]int{"Id": id}
	}
	ok := status < 300
	var errs any
	if !ok {
		errs = []map[string]any{{"AttemptedValue": nil, "Message": msg, "PropertyName": nil}}
	}
	writeJSON(w, status, map[string]any{
		"Status": status, "Message": msg, "Value": value, "WasSuccessful": ok, "Errors": errs,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// listQuery is a parsed list request.
type listQuery struct {
	page, size int
	orderBy    string
	dir        int
	ids        []int // batch request when non-nil
	filters    []filter
	ignored    []string
}

type filter struct {
	prop  string // property path with "_" between parts, e.g. Resource_Name
	kind  byte   // '=' equality, '>' from_, '<' to_
	value string
}

// parseListQuery reads page, size, orderBy, dir, id and the filters of
// entity name. It fails on values it cannot read; unknown parameters are
// returned in ignored.
func parseListQuery(q url.Values, name string, maxSize int) (listQuery, error) {
	lq := listQuery{page: 1, size: 25, orderBy: "Id", dir: 1}
	prefix := strings.ToLower(name) + "_"
	for key, vals := range q {
		if len(vals) == 0 {
			continue
		}
		v := vals[len(vals)-1]
		lk := strings.ToLower(key)
		switch {
		case lk == "page":
			n, err := strconv.Atoi(v)
			if err != nil {
				return lq, fmt.Errorf("page: %w", err)
			}
			lq.page = max(n, 1)
		case lk == "size":
			n, err := strconv.Atoi(v)
			if err != nil {
				return lq, fmt.Errorf("size: %w", err)
			}
			if n < 1 {
				n = 25
			}
			if maxSize > 0 && n > maxSize {
				n = maxSize
			}
			lq.size = n
		case lk == "orderby":
			if v != "" {
				lq.orderBy = v
			}
		case lk == "dir":
			d, err := parseDir(v)
			if err != nil {
				return lq, err
			}
			lq.dir = d
		case lk == "id":
			ids, err := parseIDList(v)
			if err != nil {
				return lq, err
			}
			lq.ids = ids
		case strings.HasPrefix(lk, "from_"+prefix):
			lq.filters = append(lq.filters, filter{prop: key[len("from_")+len(prefix):], kind: '>', value: v})
		case strings.HasPrefix(lk, "to_"+prefix):
			lq.filters = append(lq.filters, filter{prop: key[len("to_")+len(prefix):], kind: '<', value: v})
		case strings.HasPrefix(lk, prefix):
			lq.filters = append(lq.filters, filter{prop: key[len(prefix):], kind: '=', value: v})
		default:
			lq.ignored = append(lq.ignored, key)
		}
	}
	slices.SortFunc(lq.filters, func(a, b filter) int { return cmp.Compare(a.prop, b.prop) })
	return lq, nil
}

// parseDir accepts 1/0/asc/ascending as ascending and -1/desc/descending as
// descending (nexudus.md §5 Q9).
func parseDir(v string) (int, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "1", "0", "asc", "ascending":
		return 1, nil
	case "-1", "desc", "descending":
		return -1, nil
	}
	return 0, fmt.Errorf("dir: unknown sort direction %q", v)
}

// parseIDList reads "[1,2,3]" (documented) or "1,2,3".
func parseIDList(v string) ([]int, error) {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	ids := []int{}
	if strings.TrimSpace(v) == "" {
		return ids, nil
	}
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("id: %w", err)
		}
		ids = append(ids, n)
	}
	return ids, nil
}

// resolveProp maps a filter or sort property onto a row key: the parts
// joined (Resource_Name -> ResourceName), then with "Id" appended
// (Coworker -> CoworkerId), case-insensitively.
func resolveProp(sample row, prop string) (string, bool) {
	joined := strings.ReplaceAll(prop, "_", "")
	for _, cand := range []string{joined, joined + "Id"} {
		if _, ok := sample[cand]; ok {
			return cand, true
		}
		for k := range sample {
			if strings.EqualFold(k, cand) {
				return k, true
			}
		}
	}
	return "", false
}

func (s *Server) listHandler(e entity) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lq, err := parseListQuery(r.URL.Query(), e.name, s.cfg.MaxPageSize)
		if err != nil {
			writeResult(w, http.StatusBadRequest, err.Error(), 0)
			return
		}
		s.reqs.noteIgnored(r, lq.ignored)
		rows := s.rowsFor(e)
		if lq.ids != nil {
			writeJSON(w, http.StatusOK, batch(rows, lq.ids))
			return
		}
		out, err := applyFilters(rows, lq.filters)
		if err != nil {
			writeResult(w, http.StatusBadRequest, err.Error(), 0)
			return
		}
		writeJSON(w, http.StatusOK, page(out, lq))
	})
}

func batch(rows []row, ids []int) []row {
	out := make([]row, 0, len(ids))
	for _, id := range ids {
		i, ok := slices.BinarySearchFunc(rows, id, func(r row, id int) int { return cmp.Compare(r["Id"].(int), id) })
		if ok {
			out = append(out, rows[i])
		}
	}
	return out
}

// page sorts (stable, ties by Id) and cuts one page into the envelope.
func page(rows []row, lq listQuery) envelope {
	field := "Id"
	if len(rows) > 0 {
		if k, ok := resolveProp(rows[0], lq.orderBy); ok {
			field = k
		}
	} else if lq.orderBy != "" {
		field = lq.orderBy
	}
	if field != "Id" || lq.dir < 0 {
		sorted := slices.Clone(rows)
		slices.SortStableFunc(sorted, func(a, b row) int {
			c := compareValues(a[field], b[field])
			if c == 0 {
				c = cmp.Compare(a["Id"].(int), b["Id"].(int))
			}
			return c * lq.dir
		})
		rows = sorted
	}
	total := len(rows)
	env := envelope{
		CurrentPage: lq.page, CurrentPageSize: lq.size, CurrentOrderField: field,
		CurrentSortDirection: lq.dir, TotalItems: total,
	}
	if total > 0 {
		env.TotalPages = (total-1)/lq.size + 1
	}
	start := total
	if lq.page-1 < env.TotalPages {
		start = (lq.page - 1) * lq.size
	}
	end := start + min(lq.size, total-start)
	env.Records = rows[start:end]
	if end > start {
		env.FirstItem, env.LastItem = start+1, end
	}
	env.HasNextPage = end < total
	env.HasPreviousPage = lq.page > 1
	return env
}

func (s *Server) getHandler(e entity) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			writeResult(w, http.StatusBadRequest, "Id: must be a number", 0)
			return
		}
		rec, ok := s.fullFor(e, id)
		if !ok {
			writeResult(w, http.StatusNotFound, e.name+" not found", 0)
			return
		}
		writeJSON(w, http.StatusOK, rec)
	})
}
