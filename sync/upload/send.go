package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

type outcomeKind uint8

const (
	outcomeRetry outcomeKind = iota // network error, 408/409/425/429, 5xx, 401/403/404/407, 1xx/3xx
	outcomeOK                       // 2xx
	outcomePark                     // any other 4xx: the batch itself is refused
)

// outcome is the result of one request.
type outcome struct {
	kind       outcomeKind
	status     int           // 0 for a transport error
	retryAfter time.Duration // from Retry-After, when given
	msg        string        // short, stable text for logs and status (no secrets)
}

// post sends b once.
func (u *Uploader) post(ctx context.Context, b *batch) outcome {
	ctx, cancel := context.WithTimeout(ctx, u.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.cfg.URL, bytes.NewReader(b.gz))
	if err != nil {
		return outcome{msg: "build request: " + err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+u.cfg.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Idempotency-Key", b.rec.Key)
	req.Header.Set("User-Agent", "lockhub-upload/1")
	start := time.Now()
	resp, err := u.client.Do(req)
	u.m.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		return outcome{msg: transportText(err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	return classify(resp.StatusCode, resp.Header.Get("Retry-After"), body, u.now())
}

// classify maps an answer to what the hub does (docs/events.md).
func classify(status int, retryAfter string, body []byte, now time.Time) outcome {
	o := outcome{status: status}
	if status >= 200 && status < 300 {
		o.kind = outcomeOK
		return o
	}
	o.retryAfter, _ = parseRetryAfter(retryAfter, now)
	o.msg = fmt.Sprintf("upstream answered %d", status)
	if m := serverMessage(body); m != "" {
		o.msg += ": " + m
	}
	switch {
	case status >= 400 && status < 500 && !retryable4xx(status):
		o.kind = outcomePark
	default:
		o.kind = outcomeRetry
	}
	return o
}

// retryable4xx are the client errors that say nothing against the batch
// itself: timeouts, conflicts and throttling (retry by contract), and
// authentication or endpoint errors (a wrong token or URL would otherwise
// park every batch; they are fixed in the config, then the retry succeeds).
func retryable4xx(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusProxyAuthRequired:
		return true
	}
	return false
}

// transportText turns a transport error into a short text that stays the
// same across attempts (no ephemeral ports), so failures log once.
func transportText(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "request timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return "connection closed before an answer"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "dns lookup failed: " + dns.Err
	}
	var op *net.OpError
	if errors.As(err, &op) {
		if op.Op != "dial" {
			return "connection closed before an answer"
		}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return "connect failed: " + errno.Error()
		}
		return "connect failed"
	}
	return "request failed: " + err.Error()
}

// parseRetryAfter reads a Retry-After value: delta-seconds or an HTTP date
// (RFC 9110 §10.2.3). A date in the past gives 0. ok is false for an absent
// or malformed value.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d = t.Sub(now); d < 0 {
		d = 0
	}
	return d.Round(time.Second), true
}

// serverMessage extracts a short, printable message from an error body:
// the "error" or "message" string of a JSON object, else the text itself.
// Control characters become spaces; the result is at most maxMessageLen
// bytes of valid UTF-8.
func serverMessage(body []byte) string {
	var obj struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	text := string(body)
	if json.Unmarshal(body, &obj) == nil {
		var s string
		var nested struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(obj.Error, &s) == nil && s != "":
			text = s
		case json.Unmarshal(obj.Error, &nested) == nil && nested.Message != "":
			text = nested.Message
		case obj.Message != "":
			text = obj.Message
		}
	}
	var sb strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(text, "\uFFFD") {
		if !unicode.IsPrint(r) {
			r = ' '
		}
		if r == ' ' {
			if space || sb.Len() == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		if sb.Len()+utf8.RuneLen(r) > maxMessageLen {
			break
		}
		sb.WriteRune(r)
	}
	return strings.TrimRight(sb.String(), " ")
}
