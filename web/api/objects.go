package api

import (
	"time"

	"guildhall/internal/guildhall"
)

// The objects of api.md as they travel. Times are RFC 3339 in UTC; every
// type below is also a schema of the OpenAPI document (named without the
// JSON suffix), so the document cannot drift from what is sent.

type groupJSON struct {
	ID               string                  `json:"id"`
	Name             string                  `json:"name"`
	Slug             string                  `json:"slug"`
	Description      string                  `json:"description"`
	PrivacyStatus    guildhall.Privacy       `json:"privacyStatus" enum:"PUBLIC,PRIVATE,SECRET"`
	Settings         guildhall.GroupSettings `json:"settings"`
	MembersCount     int                     `json:"membersCount"`
	OwnerID          string                  `json:"ownerId"`
	CreatedDate      time.Time               `json:"createdDate"`
	UpdatedDate      time.Time               `json:"updatedDate"`
	LastActivityDate time.Time               `json:"lastActivityDate"`
}

func groupOut(g *guildhall.Group) groupJSON {
	return groupJSON{
		ID: g.ID, Name: g.Name, Slug: g.Slug, Description: g.Description, PrivacyStatus: g.Privacy,
		Settings: g.GroupSettings, MembersCount: g.MembersCount, OwnerID: g.OwnerID,
		CreatedDate: g.CreatedAt.UTC(), UpdatedDate: g.UpdatedAt.UTC(), LastActivityDate: g.LastActivityAt.UTC(),
	}
}

// requestedGroupJSON is the group a create request will make; ID is null
// until it was approved and the group exists.
type requestedGroupJSON struct {
	ID            *string                 `json:"id"`
	Name          string                  `json:"name"`
	Description   string                  `json:"description"`
	PrivacyStatus guildhall.Privacy       `json:"privacyStatus" enum:"PUBLIC,PRIVATE,SECRET"`
	Settings      guildhall.GroupSettings `json:"settings"`
}

type createRequestJSON struct {
	ID              string             `json:"id"`
	Group           requestedGroupJSON `json:"group"`
	RequesterID     string             `json:"requesterId"`
	Status          guildhall.Status   `json:"status" enum:"PENDING,APPROVED,REJECTED,CANCELED"`
	RejectionReason string             `json:"rejectionReason"`
	CreatedDate     time.Time          `json:"createdDate"`
	DecidedDate     *time.Time         `json:"decidedDate"`
	DecidedBy       *string            `json:"decidedBy"`
	// ExpiresDate is when a pending request expires, present while the
	// site's expiry is on.
	ExpiresDate *time.Time `json:"expiresDate,omitempty"`
}

func createRequestOut(r *guildhall.CreateRequest) createRequestJSON {
	out := createRequestJSON{
		ID: r.ID,
		Group: requestedGroupJSON{Name: r.Name, Description: r.Description, PrivacyStatus: r.Privacy,
			Settings: r.GroupSettings},
		RequesterID: r.RequesterID, Status: r.Status, RejectionReason: r.RejectionReason,
		CreatedDate: r.CreatedAt.UTC(), DecidedDate: utc(r.DecidedAt), DecidedBy: r.DecidedBy,
		ExpiresDate: utc(r.ExpiresAt),
	}
	out.Group.ID = r.GroupID
	return out
}

type answerJSON struct {
	QuestionID string `json:"questionId"`
	Text       string `json:"text"`
}

type joinRequestJSON struct {
	GroupID         string           `json:"groupId"`
	MemberID        string           `json:"memberId"`
	Status          guildhall.Status `json:"status" enum:"PENDING,APPROVED,REJECTED,CANCELED"`
	RejectionReason string           `json:"rejectionReason"`
	Answers         []answerJSON     `json:"answers"`
	CreatedDate     time.Time        `json:"createdDate"`
	DecidedDate     *time.Time       `json:"decidedDate"`
	DecidedBy       *string          `json:"decidedBy"`
	// ExpiresDate is when a pending request expires, present while the
	// site's expiry is on.
	ExpiresDate *time.Time `json:"expiresDate,omitempty"`
}

func joinRequestOut(r *guildhall.JoinRequest) joinRequestJSON {
	answers := make([]answerJSON, len(r.Answers))
	for i, a := range r.Answers {
		answers[i] = answerJSON{QuestionID: a.QuestionID, Text: a.Text}
	}
	return joinRequestJSON{
		GroupID: r.GroupID, MemberID: r.AccountID, Status: r.Status, RejectionReason: r.RejectionReason,
		Answers: answers, CreatedDate: r.CreatedAt.UTC(), DecidedDate: utc(r.DecidedAt), DecidedBy: r.DecidedBy,
		ExpiresDate: utc(r.ExpiresAt),
	}
}

type memberJSON struct {
	MemberID    string         `json:"memberId"`
	DisplayName string         `json:"displayName"`
	Role        guildhall.Role `json:"role" enum:"ADMIN,MEMBER"`
	JoinedDate  time.Time      `json:"joinedDate"`
}

func memberOut(m *guildhall.Member) memberJSON {
	return memberJSON{MemberID: m.AccountID, DisplayName: m.DisplayName, Role: m.Role, JoinedDate: m.JoinedAt.UTC()}
}

type siteSettingsJSON struct {
	CreationPolicy guildhall.CreationPolicy `json:"creationPolicy" enum:"ADMINS_ONLY,ALL_MEMBERS,MEMBERS_WITH_APPROVAL"`
	// The request lifecycle in days; null when off.
	ExpireAfterDays   *int      `json:"expireAfterDays"`
	RemindAfterDays   *int      `json:"remindAfterDays"`
	EscalateAfterDays *int      `json:"escalateAfterDays"`
	UpdatedDate       time.Time `json:"updatedDate"`
}

// metadataJSON describes a page: count, offset and total for offset
// paging; count and cursors for cursor paging.
type metadataJSON struct {
	Count   int          `json:"count"`
	Offset  *int         `json:"offset,omitempty"`
	Total   *int         `json:"total,omitempty"`
	Cursors *cursorsJSON `json:"cursors,omitempty"`
}

// cursorsJSON are the cursors of the pages either side; null when there is
// no such page.
type cursorsJSON struct {
	Next *string `json:"next"`
	Prev *string `json:"prev"`
}

// offsetMetadata is the metadata of an offset-paged page of n items.
func offsetMetadata[T any](p *guildhall.Page[T]) metadataJSON {
	return metadataJSON{Count: len(p.Items), Offset: &p.Offset, Total: &p.Total}
}

// mapItems converts every item of a page.
func mapItems[T, J any](items []T, out func(*T) J) []J {
	list := make([]J, len(items))
	for i := range items {
		list[i] = out(&items[i])
	}
	return list
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// The response bodies.
type (
	groupResponse struct {
		Group groupJSON `json:"group"`
	}
	createRequestResponse struct {
		CreateRequest createRequestJSON `json:"createRequest"`
	}
	joinRequestResponse struct {
		JoinRequest joinRequestJSON `json:"joinRequest"`
	}
	memberResponse struct {
		Member memberJSON `json:"member"`
	}
	settingsResponse struct {
		Settings siteSettingsJSON `json:"settings"`
	}
	groupsResponse struct {
		Groups   []groupJSON  `json:"groups"`
		Metadata metadataJSON `json:"metadata"`
	}
	joinRequestsResponse struct {
		JoinRequests []joinRequestJSON `json:"joinRequests"`
		Metadata     metadataJSON      `json:"metadata"`
	}
	createRequestsResponse struct {
		CreateRequests []createRequestJSON `json:"createRequests"`
		Metadata       metadataJSON        `json:"metadata"`
	}
	membersResponse struct {
		Members  []memberJSON `json:"members"`
		Metadata metadataJSON `json:"metadata"`
	}
	// The bulk answers: what was done, and why the rest was not.
	joinRequestsDecidedResponse struct {
		JoinRequests []joinRequestJSON `json:"joinRequests"`
		Errors       []bulkError       `json:"errors"`
	}
	createRequestsDecidedResponse struct {
		CreateRequests []createRequestJSON `json:"createRequests"`
		Errors         []bulkError         `json:"errors"`
	}
	membersChangedResponse struct {
		Members []memberJSON `json:"members"`
		Errors  []bulkError  `json:"errors"`
	}
	emptyResponse struct{}
)
