// Package e2e drives Guildhall in a real headless Chromium, finding things by
// role and accessible name as people do.
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"guildhall/internal/testapp"
	"guildhall/internal/testdb"
)

// browserCtx is the one browser of this package; each test opens a tab.
var browserCtx context.Context

func TestMain(m *testing.M) {
	testdb.Main(&browserMain{m})
}

// browserMain starts Chromium around the package's tests.
type browserMain struct{ m *testing.M }

func (b *browserMain) Run() int {
	path := chromiumPath()
	if path == "" {
		fmt.Fprintln(os.Stderr, "e2e: Chromium not found: install it (apt-get install chromium) or set CHROMIUM")
		return 1
	}
	dir, err := os.MkdirTemp("", "guildhall-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dir),
		chromedp.Env("TMPDIR=" + dir),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start Chromium:", err)
		return 1
	}
	browserCtx = ctx
	return b.m.Run()
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab is one browser tab on a running app.
type tab struct {
	t   *testing.T
	ctx context.Context
	app *testapp.App
}

// newTab opens a tab in a fresh browser context (its own cookies).
func newTab(t *testing.T, app *testapp.App) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return &tab{t: t, ctx: ctx, app: app}
}

// waitLimit bounds every step, so a missing element fails the test quickly
// with the page's text instead of hanging.
const waitLimit = 15 * time.Second

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitLimit)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.pageText())
	}
}

// pageText is the visible text of the page, for failure messages.
func (b *tab) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// open navigates to path on the app.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.app.URL+path), chromedp.WaitReady("body"))
}

// xpathLiteral quotes s for XPath.
func xpathLiteral(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return "concat('" + strings.ReplaceAll(s, "'", "', \"'\", '") + "')"
}

// field is the form control named name: by its <label> or its aria-label.
func field(name string) string {
	l := xpathLiteral(name)
	return "//*[(self::input or self::textarea or self::select) and (@aria-label=" + l + " or @id = //label[normalize-space(.)=" + l + "]/@for or ancestor::label[normalize-space(.)=" + l + "])]"
}

// button is the button named name.
func button(name string) string {
	return "//button[normalize-space(.)=" + xpathLiteral(name) + "]"
}

// link is the link named name.
func link(name string) string {
	return "//a[normalize-space(.)=" + xpathLiteral(name) + "]"
}

// fill types value into the field labelled name, replacing what was there
// (an empty textarea too, which chromedp.Clear cannot clear).
func (b *tab) fill(name, value string) {
	b.t.Helper()
	sel := field(name)
	clear := chromedp.Evaluate[bool]("(n => { if (!n) return false; n.value = ''; return true })(document.evaluate(" +
		jsString(sel) + ", document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue)")
	b.do("fill "+name, chromedp.WaitVisible(sel), func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := clear(ctx, t)
		return chromedp.Void{}, err
	}, chromedp.SendKeys(sel, value))
}

// click clicks the button named name.
func (b *tab) click(name string) {
	b.t.Helper()
	b.do("click "+name, chromedp.WaitVisible(button(name)), chromedp.Click(button(name)))
}

// follow clicks the link named name.
func (b *tab) follow(name string) {
	b.t.Helper()
	b.do("follow "+name, chromedp.WaitVisible(link(name)), chromedp.Click(link(name)))
}

// waitText waits until the page shows text.
func (b *tab) waitText(text string) {
	b.t.Helper()
	b.do("wait for text "+text, poll("document.body && document.body.innerText.includes("+jsString(text)+")"))
}

// waitPath waits until the location's path is path.
func (b *tab) waitPath(path string) {
	b.t.Helper()
	b.do("wait for path "+path, poll("location.pathname === "+jsString(path)))
}

// hasText reports whether the page shows text now.
func (b *tab) hasText(text string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.body.innerText.includes("+jsString(text)+")"))
	if err != nil {
		b.t.Fatal(err)
	}
	return ok
}

// count returns how many nodes match the XPath expression.
func (b *tab) count(xpath string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.evaluate("+jsString("count("+xpath+")")+", document, null, XPathResult.NUMBER_TYPE, null).numberValue"))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// signIn signs in through the form and waits for the groups page.
func (b *tab) signIn(email string) {
	b.t.Helper()
	b.open("/login")
	b.fill("Email", email)
	b.fill("Password", testapp.Password)
	b.click("Sign in")
	b.waitPath("/groups")
}

// poll waits until the JavaScript expression is true, evaluating it again
// and again; a page navigating in between only means "not yet".
func poll(expr string) chromedp.Action[chromedp.Void] {
	eval := chromedp.Evaluate[bool](expr)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			if ok, err := eval(ctx, t); err == nil && ok {
				return chromedp.Void{}, nil
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func navigate(url string) chromedp.Action[chromedp.Void] { return chromedp.Navigate(url) }

// checked reports whether the checkbox labelled name is checked.
func (b *tab) checked(name string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.evaluate("+jsString(field(name))+
		", document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.checked"))
	if err != nil {
		b.t.Fatalf("checkbox %s: %v", name, err)
	}
	return v
}

// toggle clicks the checkbox labelled name.
func (b *tab) toggle(name string) {
	b.t.Helper()
	b.do("toggle "+name, chromedp.WaitVisible(field(name)), chromedp.Click(field(name)))
}
