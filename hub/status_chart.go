package hub

import (
	"fmt"
	"time"
)

// chartView is the decisions-per-minute chart, laid out for the SVG in the
// page template (the server draws it: the page needs no JavaScript).
type chartView struct {
	W, H            int
	PlotX, PlotY    int // top-left of the plot area
	PlotW, PlotH    int
	Bars            []chartBar
	YTicks, XTicks  []chartTick
	Granted, Denied int
	PeakMinute      int
	Empty           bool
	BaseY           int // y of the x axis
}

type chartBar struct {
	X, W           float64
	GY, GH, DY, DH float64 // granted and denied segments
	Title          string
}

type chartTick struct {
	Pos   float64
	Label string
}

// Chart geometry, in SVG user units.
const (
	chartW      = 1160
	chartH      = 210
	chartLeft   = 40
	chartRight  = 10
	chartTop    = 12
	chartBottom = 26
)

// niceMax returns a round axis maximum of at least v (1, 2, 5 × 10^k).
func niceMax(v int) int {
	if v <= 4 {
		return 4
	}
	for m := 1; ; m *= 10 {
		for _, f := range []int{1, 2, 5} {
			if f*m >= v {
				return f * m
			}
		}
	}
}

func buildChart(series []MinuteCount, loc *time.Location) chartView {
	c := chartView{W: chartW, H: chartH, PlotX: chartLeft, PlotY: chartTop,
		PlotW: chartW - chartLeft - chartRight, PlotH: chartH - chartTop - chartBottom}
	c.BaseY = c.PlotY + c.PlotH
	peak := 0
	for _, m := range series {
		c.Granted += m.Granted
		c.Denied += m.Denied
		peak = max(peak, m.Granted+m.Denied)
	}
	c.PeakMinute, c.Empty = peak, peak == 0
	top := niceMax(peak)
	scale := float64(c.PlotH) / float64(top)
	n := len(series)
	if n == 0 {
		return c
	}
	step := float64(c.PlotW) / float64(n)
	for i, m := range series {
		x := float64(c.PlotX) + float64(i)*step
		gh := float64(m.Granted) * scale
		dh := float64(m.Denied) * scale
		base := float64(c.BaseY)
		c.Bars = append(c.Bars, chartBar{
			X: x + 1, W: step - 2,
			GY: base - gh, GH: gh,
			DY: base - gh - dh, DH: dh,
			Title: fmt.Sprintf("%s: %d granted, %d denied", m.Minute.In(loc).Format("15:04"), m.Granted, m.Denied),
		})
	}
	for _, v := range []int{0, top / 2, top} {
		c.YTicks = append(c.YTicks, chartTick{Pos: float64(c.BaseY) - float64(v)*scale, Label: fmt.Sprint(v)})
	}
	for i := 0; i <= n; i += 15 {
		label := "now"
		if i < n {
			label = fmt.Sprintf("−%dm", n-i)
			if i == 0 {
				label = series[0].Minute.In(loc).Format("15:04")
			}
		}
		c.XTicks = append(c.XTicks, chartTick{Pos: float64(c.PlotX) + float64(i)*step, Label: label})
	}
	return c
}
