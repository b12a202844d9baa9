// chan_roundtrip.go: Go's anchor for boost_chan_roundtrip.cpp: ns per unbuffered channel round
// trip (send a value to an echo goroutine and receive it back) with GOMAXPROCS=1, best of 5.
package main

import (
	"fmt"
	"runtime"
	"time"
)

func main() {
	runtime.GOMAXPROCS(1)
	const n = 200000
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	best := 1e18
	for round := 0; round < 5; round++ {
		t := time.Now()
		for i := 0; i < n; i++ {
			ping <- i
			<-pong
		}
		if ns := float64(time.Since(t).Nanoseconds()) / n; ns < best {
			best = ns
		}
	}
	fmt.Printf("%.1f\n", best)
}
