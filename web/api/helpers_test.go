package api_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
	"guildhall/web/api"
)

// world is a running Guildhall with its API, a site admin (root) and
// helpers to set up groups through the services.
type world struct {
	t       *testing.T
	ctx     context.Context
	app     *testapp.App
	root    *guildhall.Account
	rootTok string
}

func newWorld(t *testing.T, configure func(*api.Config)) *world {
	t.Helper()
	app := testapp.NewAPI(t, configure)
	root := app.Account(t, "root@example.com", "Root Admin", testapp.SiteAdmin)
	return &world{t: t, ctx: context.Background(), app: app, root: root, rootTok: app.APIToken(t, root, false)}
}

// person creates an account named name (email from its first word) and a
// token for it.
func (w *world) person(name string, opts ...func(*guildhall.NewAccount)) (*guildhall.Account, string) {
	w.t.Helper()
	email := strings.ToLower(strings.Fields(name)[0]) + "@example.com"
	acct := w.app.Account(w.t, email, name, opts...)
	return acct, w.app.APIToken(w.t, acct, false)
}

func (w *world) policy(p guildhall.CreationPolicy) {
	w.t.Helper()
	if _, err := w.app.Services.Settings.SetCreationPolicy(w.ctx, guildhall.ActorFor(w.root), p); err != nil {
		w.t.Fatalf("set policy %s: %v", p, err)
	}
}

// group creates a group owned by owner, whatever the policy.
func (w *world) group(owner *guildhall.Account, name string, p guildhall.Privacy) *guildhall.Group {
	w.t.Helper()
	c, err := w.app.Services.Groups.CreateGroup(w.ctx, guildhall.Actor{Account: *w.root, Elevated: true},
		guildhall.GroupInput{Name: name, Privacy: p}, owner.ID)
	if err != nil || c.Group == nil {
		w.t.Fatalf("create group %s: %+v, %v", name, c, err)
	}
	return c.Group
}

// member puts acct in g with role, through the services as root.
func (w *world) member(g *guildhall.Group, acct *guildhall.Account, role guildhall.Role) {
	w.t.Helper()
	rootActor := guildhall.ActorFor(w.root)
	res, err := w.app.Services.Membership.AddMembers(w.ctx, rootActor, g.ID, []string{acct.ID})
	if err == nil && res[0].Err != nil {
		err = res[0].Err
	}
	if err == nil && role == guildhall.RoleAdmin {
		res, err = w.app.Services.Membership.SetRole(w.ctx, rootActor, g.ID, []string{acct.ID}, role)
		if err == nil && res[0].Err != nil {
			err = res[0].Err
		}
	}
	if err != nil {
		w.t.Fatalf("make %s a member of %s: %v", acct.DisplayName, g.Name, err)
	}
}

// expect calls the API and fails unless the status is want. Error answers
// must have the error body of api.md.
func (w *world) expect(token, method, path string, body any, want int) map[string]any {
	w.t.Helper()
	got, out := w.app.API(w.t, token, method, path, body)
	if got != want {
		w.t.Fatalf("%s %s: status %d, want %d; body %v", method, path, got, want, out)
	}
	if got >= 400 {
		checkErrorBody(w.t, out, got)
	}
	return out
}

// expectError is expect for an error with code (an applicationError) or,
// for INVALID_ARGUMENT with a field, a violation of that field.
func (w *world) expectError(token, method, path string, body any, want int, code string) map[string]any {
	w.t.Helper()
	out := w.expect(token, method, path, body, want)
	if c := str(out, "details.applicationError.code"); c != code {
		w.t.Fatalf("%s %s: code %q, want %q; body %v", method, path, c, code, out)
	}
	return out
}

// expectViolation is expect for a 400 naming field.
func (w *world) expectViolation(token, method, path string, body any, field string) map[string]any {
	w.t.Helper()
	out := w.expect(token, method, path, body, 400)
	if !hasViolation(out, field) {
		w.t.Fatalf("%s %s: want a violation of %q; body %v", method, path, field, out)
	}
	return out
}

// checkErrorBody checks the shape of an error answer.
func checkErrorBody(t *testing.T, out map[string]any, status int) {
	t.Helper()
	if out == nil || str(out, "message") == "" {
		t.Fatalf("error %d: body %v has no message", status, out)
	}
	details, _ := out["details"].(map[string]any)
	_, app := details["applicationError"]
	_, val := details["validationError"]
	if app == val {
		t.Fatalf("error %d: details %v want exactly one of applicationError and validationError", status, details)
	}
	wantCode := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
		404: "NOT_FOUND", 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}[status]
	if app && wantCode != "" && str(out, "details.applicationError.code") != wantCode {
		t.Fatalf("error %d: code %q, want %q", status, str(out, "details.applicationError.code"), wantCode)
	}
	if val && status != 400 {
		t.Fatalf("error %d has a validationError", status)
	}
}

func hasViolation(out map[string]any, field string) bool {
	for _, v := range list(out, "details.validationError.fieldViolations") {
		if v.(map[string]any)["field"] == field {
			return true
		}
	}
	return false
}

// at follows a dotted path ("group.settings.showMemberList", "groups.0.id").
func at(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any, path string) string {
	s, _ := at(v, path).(string)
	return s
}

func num(v any, path string) int {
	f, _ := at(v, path).(float64)
	return int(f)
}

func list(v any, path string) []any {
	l, _ := at(v, path).([]any)
	return l
}

// ids lists the key of every item of the list at path.
func ids(v any, path, key string) []string {
	var out []string
	for _, item := range list(v, path) {
		out = append(out, fmt.Sprint(item.(map[string]any)[key]))
	}
	return out
}
