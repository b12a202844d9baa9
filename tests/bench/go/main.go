// goanchor: Go 1.19 programs equivalent to goro_bench's measurements, run as anchors in the same
// `make bench` run. Usage: goanchor yield|chan|spawn|parked|deep|pool|mutex|chanpark [N]. Prints one JSON line per figure:
// {"bench":"...","value":...,"unit":"..."}. Run with GOMAXPROCS=1 like the goro side's single P
// (pool, mutex and chanpark also with GOMAXPROCS=2).
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func emit(bench string, value float64, unit string) {
	fmt.Printf("{\"bench\":%q,\"value\":%.3f,\"unit\":%q}\n", bench, value, unit)
}

// best runs f (which does n operations and returns elapsed) several times and keeps the fastest.
func best(rounds int, f func() time.Duration) time.Duration {
	var b time.Duration
	for i := 0; i < rounds; i++ {
		if d := f(); i == 0 || d < b {
			b = d
		}
	}
	return b
}

func yield(n int) {
	d := best(5, func() time.Duration {
		var wg sync.WaitGroup
		wg.Add(2)
		start := time.Now()
		for g := 0; g < 2; g++ {
			go func() {
				for i := 0; i < n; i++ {
					runtime.Gosched()
				}
				wg.Done()
			}()
		}
		wg.Wait()
		return time.Since(start)
	})
	emit("yield", float64(d.Nanoseconds())/float64(2*n), "ns/switch")
}

func chanRoundTrip(n int) {
	d := best(5, func() time.Duration {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
		}()
		start := time.Now()
		for i := 0; i < n; i++ {
			ping <- i
			<-pong
		}
		el := time.Since(start)
		close(ping)
		return el
	})
	emit("chan", float64(d.Nanoseconds())/float64(n), "ns/roundtrip")
}

func spawn(n int) {
	d := best(5, func() time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { wg.Done() }()
			if i%1024 == 1023 {
				wg.Wait()
			}
		}
		wg.Wait()
		return time.Since(start)
	})
	emit("spawn", float64(d.Nanoseconds())/float64(n), "ns/goroutine")
}

func rssBytes() float64 { return statusBytes("VmRSS:") }

// statusBytes is a "Vm...:" line of /proc/self/status in bytes.
func statusBytes(key string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), key) {
			kb, _ := strconv.ParseFloat(strings.Fields(s.Text())[1], 64)
			return kb * 1024
		}
	}
	return 0
}

func parked(n int) {
	block := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(n)
	before, pteBefore := rssBytes(), statusBytes("VmPTE:")
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() { wg.Done(); <-block }()
	}
	wg.Wait()
	runtime.Gosched()
	el := time.Since(start)
	after := rssBytes()
	emit("park_time", el.Seconds()*1e3, "ms")
	emit("parked_rss", (after-before)/float64(n), "bytes/G")
	emit("parked_pte", (statusBytes("VmPTE:")-pteBefore)/float64(n), "bytes/G")
	close(block)
}

// deepRec recurses n frames of about 250 bytes (goro_bench's deep), waits at the bottom until
// release closes, and returns.
//
//go:noinline
func deepRec(n int, arrived *sync.WaitGroup, release chan struct{}) int {
	var pad [200]byte
	pad[n%200] = byte(n)
	if n == 0 {
		arrived.Done()
		<-release
		return int(pad[0])
	}
	return deepRec(n-1, arrived, release) + int(pad[n%200])
}

// deep is the RSS growth per goroutine left after 64 goroutines each recursed `levels` frames deep
// (all at the bottom at once) and then finished: what their grown stacks leave behind.
func deep(levels int) {
	const gs = 64
	var arrived, done sync.WaitGroup
	release := make(chan struct{})
	arrived.Add(gs)
	done.Add(gs)
	before := rssBytes()
	for i := 0; i < gs; i++ {
		go func() { deepRec(levels, &arrived, release); done.Done() }()
	}
	arrived.Wait()
	close(release)
	done.Wait()
	time.Sleep(time.Millisecond)
	emit("deep_kept", (rssBytes()-before)/gs, "bytes/G")
}

// The shapes with more than one P (issue 9): goro_bench's pool_ms, mutex_ms and chanpark_ms. Each
// runs a warm-up round and emits the measured second round in ms; run with GOMAXPROCS=1 or 2.

// poolOnce: 64 worker goroutines read jobs small jobs from a buffered channel of 128 and send each
// result back over a second one; a producer goroutine feeds the jobs, main sums the results.
func poolOnce(jobs int) time.Duration {
	const workers = 64
	in, out := make(chan int, 128), make(chan int, 128)
	for w := 0; w < workers; w++ {
		go func() {
			for j := range in {
				out <- j*2 + 1
			}
		}()
	}
	start := time.Now()
	go func() {
		for i := 0; i < jobs; i++ {
			in <- i
		}
	}()
	sum := 0
	for i := 0; i < jobs; i++ {
		sum += <-out
	}
	el := time.Since(start)
	close(in)
	if sum != jobs*jobs {
		fmt.Fprintln(os.Stderr, "pool: wrong sum", sum)
	}
	return el
}

// mutexOnce: gs goroutines each take one mutex iters times and yield inside the critical section.
func mutexOnce(gs, iters int) time.Duration {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	wg.Add(gs)
	start := time.Now()
	for g := 0; g < gs; g++ {
		go func() {
			for i := 0; i < iters; i++ {
				mu.Lock()
				counter++
				runtime.Gosched()
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if counter != gs*iters {
		fmt.Fprintln(os.Stderr, "mutex: wrong count", counter)
	}
	return el
}

// chanparkOnce: n goroutines, each blocked in a receive on its own channel; the time until every
// one has started and is about to park (then all are released and have exited).
func chanparkOnce(n int) time.Duration {
	cs := make([]chan int, n)
	for i := range cs {
		cs[i] = make(chan int)
	}
	var started, exited sync.WaitGroup
	started.Add(n)
	exited.Add(n)
	start := time.Now()
	for i := 0; i < n; i++ {
		c := cs[i]
		go func() {
			started.Done()
			<-c
			exited.Done()
		}()
	}
	started.Wait()
	runtime.Gosched()
	el := time.Since(start)
	for _, c := range cs {
		close(c)
	}
	exited.Wait()
	return el
}

// warmThenMs runs f twice and emits the second run in ms.
func warmThenMs(bench string, f func() time.Duration) {
	f()
	emit(bench, f().Seconds()*1e3, "ms")
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goanchor yield|chan|spawn|parked|deep|pool|mutex|chanpark [N]")
		os.Exit(2)
	}
	n := 0
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	pick := func(def int) int {
		if n > 0 {
			return n
		}
		return def
	}
	switch os.Args[1] {
	case "yield":
		yield(pick(1000000))
	case "chan":
		chanRoundTrip(pick(500000))
	case "spawn":
		spawn(pick(200000))
	case "parked":
		parked(pick(1000000))
	case "deep":
		deep(pick(700))
	case "pool":
		warmThenMs("pool", func() time.Duration { return poolOnce(pick(1000000)) })
	case "mutex":
		warmThenMs("mutex", func() time.Duration { return mutexOnce(1000, pick(1000)) })
	case "chanpark":
		warmThenMs("chanpark", func() time.Duration { return chanparkOnce(pick(1000000)) })
	default:
		fmt.Fprintln(os.Stderr, "goanchor: unknown benchmark", os.Args[1])
		os.Exit(2)
	}
}
