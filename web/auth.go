package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/groups", http.StatusSeeOther)
}

func (s *Server) signupPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := actorFrom(r); ok {
		http.Redirect(w, r, "/groups", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, templates.Signup(templates.SignupForm{Page: s.page(r, "Create account", "")}))
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	n := guildhall.NewAccount{
		Email:         r.PostFormValue("email"),
		DisplayName:   r.PostFormValue("displayName"),
		Password:      r.PostFormValue("password"),
		PublicProfile: true,
	}
	form := templates.SignupForm{Page: s.page(r, "Create account", ""), Email: n.Email, DisplayName: n.DisplayName}
	// Every sign-up that creates an account or finds the email taken costs
	// one from the address's bucket: that bounds both the accounts one
	// address makes and what sign-up can tell about which emails exist.
	wait, refund, err := s.logins.allowSignup(r.Context(), s.clientIP(r), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wait > 0 {
		w.Header().Set("Retry-After", retryAfter(wait))
		form.Errors = map[string]string{"": "Too many accounts were created from your address. Please wait a while and try again."}
		s.render(w, r, http.StatusTooManyRequests, templates.Signup(form))
		return
	}
	acct, err := s.Accounts.CreateAccount(r.Context(), n)
	if errors.Is(err, guildhall.ErrInvalid) {
		if checked := n; inputRefused(&checked) {
			refund() // refused before the email was looked up: nothing learned, nothing made
		}
		form.Errors = guildhall.FieldErrors(err)
		s.render(w, r, http.StatusUnprocessableEntity, templates.Signup(form))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.signIn(w, r, acct); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/groups")
}

// inputRefused reports whether n breaks a rule of its own, before the
// service would look up whether its email is taken.
func inputRefused(n *guildhall.NewAccount) bool {
	n.Normalize()
	return n.Validate() != nil
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := actorFrom(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, templates.Login(templates.LoginForm{Page: s.page(r, "Sign in", ""), Next: next}))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := safeNext(r.PostFormValue("next"))
	form := templates.LoginForm{Page: s.page(r, "Sign in", ""), Email: email, Next: next}
	wait, refund, err := s.logins.allow(r.Context(), s.clientIP(r), strings.ToLower(email), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if wait > 0 {
		w.Header().Set("Retry-After", retryAfter(wait))
		form.Error = "Too many sign-in attempts. Please wait a minute and try again."
		s.render(w, r, http.StatusTooManyRequests, templates.Login(form))
		return
	}
	acct, err := s.Accounts.Authenticate(r.Context(), email, r.PostFormValue("password"))
	if errors.Is(err, guildhall.ErrUnauthenticated) {
		form.Error = guildhall.Message(err)
		s.render(w, r, http.StatusUnprocessableEntity, templates.Login(form))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.signIn(w, r, acct); err != nil {
		s.fail(w, r, err)
		return
	}
	refund()
	s.redirect(w, r, next)
}

// signIn starts a new session for acct, discarding the old token.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, acct *guildhall.Account) error {
	sess, err := s.Sessions.Get(r, sessionName)
	if err != nil {
		return err
	}
	if err := s.Sessions.Renew(r.Context(), sess); err != nil {
		return err
	}
	sess.Values = map[any]any{keyAccountID: acct.ID}
	sess.Options = cookieOptions(r, int(sessionLifetime.Seconds()))
	return sess.Save(r, w)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess, err := s.Sessions.Get(r, sessionName)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sess.Options = cookieOptions(r, -1)
	if err := sess.Save(r, w); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/login")
}

// safeNext keeps redirects after sign-in on this site. url.Parse refuses
// control characters: browsers drop tabs and newlines from a Location, so
// "/\t/evil.example" would otherwise lead to //evil.example.
func safeNext(next string) string {
	if _, err := url.Parse(next); err != nil ||
		next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/groups"
	}
	return next
}

func retryAfter(d time.Duration) string {
	secs := int(d.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	return strconv.Itoa(secs)
}

// LoginLimits bounds sign-in attempts per account and per address, and
// sign-ups per address: a burst, then one more attempt every Every. Sign-ups
// per address default to the sign-in per-address limit (issue 10: "like
// sign-ins"), so scripts that make a few dozen accounts are not held back.
type LoginLimits struct {
	AccountBurst int
	AccountEvery time.Duration
	AddressBurst int
	AddressEvery time.Duration
	SignupBurst  int
	SignupEvery  time.Duration
}

func (l LoginLimits) withDefaults() LoginLimits {
	if l.AccountBurst == 0 {
		l.AccountBurst, l.AccountEvery = 5, 20*time.Second
	}
	if l.AddressBurst == 0 {
		l.AddressBurst, l.AddressEvery = 30, 2*time.Second
	}
	if l.SignupBurst == 0 {
		l.SignupBurst, l.SignupEvery = 30, 2*time.Second
	}
	return l
}

// loginLimiter takes sign-in and sign-up attempts from token buckets kept by
// the shared Limiter, so the limits hold across every instance.
type loginLimiter struct {
	limits LoginLimits
	shared guildhall.Limiter
	logger *slog.Logger
}

func newLoginLimiter(l LoginLimits, shared guildhall.Limiter, logger *slog.Logger) *loginLimiter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &loginLimiter{limits: l.withDefaults(), shared: shared, logger: logger}
}

// allow takes one attempt from both buckets and returns how long to wait
// when either is empty (0 means go ahead), and a refund that gives the
// attempt back: a successful sign-in costs nothing, so only failures (and
// refused attempts) use up the limits.
func (l *loginLimiter) allow(ctx context.Context, ip, email string, now time.Time) (time.Duration, func(), error) {
	return l.take(ctx, now,
		guildhall.Bucket{Key: "login-ip:" + ip, Limit: guildhall.Every(l.limits.AddressEvery, l.limits.AddressBurst)},
		guildhall.Bucket{Key: "login-account:" + email, Limit: guildhall.Every(l.limits.AccountEvery, l.limits.AccountBurst)})
}

// allowSignup takes one sign-up from the address's bucket, as allow does.
func (l *loginLimiter) allowSignup(ctx context.Context, ip string, now time.Time) (time.Duration, func(), error) {
	return l.take(ctx, now,
		guildhall.Bucket{Key: "signup-ip:" + ip, Limit: guildhall.Every(l.limits.SignupEvery, l.limits.SignupBurst)})
}

// take takes one from each bucket in one round trip; an empty bucket gives
// nothing (so a refused attempt does not eat into its refill) and sets how
// long to wait. refund gives back what was taken.
func (l *loginLimiter) take(ctx context.Context, now time.Time, buckets ...guildhall.Bucket) (time.Duration, func(), error) {
	if l.shared == nil {
		return 0, func() {}, nil
	}
	waits, err := l.shared.Take(ctx, now, buckets...)
	if err != nil {
		return 0, nil, err
	}
	var wait time.Duration
	var taken []string
	for i, w := range waits {
		if w > 0 {
			wait = max(wait, w)
		} else {
			taken = append(taken, buckets[i].Key)
		}
	}
	refund := func() {
		// The refund is owed even if the request's context ended meanwhile.
		if err := l.shared.Give(context.WithoutCancel(ctx), taken...); err != nil {
			l.logger.Error("refund a rate-limited attempt", "err", err)
		}
	}
	return wait, refund, nil
}
