package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/lockhub/lockhub/simulators/locks"
)

// connectScenarios measures ConnectLocks locks connecting to a hub holding
// the site's grants, and the hub's memory, under the default settings and
// (MemVariants) under tighter Go memory settings.
func (h *harness) connectScenarios(ctx context.Context) {
	variants := []struct {
		name string
		env  []string
	}{{"default", nil}}
	if h.o.Plan.MemVariants {
		variants = append(variants,
			struct {
				name string
				env  []string
			}{"GOMEMLIMIT=200MiB", []string{"GOMEMLIMIT=200MiB"}},
			struct {
				name string
				env  []string
			}{"GOGC=100 (Go's default)", []string{"GOGC=100"}})
	}
	for _, v := range variants {
		c, err := h.connect(ctx, v.name, v.env)
		if err != nil {
			h.fail("connect %s: %v", v.name, err)
		}
		h.res.Connect = append(h.res.Connect, c)
		if ctx.Err() != nil {
			return
		}
	}
}

func (h *harness) connect(ctx context.Context, variant string, env []string) (Connect, error) {
	p := h.o.Plan
	res := Connect{Variant: variant, Locks: p.ConnectLocks, Procs: p.ConnectProcs}
	hc, url, err := h.startHub(h.site, "process", env)
	if err != nil {
		return res, err
	}
	defer stopChild(h, hc)
	time.Sleep(time.Second) // let the open settle before the idle figure
	if res.Idle, err = hubMem(hc); err != nil {
		return res, err
	}
	reps := p.ConnectRepeats
	if variant != "default" {
		reps = max(1, reps-1)
	}
	for rep := range reps {
		load := Load{Before: loadAvg()}
		secs, failed, err := h.connectOnce(url, p.ConnectLocks, p.ConnectProcs, func() error {
			m, err := hubMem(hc)
			res.Connected = append(res.Connected, m)
			if err != nil || rep > 0 || variant != "default" {
				return err
			}
			return h.inspectConnected(hc, &res)
		})
		load.After = loadAvg()
		res.Load = append(res.Load, load)
		res.Failed += failed
		if err != nil {
			return res, err
		}
		res.Seconds = append(res.Seconds, secs)
		m := res.Connected[len(res.Connected)-1]
		h.logf("connect %s run %d: %d locks in %.2f s, hub RSS %.1f MiB (heap %.1f, stacks %.1f), load %.2f→%.2f",
			variant, rep+1, p.ConnectLocks, secs, mib(m.RSS), mib(m.HeapInuse), mib(m.StackInuse), load.Before, load.After)
		// The hub needs a moment to drop the disconnected clients.
		time.Sleep(3 * time.Second)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	return res, nil
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// inspectConnected records, with the locks still connected, what the hub's
// heap is made of (the allocs command runs a GC first, so this is live
// data), its memory right after that GC, and its memory settled (the idle
// wait is skipped in a quick run).
func (h *harness) inspectConnected(hc *child, res *Connect) error {
	file := filepath.Join(h.o.OutDir, "hub-heap-connected.pprof")
	if _, err := hc.call("allocs "+file, time.Minute); err != nil {
		return err
	}
	res.HeapTop = pprofTop(h.o.ModuleDir, "-sample_index=inuse_space", file)
	after, err := hubMem(hc)
	if err != nil {
		return err
	}
	res.AfterGC = &after
	idle := settleIdle
	if h.o.Quick {
		idle = 0
	}
	if _, err := hc.call("settle "+idle.String(), time.Minute); err != nil {
		return err
	}
	settled, err := hubMem(hc)
	if err != nil {
		return err
	}
	res.Settled = &settled
	return nil
}

// settleIdle is how long the hub is left idle before the settled reading:
// long enough for Badger's allocator pools (ristretto's AllocatorPool
// releases one of at most 8 buffers every 2 s without use).
const settleIdle = 20 * time.Second

func hubMem(c *child) (MemReport, error) {
	line, err := c.call("mem", time.Minute)
	if err != nil {
		return MemReport{}, err
	}
	var m MemReport
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "ok ")), &m); err != nil {
		return MemReport{}, fmt.Errorf("hub mem %q: %w", line, err)
	}
	return m, nil
}

// connectOnce starts procs lock-client processes with n locks in all, lets
// them connect at once, calls measure with every lock connected, and
// returns the connect time (the slowest process's).
func (h *harness) connectOnce(url string, n, procs int, measure func() error) (float64, int, error) {
	var cs []*child
	defer func() {
		for _, c := range cs {
			stopChild(h, c)
		}
	}()
	per := (n + procs - 1) / procs
	for from := 0; from < n; from += per {
		spec := LocksSpec{BrokerURL: url, MasterKey: filepath.Join(h.site, "master.key"), From: from, Count: min(per, n-from), Concurrency: 64}
		c, line, err := startChild(h.o.Exe, RoleLocks, spec, nil, h.o.Log, time.Minute)
		if err != nil {
			return 0, 0, err
		}
		cs = append(cs, c)
		if line != "built" {
			return 0, 0, fmt.Errorf("lock process said %q", line)
		}
	}
	for _, c := range cs {
		if _, err := c.in.Write([]byte("go\n")); err != nil {
			return 0, 0, err
		}
	}
	var slowest time.Duration
	failed := 0
	for _, c := range cs {
		line, err := c.readLine(5 * time.Minute)
		if err != nil {
			return 0, failed, err
		}
		var rep locks.ConnectReport
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "connected ")), &rep); err != nil {
			return 0, failed, fmt.Errorf("lock process %q: %w", line, err)
		}
		failed += rep.Failed
		slowest = max(slowest, rep.Elapsed)
	}
	if failed > 0 {
		return slowest.Seconds(), failed, fmt.Errorf("%d locks failed to connect", failed)
	}
	return slowest.Seconds(), 0, measure()
}
