package platformweb_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The suite's tests share one headless chromium: starting it is most of
// a short test's time. Each test gets a browser context of its own (an
// empty profile: no cookie or cache of another test) in a tab of its own.
// TestMain stops the browser when the tests end.
var suiteChrome struct {
	once sync.Once
	ctx  context.Context // the browser's first tab
	stop func()
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if suiteChrome.stop != nil {
		suiteChrome.stop()
	}
	os.Exit(code)
}

// startChrome returns a fresh browser context of the suite's chromium for
// at most timeout, closed when t ends. The browser trusts any certificate:
// each platformd under test serves one of a throwaway CA.
func startChrome(t *testing.T, chromium string, timeout time.Duration) context.Context {
	t.Helper()
	suiteChrome.once.Do(func() {
		profile, err := os.MkdirTemp("", "platformweb-chromium-")
		if err != nil {
			suiteChrome.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromium),
			chromedp.NoSandbox, // the test runs as root
			chromedp.UserDataDir(profile),
			chromedp.Flag("ignore-certificate-errors", true), // the throwaway CAs; tests only
			chromedp.Flag("headless", true),
		)
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, cancelB := chromedp.NewContext(actx)
		suiteChrome.ctx = bctx
		suiteChrome.stop = func() { cancelB(); cancelA(); os.RemoveAll(profile) }
		suiteChrome.err = chromedp.Do(bctx) // starts the browser
	})
	if suiteChrome.err != nil {
		t.Fatalf("start chromium %s: %v", chromium, suiteChrome.err)
	}
	tctx, cancelT := chromedp.NewContext(suiteChrome.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelT)
	ctx, cancel := context.WithTimeout(tctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// chromeDo runs steps, failing t with what and the page's HTML.
func chromeDo(t *testing.T, bctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(bctx, steps...); err != nil {
		html, _ := chromedp.Run(bctx, chromedp.OuterHTML(css("html")))
		t.Fatalf("%s: %v\npage:\n%s", what, err, html)
	}
}

// chromeText is the text of the element sel.
func chromeText(t *testing.T, bctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(bctx, chromedp.Text(css(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}
