// Package pull keeps the hub's grant cache in step with Nexudus: it derives
// members, credentials and grants from the REST API (sync/nexudus), receives
// the Custom ACS webhook, serves the access-groups endpoint, runs the sync
// jobs on a cron schedule and posts check-ins for granted unlocks at
// check-in doors. docs/nexudus.md (the project's setup doc) describes the
// operator's side; the shared research notes' §5/§7 decisions are cited as
// Qn and §7.
//
// # Records
//
// A Nexudus coworker becomes one member per domain that follows a Nexudus
// business (MemberID: "nexudus:<domain>:<coworker id>"; the colon keeps it
// apart from config member ids). Grants are keyed (origin, kind, reference)
// with these references:
//
//	nexudus-rest/booking   booking/<booking id>/<group>
//	nexudus-rest/pass      pass/<held pass id>/<group>            (no time slots)
//	nexudus-rest/pass      pass/<held pass id>/<group>/<yyyymmddThhmm>  (one per slot occurrence, local start)
//	nexudus-rest/contract  contract/<contract id>/<desk id>/<group>
//	webhook/group          <business uniqueId>/<coworker id>/<group>
//
// A Nexudus access group id is a hub key (policy.Access) id: the
// access-groups endpoint lists the keys, the operator maps resources, passes
// and desks to them in Nexudus. An id that names no key of a domain following
// the business is reported (metric, Status, one log line) and never guessed.
//
// # Passes and jobs
//
// Incremental reads every entity changed since its UpdatedOn cursor (minus
// the overlap) and re-derives only what changed. Reconcile lists bookings in
// [now-Lookback, now+window], every unused held pass and every contract with
// its desks, and deletes by difference: a REST grant in that scope the new
// pass no longer derives. Each pass ends with one Store.Apply (atomic) that
// also stores the cursors and the domains' last-sync time, from which the
// offline horizon counts. One mutex serialises the jobs; a second, short one
// serialises the read-modify-apply step of jobs and webhooks.
//
// # Webhook and REST together (§7)
//
// A webhook replaces only the webhook grants of that coworker and business; a
// REST pass replaces only REST grants. REST deletes a webhook grant only on
// positive evidence: a cancelled booking, a used or expired pass or a
// cancelled contract for that (member, group) while REST derives no other
// basis for it, or a coworker inactive or archived. A webhook grant for a
// (member, group) that REST knows only from bookings is cut back to the end of
// the booking that covers it.
package pull
