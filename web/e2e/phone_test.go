package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// fitsWidth fails unless the open page is no wider than the window: nothing
// scrolls sideways.
func (b *tab) fitsWidth() {
	b.t.Helper()
	w, err := chromedp.Run(b.ctx, chromedp.Evaluate[[2]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		b.t.Fatal(err)
	}
	if w[0] > w[1] {
		b.t.Errorf("the page is %d px wide in a %d px window: it scrolls sideways", w[0], w[1])
	}
}

// On a phone (390 px) no page of the UI contract scrolls sideways, for any
// kind of person; the directory, a group page, its queue and the inbox are
// photographed at 390 and 1280 px (into $GUILDHALL_SCREENSHOTS when set).
func TestPhonesNothingWiderThanTheScreen(t *testing.T) {
	f := newA11yWorld(t)
	f.walk(t, 390, func(t *testing.T, b *tab, _ person, _ string) { b.fitsWidth() })

	dir := os.Getenv("GUILDHALL_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	shots := []struct{ name, path string }{
		{"directory", "/groups"},
		{"group", "/groups/" + f.slug},
		{"queue", "/groups/" + f.slug + "/requests"},
		{"inbox", "/inbox"},
	}
	for _, width := range []int64{390, 1280} {
		b := newTabFor(t, f.app, 3*time.Minute)
		b.do("set the window width", chromedp.EmulateViewport(width, 844))
		b.signIn(f.who[groupAdmin].Email)
		for _, s := range shots {
			t.Run(s.name+" at "+strconv.FormatInt(width, 10), func(t *testing.T) {
				b.t = t
				b.open(s.path)
				b.fitsWidth()
				png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, s.name+"-"+strconv.FormatInt(width, 10)+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
