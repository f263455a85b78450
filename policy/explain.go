package policy

import "time"

// Candidate is one grant Explain considered, with the reason it did or did
// not match.
type Candidate struct {
	Grant      Grant
	AccessName string // empty when the access is unknown
	Reason     Reason
}

// Explanation is a decision with the grants behind it.
type Explanation struct {
	Decision   Decision
	Member     *Member // nil when the credential did not resolve to one member
	Lock       *Lock   // nil when the lock is unknown
	Candidates []Candidate
}

// Explain decides req at now exactly as Decide does, and lists every grant of
// the member with the reason it did or did not match. It may allocate.
func Explain(now time.Time, req Request, v View) Explanation {
	var ex Explanation
	ex.Decision = decide(now, req, v, func(g Grant, a *Access, r Reason) {
		c := Candidate{Grant: g, Reason: r}
		if a != nil {
			c.AccessName = a.Name
		}
		ex.Candidates = append(ex.Candidates, c)
	})
	ex.Lock = v.Lock(req.Lock)
	if ex.Decision.Member != "" {
		ex.Member = v.Member(ex.Decision.Member)
	}
	return ex
}
