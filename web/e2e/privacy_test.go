package e2e

import (
	"testing"

	"guildhall/internal/guildhall"
)

// Private → public: the settings page says live how many pending requests
// the change will approve, and "Save changes" then applies it at once
// (the effect was seen); every requester becomes a member.
func TestPrivacyPrivateToPublicApprovesWithLivePreview(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	ann := w.account(t, "Ann Archer")
	ben := w.account(t, "Ben Baker")
	g := w.group(t, owner, "Quiet Readers", guildhall.Private, nil)
	w.request(t, ann, g)
	w.request(t, ben, g)

	b := w.signedIn(t, owner)
	b.open("/groups/" + g.Slug + "/settings")
	b.choose("Privacy", "Public")
	b.waitText("Making this group public will approve 2 pending join requests.")
	b.choose("Privacy", "Private")
	b.waitGone("//*[@id='privacy-effect' and normalize-space(.)!='']")
	b.choose("Privacy", "Public")
	b.waitText("Making this group public will approve 2 pending join requests.")
	b.click("Save changes")
	b.waitText("Settings saved.")

	if roles := w.roles(t, g); roles["Ann Archer"] != guildhall.RoleMember || roles["Ben Baker"] != guildhall.RoleMember {
		t.Fatalf("roles after making the group public = %v", roles)
	}
	if p := w.pending(t, g); len(p) != 0 {
		t.Fatalf("still pending after making the group public: %v", p)
	}
	b.open("/groups/" + g.Slug)
	b.waitText("Public")
	b.waitText("3 members")

	a := w.signedIn(t, ann)
	a.open("/me/requests")
	a.waitCount(row("Quiet Readers")+"//span[normalize-space(.)='Approved']", 1)
}

// Private → secret: a request that arrives after the live note was shown
// changes the effect, so saving asks on the confirmation page with the new
// number; after "Confirm change" every pending request is rejected and the
// group is gone for the requesters.
func TestPrivacyPrivateToSecretRejectsAfterConfirmation(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	ann := w.account(t, "Ann Archer")
	ben := w.account(t, "Ben Baker")
	g := w.group(t, owner, "Closed Circle", guildhall.Private, nil)
	w.request(t, ann, g)

	b := w.signedIn(t, owner)
	b.open("/groups/" + g.Slug + "/settings")
	b.choose("Privacy", "Secret")
	b.waitText("Making this group secret will reject 1 pending join request.")
	w.request(t, ben, g) // arrives while the owner reads the note
	b.click("Save changes")
	b.waitText("Confirm privacy change")
	b.waitText("Making this group secret will reject 2 pending join requests.")
	if p := w.pending(t, g); len(p) != 2 {
		t.Fatalf("the change was saved before it was confirmed: pending = %v", p)
	}
	// Another request arrives while the owner reads the confirmation: the
	// change confirmed for 2 is not applied to 3; the page asks again.
	w.request(t, w.account(t, "Cid Carter"), g)
	b.click("Confirm change")
	b.waitText("Making this group secret will reject 3 pending join requests.")
	if p := w.pending(t, g); len(p) != 3 {
		t.Fatalf("a change confirmed for 2 requests decided some of 3: pending = %v", p)
	}
	b.click("Confirm change")
	b.waitText("Settings saved.")

	if p := w.pending(t, g); len(p) != 0 {
		t.Fatalf("still pending after making the group secret: %v", p)
	}
	if roles := w.roles(t, g); roles["Ann Archer"] != guildhall.RoleNone || roles["Ben Baker"] != guildhall.RoleNone {
		t.Fatalf("roles after making the group secret = %v", roles)
	}
	a := w.signedIn(t, ann)
	a.open("/groups/" + g.Slug)
	a.waitText("Not found")
	a.open("/groups")
	if a.hasText("Closed Circle") {
		t.Fatal("the secret group is listed for a non-member")
	}
	// Ann's own request keeps its row: Rejected, why, and no link.
	a.open("/me/requests")
	a.waitCount(row("Closed Circle")+"//span[normalize-space(.)='Rejected']", 1)
	a.waitText("The group is now secret and takes no requests.")
	a.waitCount(row("Closed Circle")+"//a", 0)
}
