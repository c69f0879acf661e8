package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"guildhall/internal/guildhall"
)

// navBadge is the unread count on the navigation's Notifications link.
const navBadge = "//a[@id='nav-notifications']/span[contains(@class,'badge')]"

// A decider sees the notification badge, opens the notification and
// decides from it; the requester then sees the outcome among theirs and
// marks it read.
func TestNotificationsLeadToTheDecisionAndItsOutcome(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	g := w.group(t, owner, "Hiking Club", guildhall.Private, nil)
	ann := w.account(t, "Ann Archer")
	w.request(t, ann, g)

	o := w.signedIn(t, owner)
	o.open("/groups")
	o.waitCount(navBadge+"[normalize-space(.)='1' and @aria-label='1 unread']", 1)
	o.do("open Notifications", chromedp.Click("//a[@id='nav-notifications']"))
	o.waitPath("/notifications")
	o.waitCount("//li[contains(@class,'unread')]//a[normalize-space(.)='1 new request to join Hiking Club']", 1)
	o.follow("1 new request to join Hiking Club")
	o.waitPath("/groups/" + g.Slug + "/requests")
	o.do("approve Ann", chromedp.WaitVisible(rowButton("Ann Archer", "Approve")), chromedp.Click(rowButton("Ann Archer", "Approve")))
	o.waitText("No join requests are waiting.")

	a := w.signedIn(t, ann)
	a.open("/groups")
	a.waitCount(navBadge+"[normalize-space(.)='1']", 1)
	a.open("/notifications")
	a.waitText("Your request to join Hiking Club was approved")
	a.click("Mark all read")
	a.waitPath("/notifications")
	a.waitText("Your request to join Hiking Club was approved")
	a.waitCount(navBadge, 0)
	a.waitCount("//li[contains(@class,'unread')]", 0)
}
