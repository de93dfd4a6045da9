package spaces

// LabelID is the catalogue message (internal/i18n) naming the kind, for
// the view to say in the reader's language; Label is its English. A kind
// Usher does not know has none ("").
func (k Kind) LabelID() string {
	switch k {
	case Account, Unit, WaitingArea, MeetingRoom:
		return "spaces.kind." + string(k)
	}
	return ""
}
