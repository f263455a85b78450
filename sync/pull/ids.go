package pull

import (
	"strconv"
	"strings"
	"time"
)

// memberPrefix starts every member id made by this package.
const memberPrefix = "nexudus:"

// MemberID is the member id of a Nexudus coworker in a domain.
func MemberID(domain string, coworker int64) string {
	return memberPrefix + domain + ":" + strconv.FormatInt(coworker, 10)
}

// ParseMemberID is the inverse of MemberID.
func ParseMemberID(id string) (domain string, coworker int64, ok bool) {
	rest, ok := strings.CutPrefix(id, memberPrefix)
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseInt(rest[i+1:], 10, 64)
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return rest[:i], n, true
}

func bookingRef(id int64, group string) string {
	return "booking/" + strconv.FormatInt(id, 10) + "/" + group
}

func passRef(id int64, group string) string {
	return "pass/" + strconv.FormatInt(id, 10) + "/" + group
}

func passSlotRef(id int64, group string, localStart time.Time) string {
	return passRef(id, group) + "/" + localStart.Format("20060102T1504")
}

func contractRef(id, desk int64, group string) string {
	return "contract/" + strconv.FormatInt(id, 10) + "/" + strconv.FormatInt(desk, 10) + "/" + group
}

func webhookPrefix(business string, coworker int64) string {
	return business + "/" + strconv.FormatInt(coworker, 10) + "/"
}

// subject is the first two segments of a REST reference ("booking/12"),
// naming the Nexudus record a grant comes from.
func subject(ref string) string {
	i := strings.IndexByte(ref, '/')
	if i < 0 {
		return ref
	}
	j := strings.IndexByte(ref[i+1:], '/')
	if j < 0 {
		return ref
	}
	return ref[:i+1+j]
}

func subjectOf(kind string, id int64) string { return kind + "/" + strconv.FormatInt(id, 10) }

// refGroup is the group of a REST reference: the third segment for bookings
// and passes, the fourth for contracts.
func refGroup(ref string) string {
	parts := strings.Split(ref, "/")
	switch {
	case len(parts) >= 3 && (parts[0] == "booking" || parts[0] == "pass"):
		return parts[2]
	case len(parts) >= 4 && parts[0] == "contract":
		return parts[3]
	}
	return ""
}

// Cursor names in the store.
const (
	cursorPrefix     = "nexudus/updated/"
	webhookCursorPfx = "nexudus/webhook/"
	checkinCursor    = "nexudus/checkin/seq"
)
