package queue

import "time"

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time        { return t.t.C }
func (t systemTimer) Stop() bool                 { return t.t.Stop() }
func (t systemTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }

// ScaledClock runs Factor times faster than the wall clock from the moment
// it is made, so a test can cover minutes of queue time in seconds with
// real sockets. Its timers fire after d/Factor of wall time.
type ScaledClock struct {
	start  time.Time // wall time at creation
	origin time.Time // clock time at creation
	factor float64
}

// NewScaledClock returns a clock that starts at origin and runs factor
// times faster than the wall clock.
func NewScaledClock(origin time.Time, factor float64) *ScaledClock {
	return &ScaledClock{start: time.Now(), origin: origin, factor: factor}
}

func (c *ScaledClock) Now() time.Time {
	elapsed := time.Since(c.start)
	return c.origin.Add(time.Duration(float64(elapsed) * c.factor))
}

func (c *ScaledClock) NewTimer(d time.Duration) Timer {
	return &scaledTimer{clock: c, t: time.NewTimer(c.wall(d))}
}

func (c *ScaledClock) wall(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.factor)
}

type scaledTimer struct {
	clock *ScaledClock
	t     *time.Timer
}

func (t *scaledTimer) C() <-chan time.Time        { return t.t.C }
func (t *scaledTimer) Stop() bool                 { return t.t.Stop() }
func (t *scaledTimer) Reset(d time.Duration) bool { return t.t.Reset(t.clock.wall(d)) }
