package hub_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lockhub/lockhub/devices/wire"
)

var updateScreenshot = flag.Bool("update", false, "rewrite docs/screenshots/status.png from the browser test")

// TestStatusPageInBrowser drives a real hub (locks, members, grants), makes
// decisions over MQTT, then loads the status page in headless Chromium:
// the locks, sync, outbox and decisions sections show what happened, and
// the explainer form answers with the decision and its grants without
// showing the credential typed into it. A full-page screenshot goes to
// t.TempDir() and, with -update or LOCKHUB_SCREENSHOT=1, to
// docs/screenshots/status.png.
func TestStatusPageInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (`make deps` installs it): skipping the browser test")
	}
	w := startWeb(t, webYAML(t.TempDir(), ""))
	front := connectLock(t, w.Hub, "front-door")
	front.publishState(t, wire.LockState{Online: true, Boot: 3, FW: "2.4.1", Battery: 87, HasBattery: true,
		Door: wire.DoorClosed, Clock: time.Now().Add(1200 * time.Millisecond).UnixMilli()})
	for _, c := range []struct {
		typ  wire.RequestType
		cred string
	}{{wire.TypeCard, aliceCard}, {wire.TypePIN, alicePIN}, {wire.TypeCard, bobCard}, {wire.TypeCard, "DEADBEEF"},
		{wire.TypeCard, aliceCardColons}} {
		front.request(t, c.typ, c.cred)
	}
	waitFor(t, "the front door's state", func() bool {
		_, body, _ := w.get(t, "/api/locks")
		return strings.Contains(body, `"battery_percent":87`)
	})

	ctx, cancel := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}

	do("load the status page", chromedp.Navigate(w.base+"/"), chromedp.WaitVisible(chromedp.CSS("#decisions table")))
	checks := []struct {
		section string
		want    []string
	}{
		{"#ready", []string{"Ready"}},
		{"#locks", []string{"Front door", "front-door", "online", "closed", "87%", "Back door", "offline", "never connected"}},
		{"#decisions", []string{"Alice Andersson", "Bob Berg", "granted", "denied", "no_grant", "unknown_credential", "pin"}},
		{"#sync", []string{"Nexudus sync not configured", "hq", "config"}},
		{"#outbox", []string{"Waiting for upload", "not configured", "Parked batches"}},
		{".tiles", []string{"Locks online", "1 / 2", "5", "3 granted", "2 denied"}},
	}
	for _, c := range checks {
		got := text(c.section)
		if miss, ok := containsAll(got, c.want...); !ok {
			t.Errorf("section %s lacks %q:\n%s", c.section, miss, got)
		}
	}
	bars, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#decisions svg rect.granted")))
	if err != nil || len(bars) == 0 {
		t.Errorf("the chart has no granted bar (%d, %v)", len(bars), err)
	}

	// The explainer: a card typed in the form.
	do("explain a card",
		chromedp.SetValue(chromedp.CSS(`select[name="lock"]`), "front-door"),
		chromedp.SetValue(chromedp.CSS(`select[name="type"]`), "card"),
		chromedp.SendKeys(chromedp.CSS(`input[name="value"]`), aliceCardColons),
		chromedp.Submit(chromedp.CSS(`form.explain`)),
		chromedp.WaitVisible(chromedp.CSS("#explain-result")),
	)
	if miss, ok := containsAll(text("#explain-result"), "Opens", "allowed", "card ••••", "Alice Andersson", "Front door"); !ok {
		t.Errorf("explainer verdict lacks %q: %s", miss, text("#explain-result"))
	}
	if miss, ok := containsAll(text("table.candidates"), "config/manual/alice/office", "Office hours", "allowed", "open-ended"); !ok {
		t.Errorf("explainer candidates lack %q: %s", miss, text("table.candidates"))
	}
	if addr, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(addr, "value") || strings.Contains(strings.ToLower(addr), "a1") {
		t.Errorf("the address after the explainer is %q (%v): the credential must not be in it", addr, err)
	}
	typed, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name="value"]`)))
	if err != nil || typed != "" {
		t.Errorf("the credential field holds %q after the answer (%v)", typed, err)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"A1B2C3", "a1:b2:c3"} {
		if strings.Contains(strings.ToLower(html), strings.ToLower(s)) {
			t.Errorf("the page shows the credential (%q)", s)
		}
	}
	if strings.Contains(html, `http-equiv="refresh"`) {
		t.Error("the explainer answer page refreshes itself (it would re-send the credential)")
	}

	// A member query.
	do("explain a member", chromedp.Navigate(w.base+"/?lock=back-door&member=alice#explain"),
		chromedp.WaitVisible(chromedp.CSS("#explain-result")))
	if miss, ok := containsAll(text("#explain-result"), "Stays locked", "no_grant", "member alice"); !ok {
		t.Errorf("member verdict lacks %q: %s", miss, text("#explain-result"))
	}

	// A full-page screenshot of the page with an answer on it.
	do("explain for the screenshot", chromedp.Navigate(w.base+"/?lock=front-door&member=alice"),
		chromedp.WaitVisible(chromedp.CSS("#explain-result")))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if len(shot) < 10_000 {
		t.Fatalf("screenshot is %d bytes", len(shot))
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), "status.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if *updateScreenshot || os.Getenv("LOCKHUB_SCREENSHOT") != "" {
		dst := filepath.Join("..", "docs", "screenshots", "status.png")
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", dst)
	}
}
