// Package nexudus is lockhub's typed client for the Nexudus admin REST API
// and the decoder of its Custom ACS webhook. It holds Nexudus' shapes only;
// turning them into grants is sync/pull's job (no policy types here).
// docs/nexudus.md is the contract; section numbers below refer to it.
//
// # Client
//
//	c, err := nexudus.New(nexudus.Config{
//		BaseURL: "https://spaces.nexudus.com", ClientID: hubGUID,
//		Username: user, Password: secret, Location: siteZone,
//	}, nil, log)
//	bookings, err := c.ListBookings(ctx, nexudus.Query{}.
//		From(nexudus.EntityBooking, "ToTime", c.FilterTime(now.Add(-24*time.Hour))))
//
// Authentication (§3.1, Q15): a form-encoded password grant with a fixed
// client_id; the token is refreshed with the refresh token at half its
// expires_in or after a 401, and a failed refresh falls back to a new
// password grant. One renewal serves every concurrent caller.
//
// Budget and retries (§3.3, Q14): every request waits for a token bucket
// (RequestsPerMinute sustained, at most Burst per second); writes also wait
// for WritesPerSecond. 409 and 429 are throttles: the client waits the
// server's Retry-After (2 s if absent, capped at 60 s) via internal/backoff.
// 5xx and network errors on reads back off with jitter; each attempt has
// Config.Timeout; a response body is bounded by Config.MaxResponseBytes.
//
// Lists (§3.2, Q9): Each pages with page/size until HasNextPage is false.
// The sort direction parameter is never sent; the List methods deduplicate
// by Id and sort by Id themselves. Query builds {Entity}_{Prop} filters and
// inclusive from_/to_ ranges in the YYYY-MM-DDTHH:mm layout.
//
// # Time
//
// Nexudus timestamps come with or without "Z", offset and fraction (§4);
// Time keeps them as written. Whether FromTime is UTC or the location's wall
// clock is tenant-specific (Q8): the client compares each booking's FromTime
// with FromTimeLocal in Config.Location and exposes the verdict as
// Client.TimeMode. Cursor tracks the newest UpdatedOn and formats the next
// from_{Entity}_UpdatedOn value, 10 minutes earlier, in that mode's frame
// (Q10).
//
// # Webhook
//
// DecodeWebhook reads the Custom ACS webhook (§2, Q2–Q6, Q18) with tolerant
// key spellings, a 1 MiB limit, and a redacted copy of the body for
// diagnosis. Its errors tell "too large" (413) from "malformed" (400).
//
// # Secrets
//
// PINs, cards, fobs, emails and tokens never appear in an error string or a
// log line from this package: decode errors name the field and the JSON
// type, never the value.
package nexudus
