package guildhall

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on account fields.
const (
	MaxEmailLength       = 254
	MaxDisplayNameLength = 100
	MinPasswordLength    = 8
	MaxPasswordLength    = 256
)

// Account is a site member.
type Account struct {
	ID            string    `db:"id"`
	Email         string    `db:"email"`
	DisplayName   string    `db:"display_name"`
	SiteAdmin     bool      `db:"site_admin"`
	PublicProfile bool      `db:"public_profile"`
	CreatedAt     time.Time `db:"created_at"`
}

// NavCounts are the numbers the navigation shows on every signed-in page:
// join requests waiting for the viewer's decision, unread notifications.
type NavCounts struct {
	Inbox, Unread int
}

// SignedIn is what a signed-in page needs before it starts, read with the
// session in one round trip: the account (nil when the session has none),
// the navigation's counts and the site settings as they are at that moment.
type SignedIn struct {
	Account  *Account
	Nav      NavCounts
	Settings SiteSettings
}

// Actor is whoever performs an action: a signed-in account, possibly acting
// with an elevated API token that skips permission checks.
type Actor struct {
	Account
	Elevated bool
}

// ActorFor wraps an account as a plain (not elevated) actor.
func ActorFor(a *Account) Actor { return Actor{Account: *a} }

// IsSiteAdmin reports whether the actor may manage the whole site.
func (a Actor) IsSiteAdmin() bool { return a.Elevated || a.SiteAdmin }

// NewAccount is the input to create an account.
type NewAccount struct {
	Email         string
	DisplayName   string
	Password      string
	SiteAdmin     bool
	PublicProfile bool
}

// Normalize trims what people do not mean to type.
func (n *NewAccount) Normalize() {
	n.Email = strings.TrimSpace(n.Email)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
}

// Validate checks every field and names each that is wrong.
func (n NewAccount) Validate() error {
	var v Validator
	validateEmail(&v, n.Email)
	validateDisplayName(&v, n.DisplayName)
	switch l := utf8.RuneCountInString(n.Password); {
	case !CheckText(&v, "password", "Password", n.Password):
	case l == 0:
		v.Add("password", "Password is required.")
	case l < MinPasswordLength:
		v.Add("password", "Password must be at least 8 characters.")
	case l > MaxPasswordLength:
		v.Add("password", "Password must be at most 256 characters.")
	}
	return v.Err()
}

func validateEmail(v *Validator, email string) {
	switch {
	case !CheckText(v, "email", "Email", email):
	case email == "":
		v.Add("email", "Email is required.")
	case len(email) > MaxEmailLength:
		v.Add("email", "Email must be at most 254 characters.")
	default:
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
			v.Add("email", "Email must be an address like name@example.com.")
		}
	}
}

func validateDisplayName(v *Validator, name string) {
	CheckName(v, "displayName", "Display name", name, MaxDisplayNameLength, "100")
}

// ProfileUpdate is the input to change one's own profile.
type ProfileUpdate struct {
	DisplayName   string
	PublicProfile bool
	// Email changes the modes of the topics given, with the profile in
	// one transaction; nil leaves the email preferences as they are.
	Email EmailPreferences
}

// Validate checks every field, the email choices included, so nothing is
// saved when any is wrong.
func (p *ProfileUpdate) Validate() error {
	p.DisplayName = strings.TrimSpace(p.DisplayName)
	var v Validator
	validateDisplayName(&v, p.DisplayName)
	p.Email.Check(&v)
	return v.Err()
}

// AccountService manages accounts and signing in.
type AccountService interface {
	CreateAccount(ctx context.Context, n NewAccount) (*Account, error)
	// Authenticate returns the account for email and password, or an
	// ErrUnauthenticated that does not say which of the two was wrong.
	Authenticate(ctx context.Context, email, password string) (*Account, error)
	AccountByID(ctx context.Context, id string) (*Account, error)
	AccountByEmail(ctx context.Context, email string) (*Account, error)
	UpdateProfile(ctx context.Context, actor Actor, p ProfileUpdate) (*Account, error)
	CountAccounts(ctx context.Context) (int, error)
}
