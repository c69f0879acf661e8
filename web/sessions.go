package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"

	"guildhall/internal/guildhall"
)

const (
	sessionName     = "guildhall_session"
	sessionLifetime = 14 * 24 * time.Hour
	keyAccountID    = "account_id"
	keyFlash        = "flash"
)

// SessionRows stores session rows keyed by the sha256 of their token
// (postgres.SessionRows).
type SessionRows interface {
	Load(ctx context.Context, tokenHash []byte) (accountID string, data []byte, err error)
	// LoadSignedIn is Load with the session's account (nil when none), the
	// navigation's counts and the site settings, in one round trip.
	LoadSignedIn(ctx context.Context, tokenHash []byte) (data []byte, who guildhall.SignedIn, err error)
	Save(ctx context.Context, tokenHash []byte, accountID string, data []byte, expiresAt time.Time) error
	Delete(ctx context.Context, tokenHash []byte) error
	DeleteExpired(ctx context.Context) (int64, error)
}

// SessionStore is a gorilla sessions.Store whose cookie carries only a random
// token; everything else lives in PostgreSQL under the token's sha256.
type SessionStore struct {
	rows SessionRows
}

// NewSessionStore returns the store over rows.
func NewSessionStore(rows SessionRows) *SessionStore {
	return &SessionStore{rows: rows}
}

var _ sessions.Store = (*SessionStore)(nil)

// Get returns the session for this request, cached per request by gorilla.
func (s *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	if pre, ok := r.Context().Value(ctxSession).(*loadedSession); ok {
		pre.touched = true
	}
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or a fresh empty one.
func (s *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	sess.Options = cookieOptions(r, int(sessionLifetime.Seconds()))
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return sess, nil
	}
	var data []byte
	if pre, ok := r.Context().Value(ctxSession).(*loadedSession); ok && pre.token == c.Value {
		data = pre.data // authenticate read it already
	} else if _, data, err = s.rows.Load(r.Context(), hashToken(c.Value)); err != nil {
		return sess, err
	}
	if data == nil {
		return sess, nil
	}
	if len(data) > 0 {
		values, err := decodeValues(data)
		if err != nil {
			return sess, nil
		}
		sess.Values = values
	}
	sess.ID = c.Value
	sess.IsNew = false
	return sess, nil
}

// A session's values are strings under string keys (the account, a flash
// message), stored as a JSON object: decoding one costs a microsecond or
// two on every page, where gob built a decoder afresh for each request
// (a sixth of a group page's CPU). Rows written by an older version in gob
// are still read.

// encodeValues stores the string values of a session.
func encodeValues(values map[any]any) ([]byte, error) {
	m := make(map[string]string, len(values))
	for k, v := range values {
		ks, ok1 := k.(string)
		vs, ok2 := v.(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("session value %v: only strings under string keys are stored", k)
		}
		m[ks] = vs
	}
	return json.Marshal(m)
}

// decodeValues reads what encodeValues stored, or an older row's gob.
func decodeValues(data []byte) (map[any]any, error) {
	values := map[any]any{}
	if data[0] != '{' {
		err := gob.NewDecoder(bytes.NewReader(data)).Decode(&values)
		return values, err
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	for k, v := range m {
		values[k] = v
	}
	return values, nil
}

// loadedSession is the session row authenticate read, for New to decode
// without reading it again.
type loadedSession struct {
	token string
	data  []byte
	// touched is set once the session is asked for (SessionStore.Get):
	// from then on the gorilla session, which may have been changed, is
	// the truth, not data.
	touched bool
}

// noFlash reports whether the session authenticate read for r holds no
// flash message and nothing has asked for it since, so that flash and
// clearFlash need not build the gorilla session and decode its values
// (5 % of a group page's CPU, on every page, for a message that is rarely
// there). A row without a live session, an empty one, or a JSON object
// without the key "flash" holds none (encodeValues writes keys as they
// are; a quote inside a value is escaped, so the text "flash" in quotes
// is a key or a whole value, and a value only sends us the long way).
// An older gob row goes the long way too.
func noFlash(r *http.Request) bool {
	pre, ok := r.Context().Value(ctxSession).(*loadedSession)
	if !ok || pre.touched {
		return false
	}
	return len(pre.data) == 0 || pre.data[0] == '{' && !bytes.Contains(pre.data, []byte(`"`+keyFlash+`"`))
}

// signIn reads the session of the request's cookie with its account and
// the navigation's counts in one round trip (SessionRows.LoadSignedIn),
// and returns the request carrying what it read: the session row for New,
// the actor and the counts for the pages.
func (s *SessionStore) signedIn(r *http.Request) (*http.Request, error) {
	c, err := r.Cookie(sessionName)
	if err != nil || c.Value == "" {
		return r, nil
	}
	data, who, err := s.rows.LoadSignedIn(r.Context(), hashToken(c.Value))
	if err != nil {
		return r, err
	}
	ctx := context.WithValue(r.Context(), ctxSession, &loadedSession{token: c.Value, data: data})
	if data != nil {
		ctx = context.WithValue(ctx, ctxSettings, &who.Settings)
	}
	if who.Account != nil {
		ctx = context.WithValue(ctx, ctxActor, guildhall.ActorFor(who.Account))
		ctx = context.WithValue(ctx, ctxNav, who.Nav)
	}
	return r.WithContext(ctx), nil
}

// Save stores the session and sets its cookie; a negative MaxAge deletes it.
func (s *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			if err := s.rows.Delete(ctx, hashToken(sess.ID)); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" {
		sess.ID = rand.Text()
	}
	data, err := encodeValues(sess.Values)
	if err != nil {
		return err
	}
	accountID, _ := sess.Values[keyAccountID].(string)
	expires := time.Now().Add(time.Duration(sess.Options.MaxAge) * time.Second)
	if err := s.rows.Save(ctx, hashToken(sess.ID), accountID, data, expires); err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), sess.ID, sess.Options))
	return nil
}

// Renew replaces the session's token with a new one, deleting the old row, so
// a token seen before sign-in is worthless after it.
func (s *SessionStore) Renew(ctx context.Context, sess *sessions.Session) error {
	if sess.ID != "" {
		if err := s.rows.Delete(ctx, hashToken(sess.ID)); err != nil {
			return err
		}
	}
	sess.ID = ""
	return nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// cookieOptions are set by hand: gorilla's defaults are not HttpOnly and
// SameSite=None. Secure follows the request's scheme (TLS directly, or a
// trusted proxy's X-Forwarded-Proto, see isTLS).
func cookieOptions(r *http.Request, maxAge int) *sessions.Options {
	return &sessions.Options{
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   isTLS(r),
		SameSite: http.SameSiteLaxMode,
	}
}

// setFlash keeps msg in the session for the next page the viewer sees (after
// a redirect).
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, msg string) {
	sess, err := s.Sessions.Get(r, sessionName)
	if err != nil || sess.ID == "" {
		return
	}
	sess.Values[keyFlash] = msg
	if err := sess.Save(r, w); err != nil {
		s.Logger.Error("save flash", "err", err, "request_id", requestID(r))
	}
}

// flash is the message waiting in the session, if any.
func (s *Server) flash(r *http.Request) string {
	if noFlash(r) {
		return ""
	}
	sess, err := s.Sessions.Get(r, sessionName)
	if err != nil {
		return ""
	}
	msg, _ := sess.Values[keyFlash].(string)
	return msg
}

// clearFlash drops a shown flash message from the session.
func (s *Server) clearFlash(w http.ResponseWriter, r *http.Request) {
	if noFlash(r) {
		return
	}
	sess, err := s.Sessions.Get(r, sessionName)
	if err != nil || sess.ID == "" {
		return
	}
	if _, ok := sess.Values[keyFlash]; ok {
		delete(sess.Values, keyFlash)
		if err := sess.Save(r, w); err != nil {
			s.Logger.Error("clear flash", "err", err, "request_id", requestID(r))
		}
	}
}
