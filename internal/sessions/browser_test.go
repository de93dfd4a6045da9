package sessions

import "testing"

func TestParseBrowser(t *testing.T) {
	t.Parallel()
	tests := map[string]Browser{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                        {"Firefox", "Windows", Desktop},
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1": {"Safari", "iPhone", Phone},
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":                   {"Chrome", "macOS", Desktop},
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0":                     {"Edge", "Linux", Desktop},
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36":               {"Chrome", "Android", Phone},
		"": {},
	}
	for ua, want := range tests {
		if got := ParseBrowser(ua); got != want {
			t.Errorf("%q: %+v, want %+v", ua, got, want)
		}
	}
	if got := ParseBrowser("curl/8.5.0"); got.Name != "" {
		t.Errorf("curl: %+v, want no browser name", got)
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	if got := cut("aé", 2); got != "a" {
		t.Errorf("cut inside a character: %q", got)
	}
	if got := cut("abc", 5); got != "abc" {
		t.Errorf("cut short: %q", got)
	}
}
