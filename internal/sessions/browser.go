package sessions

import (
	"sync"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// parser is made on first use: building its trie takes a few
// milliseconds that a command which signs nobody in need not spend.
var parser = sync.OnceValue(useragent.NewParser)

// ParseBrowser reads a User-Agent.
func ParseBrowser(ua string) Browser {
	if ua == "" {
		return Browser{}
	}
	a := parser().Parse(ua)
	b := Browser{Name: string(a.Browser()), OS: string(a.OS()), Device: Desktop}
	switch a.Device() {
	case agents.DeviceMobile:
		b.Device = Phone
	case agents.DeviceTablet:
		b.Device = Tablet
	case agents.DeviceTV:
		b.Device = TV
	case agents.DeviceBot:
		b.Device = Bot
	}
	switch a.OS() {
	case agents.OSIOS:
		// "Safari on iPhone" says more than "Safari on iOS".
		if b.Device == Tablet {
			b.OS = "iPad"
		} else {
			b.OS = "iPhone"
		}
	case agents.OSMacOS:
		b.OS = "macOS"
	}
	return b
}

// Names is b as the activity log keeps it, in names that need no
// translation: "Firefox, Windows", either one alone when the other is
// unknown, "" when both are.
func (b Browser) Names() string {
	switch {
	case b.Name != "" && b.OS != "":
		return b.Name + ", " + b.OS
	case b.Name != "":
		return b.Name
	}
	return b.OS
}
