package pull

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/sync/nexudus"
)

// RunIncremental runs one incremental pass now: every entity changed since
// its UpdatedOn cursor (minus the overlap) is re-derived. Without cursors or
// after a restart (no tables in memory) it runs a full reconcile of the
// pre-staging horizon instead.
func (s *Syncer) RunIncremental(ctx context.Context) error {
	return s.runJob(JobIncremental, func(now time.Time) error { return s.incremental(ctx, now) })
}

// RunReconcile runs one full reconcile of the next window (the periodic
// job uses Config.ReconcileWindow, the nightly one Config.Prestage).
func (s *Syncer) RunReconcile(ctx context.Context, window time.Duration) error {
	job := JobReconcile
	if window >= s.cfg.Prestage {
		job = JobNightly
	}
	return s.runJob(job, func(now time.Time) error { return s.reconcile(ctx, now, window) })
}

func (s *Syncer) runJob(name string, f func(now time.Time) error) error {
	s.jobMu.Lock()
	defer s.jobMu.Unlock()
	start := s.now()
	err := f(start)
	d := s.now().Sub(start)
	s.noteJob(name, start, d, err)
	if err != nil {
		s.log.Warn("nexudus sync failed", "job", name, "duration", d, "err", err)
		return fmt.Errorf("%s sync: %w", name, err)
	}
	s.log.Debug("nexudus sync done", "job", name, "duration", d)
	return nil
}

func (s *Syncer) cursorsReady() bool {
	for _, e := range incrementalEntities() {
		if _, ok := s.store.Cursor(cursorPrefix + e); !ok {
			return false
		}
	}
	return true
}

func (s *Syncer) reconcile(ctx context.Context, now time.Time, window time.Duration) error {
	sn, bizs, err := s.fetchFull(ctx, now, window)
	if err != nil {
		return err
	}
	t := newTables()
	for _, b := range bizs {
		t.businesses[b.ID] = b
	}
	t.merge(sn)
	s.checkZones(ctx, bizs)

	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	d := s.newDeriver(t, now)
	p := &plan{evidence: map[memberGroup]bool{}, revoked: map[string]bool{}}
	s.deriveCoworkers(d, sn.coworkers, p)
	listed := make(map[int64]bool, len(sn.coworkers))
	for _, c := range sn.coworkers {
		listed[c.ID] = true
	}
	departed := s.departures(listed, p, now)
	for i := range sn.bookings {
		p.derived = d.booking(&sn.bookings[i], p.derived)
	}
	for i := range sn.passes {
		p.derived = d.pass(&sn.passes[i], p.derived)
	}
	for i := range sn.contracts {
		p.derived = d.contract(&sn.contracts[i], p.derived)
		s.contractEvidence(d, &sn.contracts[i], p)
	}
	for i := range sn.cancelled {
		s.cancelEvidence(d, &sn.cancelled[i], p)
	}
	limit := now.Add(window)
	p.inScope = func(g *policy.Grant) bool {
		if g.Kind == policy.KindBooking {
			return !g.From.Add(s.cfg.MarginBefore).After(limit)
		}
		return true
	}
	ch, err := s.buildChange(p, now)
	if err != nil {
		return err
	}
	for name, v := range departed {
		ch.setCursor(name, v)
	}
	start := s.client.FilterTime(now)
	for _, e := range incrementalEntities() {
		if _, ok := s.store.Cursor(cursorPrefix + e); ok {
			continue // the incremental job owns existing cursors
		}
		v := start
		if c := sn.cursors[e]; c != nil && !c.Max().IsZero() {
			v = c.Max().String()
		}
		ch.setCursor(cursorPrefix+e, v)
	}
	if err := s.commit(ctx, ch, now); err != nil {
		return err
	}
	s.tables = t
	return nil
}

func (s *Syncer) incremental(ctx context.Context, now time.Time) error {
	s.applyMu.Lock()
	loaded := s.tables != nil
	s.applyMu.Unlock()
	if !loaded || !s.cursorsReady() {
		return s.reconcile(ctx, now, s.cfg.Prestage)
	}
	cur := func(entity string) string {
		v, _ := s.store.Cursor(cursorPrefix + entity)
		t, err := nexudus.ParseTime(v)
		if err != nil {
			return ""
		}
		c := nexudus.NewCursor(t)
		return s.client.CursorValue(&c, s.cfg.CursorOverlap)
	}
	startText := s.client.FilterTime(now)
	sn, err := s.fetchChanged(ctx, cur)
	if err != nil {
		return err
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	t := s.tables
	touched := map[string]bool{}
	coworkers := map[int64]bool{}
	// Desks that changed may move contracts: re-derive the old and new ones.
	var recontract []int64
	for _, dk := range sn.desks {
		for _, id := range append(contractIDs(t.desks[dk.ID]), contractIDs(dk)...) {
			recontract = append(recontract, id)
		}
	}
	t.merge(sn)
	d := s.newDeriver(t, now)
	p := &plan{evidence: map[memberGroup]bool{}, revoked: map[string]bool{}}
	s.deriveCoworkers(d, sn.coworkers, p)
	for _, c := range sn.coworkers {
		coworkers[c.ID] = true
	}
	for i := range sn.bookings {
		b := &sn.bookings[i]
		touched[subjectOf("booking", b.ID)] = true
		coworkers[b.CoworkerID] = true
		p.derived = d.booking(b, p.derived)
	}
	for i := range sn.cancelled {
		b := &sn.cancelled[i]
		id := b.ID
		if n, ok := b.OriginalBookingID.Int64(); ok {
			id = n
		}
		touched[subjectOf("booking", id)] = true
		coworkers[b.CoworkerID] = true
		s.cancelEvidence(d, b, p)
	}
	for i := range sn.passes {
		ps := &sn.passes[i]
		touched[subjectOf("pass", ps.ID)] = true
		coworkers[ps.CoworkerID] = true
		p.derived = d.pass(ps, p.derived)
	}
	for i := range sn.contracts {
		recontract = append(recontract, sn.contracts[i].ID)
	}
	for _, id := range recontract {
		k, ok := t.contracts[id]
		if !ok || touched[subjectOf("contract", id)] {
			continue
		}
		touched[subjectOf("contract", id)] = true
		coworkers[k.CoworkerID] = true
		p.derived = d.contract(&k, p.derived)
		s.contractEvidence(d, &k, p)
	}
	p.inScope = func(g *policy.Grant) bool { return touched[subject(g.Reference)] }
	p.affected = []string{}
	for cw := range coworkers {
		if cw == 0 {
			continue
		}
		for _, dom := range s.cfg.Domains {
			p.affected = append(p.affected, MemberID(dom.ID, cw))
		}
	}
	ch, err := s.buildChange(p, now)
	if err != nil {
		return err
	}
	// The next pass reads from the later of the newest UpdatedOn seen and
	// this pass's start (both minus the overlap), so records changed long
	// ago are not re-read every minute once nothing changes (Q10 plus a
	// floor; the overlap covers clock skew up to its length).
	floor, _ := nexudus.ParseTime(startText)
	mode := s.client.TimeMode()
	for _, e := range incrementalEntities() {
		v := floor
		if c := sn.cursors[e]; c != nil && c.Max().Instant(mode, s.client.Location()).After(floor.Instant(mode, s.client.Location())) {
			v = c.Max()
		}
		if !v.IsZero() {
			ch.setCursor(cursorPrefix+e, v.String())
		}
	}
	return s.commit(ctx, ch, now)
}

func contractIDs(d nexudus.FloorPlanDesk) []int64 {
	var out []int64
	for _, s := range d.CoworkerContractIDs {
		if n, ok := nexudus.StringID(s).Int64(); ok {
			out = append(out, n)
		}
	}
	return out
}

// merge folds a snapshot's records into the tables.
func (t *tables) merge(sn *snapshot) {
	for _, r := range sn.resources {
		t.resources[r.ID] = r
	}
	for _, p := range sn.tps {
		t.timePasses[p.ID] = p
	}
	if len(sn.slots) > 0 {
		byID := map[int64]nexudus.TimePassTimeSlot{}
		for _, list := range t.slots {
			for _, sl := range list {
				byID[sl.ID] = sl
			}
		}
		for _, sl := range sn.slots {
			byID[sl.ID] = sl
		}
		t.slots = map[int64][]nexudus.TimePassTimeSlot{}
		for _, sl := range byID {
			t.slots[sl.TimePassID] = append(t.slots[sl.TimePassID], sl)
		}
	}
	for _, dk := range sn.desks {
		t.desks[dk.ID] = dk
	}
	for _, k := range sn.contracts {
		t.contracts[k.ID] = k
	}
	for _, c := range sn.coworkers {
		if c.UniqueID != "" {
			t.uniqueIDs[strings.ToLower(c.UniqueID)] = c.ID
		}
	}
}

func (s *Syncer) deriveCoworkers(d *deriver, cws []nexudus.Coworker, p *plan) {
	for i := range cws {
		c := &cws[i]
		ms := d.members(c, s.digest, s.reportCredential)
		p.members = append(p.members, ms...)
		if c.Archived || !c.Active {
			for _, m := range ms {
				p.revoked[m.Member.ID] = true
			}
		}
	}
}

// cancelEvidence marks the groups of a cancelled booking as removed.
func (s *Syncer) cancelEvidence(d *deriver, b *nexudus.CancelledBooking, p *plan) {
	if b.CoworkerID == 0 {
		return
	}
	r := d.t.resources[b.ResourceID]
	for _, g := range r.Groups() {
		if a, ok := d.accesses[g]; ok {
			p.evidence[memberGroup{MemberID(a.Domain, b.CoworkerID), g}] = true
		}
	}
}

// contractEvidence marks the desk groups of a cancelled contract as removed.
func (s *Syncer) contractEvidence(d *deriver, k *nexudus.CoworkerContract, p *plan) {
	if !k.Cancelled && (k.CancellationDate.IsZero() || k.CancellationAt(d.mode, time.UTC).After(d.now)) {
		return
	}
	for _, did := range d.t.contractDesks(k) {
		g := string(d.t.desks[did].AccessControlGroupID)
		if a, ok := d.accesses[g]; ok {
			p.evidence[memberGroup{MemberID(a.Domain, k.CoworkerID), g}] = true
		}
	}
}

// buildChange compares the plan with the store.
func (s *Syncer) buildChange(p *plan, now time.Time) (*Change, error) {
	byMember := map[string][]policy.Grant{}
	for _, g := range p.derived {
		byMember[g.Member] = append(byMember[g.Member], g)
	}
	ids := p.affected
	if ids == nil {
		for _, id := range s.store.MemberIDs() {
			if strings.HasPrefix(id, memberPrefix) {
				ids = append(ids, id)
			}
		}
	}
	seen := make(map[string]bool, len(ids))
	ch := &Change{}
	visit := func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		dels, puts := diffMember(s.store.Grants(id), byMember[id], p, now, now.Add(-s.cfg.Lookback))
		ch.Deletes = append(ch.Deletes, dels...)
		ch.Puts = append(ch.Puts, puts...)
	}
	for _, id := range ids {
		visit(id)
	}
	for id := range byMember {
		visit(id)
	}
	for _, mp := range p.members {
		if m, creds, ok := s.store.Member(mp.Member.ID); ok && sameMember(mp, m, creds) {
			continue
		}
		ch.Members = append(ch.Members, mp)
	}
	return ch, nil
}

// commit applies a REST pass's change with the domains' last-sync time.
func (s *Syncer) commit(ctx context.Context, ch *Change, now time.Time) error {
	ch.LastSync = map[string]time.Time{}
	for _, d := range s.cfg.Domains {
		ch.LastSync[d.ID] = now
	}
	if err := s.store.Apply(ctx, ch); err != nil {
		return fmt.Errorf("apply pass: %w", err)
	}
	s.log.Debug("nexudus pass applied", "members", len(ch.Members), "puts", len(ch.Puts), "deletes", len(ch.Deletes))
	return nil
}
