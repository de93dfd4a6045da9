package i18n

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
)

// Every date is written in UTC, the time the pages and emails say they use.

// Ago says how long before now t was, as people say it: "just now",
// "5 minutes ago", "yesterday", "3 days ago"; from two months on, the date.
func (l *Locale) Ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return l.T("time.just_now")
	case d < time.Hour:
		return l.N("time.minutes_ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return l.N("time.hours_ago", int(d/time.Hour))
	case d < 48*time.Hour:
		return l.T("time.yesterday")
	case d < 60*24*time.Hour:
		return l.N("time.days_ago", int(d/(24*time.Hour)))
	}
	return l.T("time.on_date", "Date", l.ShortDate(t))
}

// In says how long after now t is: "in 6 days", "in 3 hours", "tomorrow".
func (l *Locale) In(now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return l.Ago(now, t)
	case d < time.Minute:
		return l.T("time.in_moments")
	case d < time.Hour:
		return l.N("time.in_minutes", int((d+time.Minute-1)/time.Minute))
	case d < 24*time.Hour:
		return l.N("time.in_hours", int((d+30*time.Minute)/time.Hour))
	case d < 48*time.Hour:
		return l.T("time.tomorrow")
	}
	// Round to the nearest day: a link sent a moment ago expires "in 7 days".
	return l.N("time.in_days", int((d+12*time.Hour)/(24*time.Hour)))
}

// Span says how long d is, to the minute: "7 days", "1 day and 12 hours",
// "1 hour and 30 minutes".
func (l *Locale) Span(d time.Duration) string {
	d = d.Round(time.Minute)
	var parts []string
	for _, u := range []struct {
		size time.Duration
		id   string
	}{{24 * time.Hour, "time.days"}, {time.Hour, "time.hours"}, {time.Minute, "time.minutes"}} {
		if n := int(d / u.size); n > 0 {
			parts = append(parts, l.N(u.id, n))
			d -= time.Duration(n) * u.size
		}
	}
	if len(parts) == 0 {
		return l.T("time.less_than_a_minute")
	}
	return l.join(parts)
}

// List joins items as a sentence does: "a", "a and b", "a, b and c"; from
// five on it names the first three and counts the rest, "a, b, c and 47
// others", so that a sentence about a whole form of addresses stays short
// enough for a banner.
func (l *Locale) List(items []string) string {
	const named = 3
	if len(items) > named+1 {
		return l.N("list.and_others", len(items)-named, "Items", strings.Join(items[:named], l.T("list.comma")))
	}
	return l.join(items)
}

func (l *Locale) join(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return l.T("list.and", "Items", strings.Join(items[:len(items)-1], l.T("list.comma")), "Last", items[len(items)-1])
}

// Date is the day t falls on: "5 December 2026", "5. Dezember 2026".
func (l *Locale) Date(t time.Time) string {
	t = t.UTC()
	return l.fill("date.long", plural.Other, func(arg string) string {
		return l.datePart(t, arg, true)
	})
}

// ShortDate is the day with the month shortened: "5 Dec 2026", "5. Dez. 2026".
func (l *Locale) ShortDate(t time.Time) string {
	t = t.UTC()
	return l.fill("date.short", plural.Other, func(arg string) string {
		return l.datePart(t, arg, false)
	})
}

// Exact is the full time, for tooltips: "Sat 5 Dec 2026, 14:05 UTC".
func (l *Locale) Exact(t time.Time) string {
	t = t.UTC()
	return l.fill("date.exact", plural.Other, func(arg string) string {
		return l.datePart(t, arg, false)
	})
}

// DayAndTime is a time within the last days, the year left out: "Sat 5 Dec,
// 14:05 UTC".
func (l *Locale) DayAndTime(t time.Time) string {
	t = t.UTC()
	return l.fill("date.day_and_time", plural.Other, func(arg string) string {
		return l.datePart(t, arg, false)
	})
}

// Clock is the time of day: "14:05 UTC".
func (l *Locale) Clock(t time.Time) string {
	t = t.UTC()
	return l.fill("date.clock", plural.Other, func(arg string) string { return l.datePart(t, arg, false) })
}

// Full is a moment written out, as emails say when a link stops working:
// "Saturday 5 December 2026 at 14:05 UTC".
func (l *Locale) Full(t time.Time) string {
	t = t.UTC()
	return l.fill("date.full", plural.Other, func(arg string) string { return l.datePart(t, arg, true) })
}

// datePart is the part of a date its pattern's placeholder arg names, in
// UTC: names written out when long ("December", "Saturday"), else short
// ("Dec", "Sat"). The names come from the catalogue; the numbers are
// written with as few allocations as can be (a page writes hundreds).
func (l *Locale) datePart(t time.Time, arg string, long bool) string {
	months, weekdays := &l.shortMonths, &l.shortWeekdays
	if long {
		months, weekdays = &l.months, &l.weekdays
	}
	switch arg {
	case "Day":
		return strconv.Itoa(t.Day()) // below 100: no allocation
	case "Month":
		return months[t.Month()-1]
	case "Year":
		return strconv.Itoa(t.Year())
	case "Weekday":
		return weekdays[t.Weekday()]
	case "Date":
		if long {
			return l.Date(t)
		}
		return l.ShortDate(t)
	case "Time":
		h, m := t.Hour(), t.Minute()
		return string([]byte{byte('0' + h/10), byte('0' + h%10), ':', byte('0' + m/10), byte('0' + m%10)})
	}
	return ""
}

var monthIDs = [12]string{
	"month.january", "month.february", "month.march", "month.april", "month.may", "month.june",
	"month.july", "month.august", "month.september", "month.october", "month.november", "month.december",
}

var weekdayIDs = [7]string{
	"weekday.sunday", "weekday.monday", "weekday.tuesday", "weekday.wednesday",
	"weekday.thursday", "weekday.friday", "weekday.saturday",
}

// The short names' ids: "month.january_short", "weekday.sunday_short".
var shortMonthIDs, shortWeekdayIDs = [12]string(suffixed(monthIDs[:], "_short")), [7]string(suffixed(weekdayIDs[:], "_short"))

func suffixed(ids []string, suffix string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id + suffix
	}
	return out
}
