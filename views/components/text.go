package components

// emailParts cuts an address after its @ and after each dot: the places a
// long address may break across lines (Email).
func emailParts(addr string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(addr); i++ {
		if addr[i] == '@' || addr[i] == '.' {
			parts = append(parts, addr[start:i+1])
			start = i + 1
		}
	}
	return append(parts, addr[start:])
}
