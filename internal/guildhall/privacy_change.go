package guildhall

// What a privacy change does to the group's pending join requests, decided
// here once: the confirmation page previews it and the store carries it out.

// PendingRequestsOnPrivacyChange is the status a change from → to gives
// every pending join request: Approved for PRIVATE → PUBLIC (anyone may now
// join, so every requester joins), Rejected for PRIVATE → SECRET (the group
// no longer takes requests), and "" for any other change, which leaves them
// pending.
func PendingRequestsOnPrivacyChange(from, to Privacy) Status {
	if from != Private {
		return ""
	}
	switch to {
	case Public:
		return Approved
	case Secret:
		return Rejected
	}
	return ""
}

// PrivacyPreview says what a privacy change would do to pending requests.
type PrivacyPreview struct {
	From, To  Privacy
	Pending   int
	Approvals int // PRIVATE → PUBLIC approves every pending request
	Rejects   int // PRIVATE → SECRET rejects every pending request
}

// EffectOfPrivacyChange returns what changing from → to does with n pending
// join requests.
func EffectOfPrivacyChange(from, to Privacy, n int) PrivacyPreview {
	p := PrivacyPreview{From: from, To: to, Pending: n}
	switch PendingRequestsOnPrivacyChange(from, to) {
	case Approved:
		p.Approvals = n
	case Rejected:
		p.Rejects = n
	}
	return p
}

// CheckPrivacy names privacy when p is not one of the three levels.
func CheckPrivacy(p Privacy) error {
	var v Validator
	validatePrivacy(&v, p)
	return v.Err()
}

// ConfirmedDecisions refuses a privacy change that decides another number
// of pending requests than the caller confirmed (expect, when not nil): a
// request arrived or was decided since the preview, and the caller must
// look again before anything changes.
func ConfirmedDecisions(expect *int, decided int) error {
	if expect != nil && decided != *expect {
		return FailedPrecondition("This change would now decide %d pending join requests, not the %d you confirmed: nothing was changed; look again.",
			decided, *expect)
	}
	return nil
}
