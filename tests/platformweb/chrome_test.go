package platformweb_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startChrome starts headless chromium (its profile under dir) for at most
// timeout, stopped when t ends. The browser trusts any certificate: the
// platformd under test serves one of a throwaway CA.
func startChrome(t *testing.T, chromium, dir string, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // the test runs as root
		chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.Flag("ignore-certificate-errors", true), // the throwaway CA; tests only
		chromedp.Flag("headless", true),
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelA)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(cancelB)
	return bctx
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
