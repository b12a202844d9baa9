// The Go row of `taskscope bench`: what a Go goroutine costs, measured the way the C++ probes
// measure threads and goro Gs. taskscope builds it offline on first use and speaks to it over
// stdin/stdout: one JSON object per line out, one byte in for each go-ahead, EOF to finish.
//
//	bench-go create ROUNDS N           spawn N goroutines that exit (1000 in flight), per round
//	bench-go switch ROUNDS YIELDS TRIPS two goroutines yielding, then unbuffered channel round trips
//	bench-go park N                    N goroutines parked on a channel, for their RSS
//
// Each figure runs one warm-up round more than ROUNDS, not reported.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func report(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// waitGo blocks until taskscope sends a byte (true) or closes stdin (false).
func waitGo() bool {
	var b [1]byte
	n, _ := syscall.Read(0, b[:])
	return n == 1
}

func arg(i int) int {
	v, err := strconv.Atoi(os.Args[i])
	if err != nil {
		report(map[string]interface{}{"error": "bad argument " + os.Args[i]})
		os.Exit(2)
	}
	return v
}

// timedRounds runs body once to warm up, then rounds times; it returns ns per unit per round.
func timedRounds(rounds, units int, body func()) []float64 {
	body()
	out := make([]float64, 0, rounds)
	for r := 0; r < rounds; r++ {
		t0 := time.Now()
		body()
		out = append(out, float64(time.Since(t0).Nanoseconds())/float64(units))
	}
	return out
}

func spawnExit(n int) {
	var wg sync.WaitGroup
	for done := 0; done < n; done += 1000 {
		k := n - done
		if k > 1000 {
			k = 1000
		}
		wg.Add(k)
		for i := 0; i < k; i++ {
			go func() { wg.Done() }()
		}
		wg.Wait()
	}
}

func switches(rounds, yields, trips int) {
	tid := syscall.Gettid()
	report(map[string]interface{}{"tasks": [][]int{{os.Getpid(), tid}}})
	if !waitGo() {
		return
	}
	same := syscall.Gettid() == tid
	var mu sync.Mutex
	y := timedRounds(rounds, 2*yields, func() {
		var wg sync.WaitGroup
		wg.Add(2)
		for g := 0; g < 2; g++ {
			go func() {
				for i := 0; i < yields; i++ {
					runtime.Gosched()
				}
				mu.Lock()
				same = same && syscall.Gettid() == tid
				mu.Unlock()
				wg.Done()
			}()
		}
		wg.Wait()
	})
	c := timedRounds(rounds, trips, func() {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for i := 0; i < trips; i++ {
				pong <- <-ping
			}
		}()
		for i := 0; i < trips; i++ {
			ping <- i
			<-pong
		}
	})
	same = same && syscall.Gettid() == tid
	n := (rounds + 1) * (2*yields + 2*trips)
	report(map[string]interface{}{"yield_ns": y, "roundtrip_ns": c, "switches": n, "same_thread": same})
	waitGo()
}

func park(n int) {
	report(map[string]interface{}{})
	if !waitGo() {
		return
	}
	never := make(chan int)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			wg.Done()
			<-never
		}()
	}
	wg.Wait()
	runtime.Gosched()
	report(map[string]interface{}{"units": n})
	waitGo()
}

func main() {
	if len(os.Args) < 3 {
		report(map[string]interface{}{"error": "usage: bench-go create|switch|park ..."})
		os.Exit(2)
	}
	switch os.Args[1] {
	case "create":
		n := arg(3)
		report(map[string]interface{}{"create_ns": timedRounds(arg(2), n, func() { spawnExit(n) })})
	case "switch":
		switches(arg(2), arg(3), arg(4))
	case "park":
		park(arg(2))
	default:
		report(map[string]interface{}{"error": "unknown mode " + os.Args[1]})
		os.Exit(2)
	}
}
