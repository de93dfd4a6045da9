//go:build !race

package main

// raceOn says the tests run under the race detector.
const raceOn = false
