package hub

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// hubCollector exports, at scrape time, what the hub knows but no component
// counts: per-lock gauges from the broker's presence table (a lock label,
// which style.md allows on these few gauges only), the outbox, the store,
// the data age per domain, the clock mark and the health warnings. No label
// carries a member id, a user name or a credential.
type hubCollector struct {
	h *Hub

	lockOnline, lockBattery, lockDoorOpen           *prometheus.Desc
	outboxPending, outboxOldest, eventsDropped      *prometheus.Desc
	eventsAppended, eventsUnreadable, storeRecords  *prometheus.Desc
	eventsSyncs, eventsSyncTime, eventsSlowSyncs    *prometheus.Desc
	stageWaits, stageUnapplied                      *prometheus.Desc
	dataAge, lastSync                               *prometheus.Desc
	clockNewest, clockTrusted, healthWarning, ready *prometheus.Desc
}

func newHubCollector(h *Hub) *hubCollector {
	d := prometheus.NewDesc
	return &hubCollector{
		h:                h,
		lockOnline:       d("lockhub_lock_online", "1 while the lock has an open MQTT connection, 0 otherwise (configured locks and connected ones).", []string{"lock"}, nil),
		lockBattery:      d("lockhub_lock_battery_ratio", "Battery level the lock last reported, 0 to 1 (absent when unknown).", []string{"lock"}, nil),
		lockDoorOpen:     d("lockhub_lock_door_open", "1 when the lock last reported its door open, 0 closed (absent when unknown).", []string{"lock"}, nil),
		outboxPending:    d("lockhub_events_outbox_pending_events", "Events in the outbox, waiting for upload.", nil, nil),
		outboxOldest:     d("lockhub_events_outbox_oldest_age_seconds", "Age of the oldest event in the outbox (0 when empty).", nil, nil),
		eventsDropped:    d("lockhub_events_outbox_dropped_events_total", "Un-uploaded events dropped by the outbox cap since start.", nil, nil),
		eventsAppended:   d("lockhub_events_appended_total", "Events stored in the event log since start.", nil, nil),
		eventsUnreadable: d("lockhub_events_unreadable_events_total", "Events the event log found unreadable when it opened (written just before a power cut or an OS crash, not yet synced) and dropped, with gap records for the upstream.", nil, nil),
		eventsSyncs:      d("lockhub_events_syncs_total", "Background syncs of the event log to disk (process durability) since start.", nil, nil),
		eventsSyncTime:   d("lockhub_events_sync_seconds_total", "Time the event log's background syncs took since start; without a stage, appends (and so decisions) wait meanwhile.", nil, nil),
		eventsSlowSyncs:  d("lockhub_events_slow_syncs_total", "Background syncs of the event log that took 50 ms or more, since start.", nil, nil),
		stageWaits:       d("lockhub_events_stage_waits_total", "Times an append waited for room in the event log's stage (the disk fell a whole stage behind), since start.", nil, nil),
		stageUnapplied:   d("lockhub_events_stage_unapplied_batches", "Batches in the event log's stage not yet written to its store (0 without a stage).", nil, nil),
		storeRecords:     d("lockhub_store_records", "Records in the store, by kind.", []string{"kind"}, nil),
		dataAge:          d("lockhub_sync_data_age_seconds", "Seconds since the domain's last successful Nexudus sync (absent when never synced).", []string{"domain"}, nil),
		lastSync:         d("lockhub_sync_domain_last_success_timestamp_seconds", "Unix time of the domain's last successful Nexudus sync (absent when never synced).", []string{"domain"}, nil),
		clockNewest:      d("lockhub_clock_mark_timestamp_seconds", "Unix time of the newest recorded decision: the clock must not run behind it.", nil, nil),
		clockTrusted:     d("lockhub_clock_trusted", "1 when the system clock is not behind the clock mark by more than the tolerance.", nil, nil),
		healthWarning:    d("lockhub_health_warning", "1 for each visible health warning, by code and severity; 0 for declared warnings not raised.", []string{"code", "severity"}, nil),
		ready:            d("lockhub_ready", "1 when /readyz answers ready.", nil, nil),
	}
}

func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lockOnline, c.lockBattery, c.lockDoorOpen, c.outboxPending,
		c.outboxOldest, c.eventsDropped, c.eventsAppended, c.eventsUnreadable, c.eventsSyncs, c.eventsSyncTime, c.eventsSlowSyncs,
		c.stageWaits, c.stageUnapplied, c.storeRecords, c.dataAge, c.lastSync,
		c.clockNewest, c.clockTrusted, c.healthWarning, c.ready} {
		ch <- d
	}
}

func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.h
	now := h.now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, l := range h.lockViews(now) {
		gauge(c.lockOnline, b2f(l.Online), l.ID)
		if l.Battery >= 0 {
			gauge(c.lockBattery, float64(l.Battery)/100, l.ID)
		}
		switch l.Door {
		case "closed":
			gauge(c.lockDoorOpen, 0, l.ID)
		case "open", "forced", "held":
			gauge(c.lockDoorOpen, 1, l.ID)
		}
	}
	n, oldest := h.events.Pending()
	gauge(c.outboxPending, float64(n))
	age := 0.0
	if !oldest.IsZero() {
		age = max(now.Sub(oldest).Seconds(), 0)
	}
	gauge(c.outboxOldest, age)
	st := h.events.Stats()
	ch <- prometheus.MustNewConstMetric(c.eventsDropped, prometheus.CounterValue, float64(st.Dropped))
	ch <- prometheus.MustNewConstMetric(c.eventsAppended, prometheus.CounterValue, float64(st.Appended))
	ch <- prometheus.MustNewConstMetric(c.eventsUnreadable, prometheus.CounterValue, float64(st.Unreadable))
	ch <- prometheus.MustNewConstMetric(c.eventsSyncs, prometheus.CounterValue, float64(st.Syncs))
	ch <- prometheus.MustNewConstMetric(c.eventsSyncTime, prometheus.CounterValue, st.SyncTime.Seconds())
	ch <- prometheus.MustNewConstMetric(c.eventsSlowSyncs, prometheus.CounterValue, float64(st.SlowSyncs))
	ch <- prometheus.MustNewConstMetric(c.stageWaits, prometheus.CounterValue, float64(st.StageWaits))
	gauge(c.stageUnapplied, float64(st.StagedBatches-min(st.StageApplied, st.StagedBatches)))
	cn := h.store.Counts()
	for _, kv := range []struct {
		k string
		v int
	}{{"domains", cn.Domains}, {"locks", cn.Locks}, {"accesses", cn.Accesses}, {"members", cn.Members},
		{"credentials", cn.Credentials}, {"grants", cn.Grants}} {
		gauge(c.storeRecords, float64(kv.v), kv.k)
	}
	for dom, t := range h.store.LastSyncs() {
		if t.IsZero() {
			continue
		}
		gauge(c.dataAge, max(now.Sub(t).Seconds(), 0), dom)
		gauge(c.lastSync, float64(t.UnixNano())/1e9, dom)
	}
	mark := h.store.ClockMark()
	if !mark.Newest.IsZero() {
		gauge(c.clockNewest, float64(mark.Newest.UnixNano())/1e9)
	}
	gauge(c.clockTrusted, b2f(mark.Trusted(now)))
	ws := h.checkHealth(now)
	shown := map[string]Severity{}
	for _, w := range ws {
		shown[w.Code] = w.Severity
	}
	for _, d := range h.health.decls {
		if sev, ok := shown[d.Code]; ok {
			gauge(c.healthWarning, 1, d.Code, sev.String())
		} else {
			gauge(c.healthWarning, 0, d.Code, d.Severity.String())
		}
	}
	gauge(c.ready, b2f(!critical(ws)))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// metricsHandler serves the hub's registry in the Prometheus text format or
// OpenMetrics (by content negotiation).
func (h *Hub) metricsHandler() http.Handler {
	return promhttp.HandlerFor(h.gatherer, promhttp.HandlerOpts{
		Registry:            h.reg, // adds promhttp_metric_handler_errors_total
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
		Timeout:             5 * time.Second,
		EnableOpenMetrics:   true,
	})
}
