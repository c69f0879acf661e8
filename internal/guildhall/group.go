package guildhall

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Privacy is who may see a group and how one gets in.
type Privacy string

// The three privacy levels.
const (
	Public  Privacy = "PUBLIC"
	Private Privacy = "PRIVATE"
	Secret  Privacy = "SECRET"
)

// Valid reports whether p is one of the three levels.
func (p Privacy) Valid() bool { return p == Public || p == Private || p == Secret }

// Label is the word people read: "Public", "Private" or "Secret".
func (p Privacy) Label() string {
	switch p {
	case Public:
		return "Public"
	case Private:
		return "Private"
	case Secret:
		return "Secret"
	}
	return string(p)
}

// Role is a group member's role.
type Role string

// Roles; the empty Role means "not a member".
const (
	RoleNone   Role = ""
	RoleMember Role = "MEMBER"
	RoleAdmin  Role = "ADMIN"
)

// Label is "Admin" or "Member".
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "Admin"
	case RoleMember:
		return "Member"
	}
	return ""
}

// Limits on group fields.
const (
	MaxGroupNameLength        = 100
	MaxGroupDescriptionLength = 20480
	MaxReasonLength           = 1000
	MaxPageSize               = 100
	DefaultPageSize           = 20
)

// GroupSettings are a group's switches.
type GroupSettings struct {
	// MembersCanApprove lets every member decide join requests.
	MembersCanApprove bool `db:"members_can_approve" json:"membersCanApprove"`
	// MembersCanInvite lets every member of a public or private group add site members.
	MembersCanInvite bool `db:"members_can_invite" json:"membersCanInvite"`
	// ShowMemberList lets members see the member list (admins always can).
	ShowMemberList bool `db:"show_member_list" json:"showMemberList"`
}

// DefaultGroupSettings are the settings of a new group.
func DefaultGroupSettings() GroupSettings { return GroupSettings{ShowMemberList: true} }

// Group is a group as stored.
type Group struct {
	ID          string  `db:"id"`
	Name        string  `db:"name"`
	Slug        string  `db:"slug"`
	Description string  `db:"description"`
	Privacy     Privacy `db:"privacy"`
	GroupSettings
	OwnerID        string    `db:"owner_id"`
	MembersCount   int       `db:"members_count"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
	LastActivityAt time.Time `db:"last_activity_at"`
}

// GroupView is a group as one actor sees it: with the actor's role in it, so
// pages and handlers can ask the rules below without another query.
type GroupView struct {
	Group
	ViewerRole Role `db:"viewer_role"`
	// HasPendingRequest is true when the viewer has a pending join request.
	HasPendingRequest bool `db:"has_pending_request"`
}

// GroupInput is what a creator gives.
type GroupInput struct {
	Name        string
	Description string
	Privacy     Privacy
	// Settings are the defaults when nil.
	Settings *GroupSettings
}

// Normalize trims the name.
func (in *GroupInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	if in.Privacy == "" {
		in.Privacy = Public
	}
}

// Validate names every field that breaks a rule.
func (in GroupInput) Validate() error {
	var v Validator
	validateGroupName(&v, in.Name)
	validateGroupDescription(&v, in.Description)
	validatePrivacy(&v, in.Privacy)
	return v.Err()
}

func validateGroupName(v *Validator, name string) {
	CheckName(v, "name", "Name", name, MaxGroupNameLength, "100")
}

func validateGroupDescription(v *Validator, d string) {
	if CheckText(v, "description", "Description", d) && utf8.RuneCountInString(d) > MaxGroupDescriptionLength {
		v.Add("description", "Description must be at most 20,480 characters.")
	}
}

func validatePrivacy(v *Validator, p Privacy) {
	if !p.Valid() {
		v.Add("privacy", "Privacy must be PUBLIC, PRIVATE or SECRET.")
	}
}

// GroupUpdate changes only the fields that are not nil.
type GroupUpdate struct {
	Name              *string
	Description       *string
	Privacy           *Privacy
	MembersCanApprove *bool
	MembersCanInvite  *bool
	ShowMemberList    *bool
	// ExpectDecided, when set, is how many pending join requests the
	// caller was told a privacy change decides (see PrivacyPreview): if it
	// would decide another number (a request arrived meanwhile), the update
	// is refused with ErrFailedPrecondition and nothing changes.
	ExpectDecided *int
}

// Normalize trims the name.
func (u *GroupUpdate) Normalize() {
	if u.Name != nil {
		n := strings.TrimSpace(*u.Name)
		u.Name = &n
	}
}

// Validate names every given field that breaks a rule.
func (u GroupUpdate) Validate() error {
	var v Validator
	if u.Name != nil {
		validateGroupName(&v, *u.Name)
	}
	if u.Description != nil {
		validateGroupDescription(&v, *u.Description)
	}
	if u.Privacy != nil {
		validatePrivacy(&v, *u.Privacy)
	}
	return v.Err()
}

// CreationPolicy is who may create groups.
type CreationPolicy string

// The three creation policies.
const (
	AdminsOnly          CreationPolicy = "ADMINS_ONLY"
	AllMembers          CreationPolicy = "ALL_MEMBERS"
	MembersWithApproval CreationPolicy = "MEMBERS_WITH_APPROVAL"
)

// Valid reports whether p is one of the three policies.
func (p CreationPolicy) Valid() bool {
	return p == AdminsOnly || p == AllMembers || p == MembersWithApproval
}

// Label is the option's text on /admin/settings.
func (p CreationPolicy) Label() string {
	switch p {
	case AdminsOnly:
		return "Only site admins"
	case AllMembers:
		return "All site members"
	case MembersWithApproval:
		return "Site members with admin approval"
	}
	return string(p)
}

// CreationPolicies lists the policies in the order the settings page shows them.
var CreationPolicies = []CreationPolicy{AdminsOnly, AllMembers, MembersWithApproval}

// SiteSettings are the site-wide settings.
type SiteSettings struct {
	CreationPolicy CreationPolicy `db:"creation_policy"`
	RequestLifecycle
	UpdatedAt time.Time `db:"updated_at"`
}

// Status is the state of a create or join request.
type Status string

// Request statuses.
const (
	Pending  Status = "PENDING"
	Approved Status = "APPROVED"
	Rejected Status = "REJECTED"
	Canceled Status = "CANCELED"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Pending || s == Approved || s == Rejected || s == Canceled }

// Label is "Pending", "Approved", "Rejected" or "Canceled".
func (s Status) Label() string {
	switch s {
	case Pending:
		return "Pending"
	case Approved:
		return "Approved"
	case Rejected:
		return "Rejected"
	case Canceled:
		return "Canceled"
	}
	return string(s)
}

// CreateRequest is a member's group creation waiting for a site admin.
type CreateRequest struct {
	ID            string  `db:"id"`
	RequesterID   string  `db:"requester_id"`
	RequesterName string  `db:"requester_name"`
	Name          string  `db:"name"`
	Description   string  `db:"description"`
	Privacy       Privacy `db:"privacy"`
	GroupSettings
	Status          Status  `db:"status"`
	RejectionReason string  `db:"rejection_reason"`
	GroupID         *string `db:"group_id"`
	// GroupSlug is the slug of the group an approval created, while it lives.
	GroupSlug *string    `db:"group_slug"`
	CreatedAt time.Time  `db:"created_at"`
	DecidedAt *time.Time `db:"decided_at"`
	DecidedBy *string    `db:"decided_by"`
	// ExpiresAt is when a pending request will expire, while expiry is on.
	ExpiresAt *time.Time `db:"expires_at"`
}

// Creation is what a create call did: Group is set when the group exists,
// Request when it waits for approval.
type Creation struct {
	Group   *Group
	Request *CreateRequest
}

// GroupService manages groups; every method decides its own permissions.
type GroupService interface {
	// CreateGroup creates a group, or stores a create request when the site's
	// policy asks for approval. creatorID names the creator for an elevated
	// actor and is ignored otherwise.
	CreateGroup(ctx context.Context, actor Actor, in GroupInput, creatorID string) (*Creation, error)
	GroupByID(ctx context.Context, actor Actor, id string) (*GroupView, error)
	// GroupBySlug finds a group by its slug or a former slug; the returned
	// group's Slug is the current one, so a caller redirects when they differ.
	GroupBySlug(ctx context.Context, actor Actor, slug string) (*GroupView, error)
	QueryGroups(ctx context.Context, actor Actor, q GroupQuery) (*Page[GroupView], error)
	UpdateGroup(ctx context.Context, actor Actor, id string, u GroupUpdate) (*Group, error)
	DeleteGroup(ctx context.Context, actor Actor, id string) (*Group, error)
}

// SettingsService holds the site settings.
type SettingsService interface {
	SiteSettings(ctx context.Context) (*SiteSettings, error)
	SetCreationPolicy(ctx context.Context, actor Actor, p CreationPolicy) (*SiteSettings, error)
	// UpdateSettings changes the fields given, in one transaction.
	UpdateSettings(ctx context.Context, actor Actor, u SettingsUpdate) (*SiteSettings, error)
}

// CreateRequestService decides pending group creations.
type CreateRequestService interface {
	// ListCreateRequests lists every request for site admins.
	ListCreateRequests(ctx context.Context, actor Actor, q RequestQuery) (*Page[CreateRequest], error)
	// MyCreateRequests lists the actor's own requests.
	MyCreateRequests(ctx context.Context, actor Actor, q RequestQuery) (*Page[CreateRequest], error)
	CreateRequestByID(ctx context.Context, actor Actor, id string) (*CreateRequest, error)
	ApproveCreateRequests(ctx context.Context, actor Actor, ids []string) ([]BulkResult[CreateRequest], error)
	RejectCreateRequests(ctx context.Context, actor Actor, rejections []Rejection) ([]BulkResult[CreateRequest], error)
	CancelCreateRequest(ctx context.Context, actor Actor, id string) (*CreateRequest, error)
}
