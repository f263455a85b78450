// Package nexudus is a stateful fake of the Nexudus platform for tests and
// demos, written from the research notes in docs/nexudus.md (cited as §n
// below) with hand-written JSON. It imports nothing of lockhub, so it cannot
// drift along with our client's types.
//
// # What it models
//
//   - Token endpoint POST /api/token (§3.1, §6): form-encoded password grant
//     (username, password, optional totp and client_id) and refresh_token grant
//     (client_id required); one valid refresh token per client_id; expires_in
//     (604799 s by default); a JSON body gives unsupported_grant_type. Bearer and
//     Basic auth on the API; 401 with the error envelope otherwise.
//   - Read-only collections (§3.4) with the list envelope, get-by-id and batch
//     (?id=[1,2,3]) of §3.2: /api/sys/businesses, /api/sys/simpletimezones,
//     /api/sys/floorplandesks, /api/spaces/coworkers, /api/spaces/resources,
//     /api/spaces/bookings, /api/spaces/cancelledbookings, /api/spaces/checkins,
//     /api/billing/timepasses, /api/billing/timepasstimeslots,
//     /api/billing/coworkertimepasses, /api/billing/coworkercontracts.
//     Writes: DELETE /api/spaces/bookings/{id}, DELETE
//     /api/billing/coworkertimepasses/{id}, POST /api/spaces/checkins, all
//     answering the write envelope (Status, Message, Value{Id}, WasSuccessful,
//     Errors).
//   - Query parameters (§3.2, §5 Q9): page (default 1), size (default 25,
//     optional Config.MaxPageSize clamp, echoed in CurrentPageSize), orderBy,
//     dir (1/0/asc/ascending ascending, -1/desc/descending descending, echoed as
//     CurrentSortDirection 1 or -1), {Entity}_{Prop} equality filters (also
//     nested {Entity}_{Nav}_{Prop} and {Entity}_{Nav} meaning {Nav}Id),
//     inclusive from_/to_ ranges (From_/To_ too) at minute precision.
//   - Partial list rows; collections (Coworker Teams/Businesses, Resource
//     LinkedResources, TimePass Businesses/Tariffs, CoworkerContract Desks) only
//     on get-by-id (§3.2).
//   - Deletions without tombstones (§3.5): DeleteBooking and DeletePass make a
//     record vanish; CancelBooking moves it to CancelledBookings with
//     CancellationReason, CancelledOn and OriginalBookingId (§3.4).
//   - Time modes (§5 Q8): "utc" serves FromTime, UpdatedOn, ... as UTC with Z
//     and the *Local twins as the location's wall clock; "wallclock" serves both
//     as the same wall-clock text. from_/to_ values are read in the same clock as
//     the field they filter. Each business has a Nexudus time-zone record
//     (SimpleTimeZoneId, §7), not an IANA id.
//   - Throttling (§3.3): per client (client_id, Basic user, else remote host)
//     fixed windows; DefaultLimits are the documented ones; 409 (or 429) with
//     Retry-After in whole seconds; switchable at run time.
//   - Faults at run time (SetFaults): error status, slow answers, hangs bounded
//     by Config.MaxHang, truncated JSON, dropped connections, per path prefix
//     and for a number of requests.
//   - The Custom ACS webhook (§2): the documented body (time with 7 fractional
//     digits, business, coworker, groups as full state, schedule with
//     expires_on), bearer token, timers 15 min before a booking starts and 15 min
//     after it ends, and the triggers of §2 fired by the mutators; retries (10)
//     and self-disable after 10 consecutive failures ([S11]); switches to
//     duplicate, reorder and drop deliveries. CallAccessGroups plays Nexudus
//     reading our access-groups endpoint with the X-Nexudus headers (§1, Q1).
//   - An injected clock: Tick applies contract start/cancellation dates and the
//     webhook timers between two clock readings; Run does it every second.
//
// # Where it departs from Nexudus (limits)
//
//   - Field names, ids and types not shown in the docs are guesses: the
//     AccessControlGroupIds format (we send a comma-separated string),
//     /api/sys/simpletimezones and its fields, Coworker.InvoicingBusinessId,
//     the webhook keys accessCardId/keyFobNumber/fullName (§2, Q2), and the
//     access-groups answer keys id/name (Q1).
//   - A failed token grant answers 400 (OAuth convention) unless
//     Config.TokenErrorStatus says otherwise; Nexudus' status is not shown (§3.1).
//   - Unknown filter properties and parameters are ignored (they are listed in
//     the RequestLog); string equality is case-insensitive and exact (Nexudus
//     may match substrings); bad numbers, dates, dirs or ids give 400.
//   - Whether REST FromTime is UTC is a GAP (§4); both readings are offered,
//     neither is known to be the real one. UpdatedOn and CreatedOn use the first
//     business's zone in wallclock mode.
//   - What expires_on holds for a booking is a GAP (§4); the fake sends the
//     booking end (§7). Tentative bookings grant nothing. Contracts grant their
//     desks' groups until CancellationDate.
//   - No roles per entity ({Entity}-List, ...): every valid user is a full
//     administrator. No teams endpoint, no NotCheckedIn auto-cancel, no
//     AccessControlDebounceTime coalescing, no HTTPS (tests use plain HTTP on
//     loopback), no PUT/POST for entities other than check-ins.
//   - The webhook sender delivers when DeliverWebhooks (or Run's loop) is
//     called, not on Nexudus' schedule; RetryDelay is seconds, not Nexudus'
//     longer delays. Seeds are muted: they build the starting state, not events.
package nexudus
