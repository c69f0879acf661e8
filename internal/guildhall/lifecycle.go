package guildhall

import (
	"fmt"
	"time"
)

// MaxLifecycleDays bounds each request lifecycle setting (ten years).
const MaxLifecycleDays = 3650

// RequestLifecycle are the site's timers on pending join and create
// requests, in days; nil turns one off (all are off by default).
type RequestLifecycle struct {
	// ExpireAfterDays: a request pending this long is rejected.
	ExpireAfterDays *int `db:"expire_after_days"`
	// RemindAfterDays: its deciders are reminded once when it waited this long.
	RemindAfterDays *int `db:"remind_after_days"`
	// EscalateAfterDays: a join request that waited this long is marked
	// escalated and its site admins told.
	EscalateAfterDays *int `db:"escalate_after_days"`
}

// Validate names each setting that is out of range.
func (l RequestLifecycle) Validate(v *Validator) {
	check := func(field string, d *int) {
		v.Check(d == nil || (*d >= 1 && *d <= MaxLifecycleDays), field,
			fmt.Sprintf("Must be a whole number of days from 1 to %d, or empty for never.", MaxLifecycleDays))
	}
	check("expireAfterDays", l.ExpireAfterDays)
	check("remindAfterDays", l.RemindAfterDays)
	check("escalateAfterDays", l.EscalateAfterDays)
}

// Days is d days as a duration.
func Days(d int) time.Duration { return time.Duration(d) * 24 * time.Hour }

// ExpiryReason is the rejection reason of a request that expired after
// days days, e.g. "Expired after 30 days without a decision".
func ExpiryReason(days int) string {
	return fmt.Sprintf("Expired after %s without a decision", plural(days, "1 day", "%d days"))
}

// LifecycleRun is what one pass of the request lifecycle did.
type LifecycleRun struct {
	Expired   int // join and create requests rejected as expired
	Reminded  int // requests whose deciders were reminded
	Escalated int // join requests escalated to the site admins
}

// SettingsUpdate changes the fields given (nil leaves one as it is). A
// lifecycle field given 0 turns that timer off.
type SettingsUpdate struct {
	CreationPolicy    *CreationPolicy
	ExpireAfterDays   *int
	RemindAfterDays   *int
	EscalateAfterDays *int
}

// Apply returns l with u's lifecycle fields applied (0 becomes nil, off).
func (u SettingsUpdate) Apply(l RequestLifecycle) RequestLifecycle {
	set := func(dst **int, v *int) {
		switch {
		case v == nil:
		case *v == 0:
			*dst = nil
		default:
			d := *v
			*dst = &d
		}
	}
	set(&l.ExpireAfterDays, u.ExpireAfterDays)
	set(&l.RemindAfterDays, u.RemindAfterDays)
	set(&l.EscalateAfterDays, u.EscalateAfterDays)
	return l
}

// Lifecycle sets all three lifecycle fields from l (nil there is off).
func (u *SettingsUpdate) Lifecycle(l RequestLifecycle) {
	zeroIfNil := func(d *int) *int {
		if d == nil {
			return new(int)
		}
		return d
	}
	u.ExpireAfterDays = zeroIfNil(l.ExpireAfterDays)
	u.RemindAfterDays = zeroIfNil(l.RemindAfterDays)
	u.EscalateAfterDays = zeroIfNil(l.EscalateAfterDays)
}

// ActionLifecycleChanged is the audit action of a change to the request
// lifecycle settings.
const ActionLifecycleChanged = "site.lifecycle_changed"

// SystemActorName is how the audit log names Guildhall itself, the actor of
// what timers do.
const SystemActorName = "Guildhall"
