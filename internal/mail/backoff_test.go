package mail

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		r        float64
		want     time.Duration
	}{
		{1, 0.5, 30 * time.Second},
		{2, 0.5, time.Minute},
		{3, 0.5, 2 * time.Minute},
		{7, 0.5, 32 * time.Minute},
		{8, 0.5, time.Hour}, // 64 minutes, capped
		{1000, 0.5, time.Hour},
		{1, 0, 24 * time.Second}, // -20%
		{1, 1, 36 * time.Second}, // +20%
		{9, 0, 48 * time.Minute}, // the cap spreads too
		{9, 1, 72 * time.Minute},
	}
	for _, tt := range tests {
		if got := backoff(tt.attempts, tt.r); got != tt.want {
			t.Errorf("backoff(%d, %v) = %s, want %s", tt.attempts, tt.r, got, tt.want)
		}
	}
}
