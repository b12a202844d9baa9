// chan_test.cpp: goro::chan: ordering, handoff, close semantics, non-blocking ops, nil channels.
#include <memory>
#include <string>
#include <vector>

#include "chan_support.h"
#include "goro/chan.h"
#include "goro/runtime.h"
#include "goro/wait_group.h"
#include "../support/support.h"

using goro_test::run_procs;

TEST_CASE("chan: buffered FIFO order per sender under contention", "[goro][chan]") {
  int procs = GORO_PROCS();
  constexpr int kSenders = 8, kPerSender = 2000;
  std::vector<int> next(kSenders, 0);
  int out_of_order = 0, received = 0;
  run_procs(procs, [&] {
    goro::chan<std::pair<int, int>> c(16);
    goro::wait_group wg;
    for (int s = 0; s < kSenders; ++s) {
      wg.add(1);
      goro::go([c, s, &wg]() mutable {
        for (int i = 0; i < kPerSender; ++i) c.send({s, i});
        wg.done();
      });
    }
    goro::go([c, &wg]() mutable {
      wg.wait();
      c.close();
    });
    for (auto [s, i] : c) {
      if (next[s] != i) ++out_of_order;
      next[s] = i + 1;
      ++received;
    }
  });
  CHECK(out_of_order == 0);
  CHECK(received == kSenders * kPerSender);
  for (int s = 0; s < kSenders; ++s) CHECK(next[s] == kPerSender);
}

TEST_CASE("chan: unbuffered send hands the value to the receiver and waits for it", "[goro][chan]") {
  int procs = GORO_PROCS();
  std::vector<std::string> got;
  bool sender_done_before_recv = false;
  size_t len_seen = 99, cap_seen = 99;
  run_procs(procs, [&] {
    goro::chan<std::string> c;
    goro::chan<int> done(1);
    bool sent = false;
    goro::go([c, done, &sent]() mutable {
      c.send(std::string(100, 'x'));  // not small-string: a real move through the handoff
      sent = true;
      c.send("second");
      done.send(1);
    });
    goro::yield();
    goro::sleep_for(std::chrono::milliseconds(1));
    sender_done_before_recv = sent;  // the sender cannot finish before someone receives
    len_seen = c.len();
    cap_seen = c.cap();
    got.push_back(*c.recv());
    got.push_back(*c.recv());
    done.recv();
  });
  CHECK_FALSE(sender_done_before_recv);
  CHECK(len_seen == 0);
  CHECK(cap_seen == 0);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == std::string(100, 'x'));
  CHECK(got[1] == "second");
}

TEST_CASE("chan: move-only values and the full-buffer sender path", "[goro][chan]") {
  int procs = GORO_PROCS();
  std::vector<int> got;
  run_procs(procs, [&] {
    goro::chan<std::unique_ptr<int>> c(2);
    goro::go([c]() mutable {
      for (int i = 0; i < 50; ++i) c.send(std::make_unique<int>(i));  // blocks on the full buffer
      c.close();
    });
    for (auto& p : c) got.push_back(*p);
  });
  REQUIRE(got.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(got[i] == i);
}

TEST_CASE("chan: close drains the buffer, then reports closed forever", "[goro][chan]") {
  int procs = GORO_PROCS();
  std::vector<std::optional<int>> seen;
  bool try_done = false, try_empty = false;
  int woken_closed = 0;
  run_procs(procs, [&] {
    goro::chan<int> c(3);
    c.send(1);
    c.send(2);
    c.send(3);
    c.close();
    for (int i = 0; i < 5; ++i) seen.push_back(c.recv());
    std::optional<int> v = 7;
    try_done = c.try_recv(v);
    try_empty = !v.has_value();

    // Receivers parked on an empty channel are all woken by close with "closed".
    goro::chan<int> e;
    goro::wait_group wg;
    for (int i = 0; i < 4; ++i) {
      wg.add(1);
      goro::go([e, &wg, &woken_closed]() mutable {
        if (!e.recv()) __atomic_add_fetch(&woken_closed, 1, __ATOMIC_RELAXED);
        wg.done();
      });
    }
    goro::sleep_for(std::chrono::milliseconds(2));
    e.close();
    wg.wait();
  });
  REQUIRE(seen.size() == 5);
  CHECK(seen[0] == 1);
  CHECK(seen[1] == 2);
  CHECK(seen[2] == 3);
  CHECK_FALSE(seen[3].has_value());
  CHECK_FALSE(seen[4].has_value());
  CHECK(try_done);
  CHECK(try_empty);
  CHECK(woken_closed == 4);
}

TEST_CASE("chan: try_send and try_recv never wait", "[goro][chan]") {
  int procs = GORO_PROCS();
  bool first = false, second = false, unbuf_send = true, empty_recv = true, got_one = false;
  size_t len_full = 0;
  int value = 0;
  run_procs(procs, [&] {
    goro::chan<int> c(1);
    first = c.try_send(10);
    second = c.try_send(11);  // full
    len_full = c.len();
    std::optional<int> v;
    got_one = c.try_recv(v) && v && *v == 10;
    empty_recv = c.try_recv(v);  // empty, open: would wait
    goro::chan<int> u;
    unbuf_send = u.try_send(1);  // nobody receiving
    value = v.value_or(-1);
  });
  CHECK(first);
  CHECK_FALSE(second);
  CHECK(len_full == 1);
  CHECK(got_one);
  CHECK_FALSE(empty_recv);
  CHECK_FALSE(unbuf_send);
  CHECK(value == 10);
}

TEST_CASE("chan: many senders and receivers over an unbuffered channel lose nothing", "[goro][chan]") {
  int procs = GORO_PROCS();
  constexpr int kG = 16, kN = 1000;
  long long sum = 0;
  run_procs(procs, [&] {
    goro::chan<int> c;
    goro::chan<long long> sums(kG);
    for (int g = 0; g < kG; ++g) {
      goro::go([c]() mutable {
        for (int i = 1; i <= kN; ++i) c.send(i);
      });
      goro::go([c, sums]() mutable {
        long long s = 0;
        for (int i = 0; i < kN; ++i) s += *c.recv();
        sums.send(s);
      });
    }
    for (int g = 0; g < kG; ++g) sum += *sums.recv();
  });
  CHECK(sum == static_cast<long long>(kG) * kN * (kN + 1) / 2);
}

TEST_CASE("chan: nil channel never completes a non-blocking op", "[goro][chan]") {
  goro::chan<int> nil(nullptr);
  std::optional<int> v;
  CHECK(nil.nil());
  CHECK_FALSE(nil.try_send(1));
  CHECK_FALSE(nil.try_recv(v));
  CHECK(nil.len() == 0);
  CHECK(nil.cap() == 0);
}

TEST_CASE("chan: try ops work from a plain thread", "[goro][chan]") {
  goro::chan<int> c(2);
  CHECK(c.try_send(1));
  std::optional<int> v;
  CHECK(c.try_recv(v));
  CHECK(v == 1);
  c.close();
  CHECK(c.try_recv(v));
  CHECK_FALSE(v.has_value());
}

// Misuse dies like Go: a clear message and exit status 2 (each in its own process).
TEST_CASE("chan: misuse panics with Go's messages", "[goro][chan]") {
  struct Case {
    const char* mode;
    const char* msg;
  } cases[] = {
      {"send-closed", "panic: send on closed channel"},
      {"send-closed-parked", "panic: send on closed channel"},
      {"close-closed", "panic: close of closed channel"},
      {"close-nil", "panic: close of nil channel"},
  };
  for (const Case& c : cases) {
    INFO(c.mode);
    auto r = ts::test::run({ts::test::fixture_path("goro_chan_misuse"), c.mode});
    CHECK(r.status == 2);
    CHECK(r.err.find(c.msg) != std::string::npos);
    CHECK(r.err.find("goroutine ") != std::string::npos);
  }
}
