// chan.h: goro::chan<T>, Go's channel for goroutines.
//
//   goro::chan<int> c;                 // unbuffered (make(chan int))
//   goro::go([c]() mutable { c.send(42); c.close(); });
//   while (auto v = c.recv()) use(*v); // recv() is empty once c is closed and drained
//
// A chan is a reference, as in Go: copies share one channel, which lives until the last copy goes.
// The template is a thin typed shell over a type-erased core (runtime/src/chan.cpp), a transcription
// of Go's chan.go: one lock per channel, a ring buffer, and FIFO queues of parked senders and
// receivers whose wait records live on their own stacks (no allocation per operation). A send to a
// parked receiver moves the value straight into the receiver's frame, and vice versa.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <cstring>
#include <iterator>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace goro {

template <class T>
class chan;

namespace detail {

struct hchan;

// elem_ops is how the core moves and destroys elements it only knows by size.
struct elem_ops {
  void (*move)(void* dst, void* src) noexcept;  // move-construct *dst from *src (dst is raw storage)
  void (*destroy)(void* p) noexcept;             // nullptr when trivially destructible
  uint32_t size;
  uint32_t align;
};

template <class T>
struct elem_ops_of {
  static void move(void* dst, void* src) noexcept {
    if constexpr (std::is_trivially_copyable_v<T>) std::memcpy(dst, src, sizeof(T));
    else ::new (dst) T(std::move(*static_cast<T*>(src)));
  }
  static void destroy(void* p) noexcept { static_cast<T*>(p)->~T(); }
  static constexpr elem_ops ops{&move, std::is_trivially_destructible_v<T> ? nullptr : &destroy,
                                static_cast<uint32_t>(sizeof(T)), static_cast<uint32_t>(alignof(T))};
};

// chan_make() allocates a channel with room for cap buffered elements and one reference.
hchan* chan_make(const elem_ops* ops, size_t cap);
// chan_ref()/chan_unref() count references; the last unref destroys buffered elements and frees.
void chan_ref(hchan* c) noexcept;
void chan_unref(hchan* c) noexcept;
// chan_send() moves *elem into c. block: parks the G in "chan send" until done and returns true;
// otherwise returns false, leaving *elem untouched, when it would have to wait. A nil c blocks
// forever ("chan send (nil chan)") or returns false. Sending on a closed channel panics.
bool chan_send(hchan* c, void* elem, bool block);
// chan_recv() receives into the raw storage dst: kRecvValue (an element was constructed there),
// kRecvClosed (c is closed and drained; dst untouched), or kRecvWouldBlock (only when !block).
enum : int { kRecvWouldBlock = 0, kRecvValue = 1, kRecvClosed = 2 };
int chan_recv(hchan* c, void* dst, bool block);
// chan_close() closes c: parked receivers get kRecvClosed, parked senders panic. Closing a nil or
// closed channel panics.
void chan_close(hchan* c);
size_t chan_len(const hchan* c) noexcept;
size_t chan_cap(const hchan* c) noexcept;

// raw<T> is uninitialised storage for one T (a receive target).
template <class T>
struct raw {
  alignas(T) unsigned char bytes[sizeof(T)];
  T* get() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
  // take() moves the value out and destroys it in place.
  T take() noexcept(std::is_nothrow_move_constructible_v<T>) {
    T v(std::move(*get()));
    get()->~T();
    return v;
  }
};

template <class T>
hchan* chan_handle(const chan<T>& c) noexcept;

}  // namespace detail

// chan<T> is a channel of T (T must be nothrow move-constructible). A chan is a handle, so its
// operations are const, as a Go channel value is copied freely. Operations that may park must come
// from Gs; try_send/try_recv/close/len/cap also work from plain threads and timer callbacks.
template <class T>
class chan {
  static_assert(std::is_nothrow_move_constructible_v<T>, "goro::chan<T> needs a noexcept move constructor");

 public:
  using value_type = T;

  // chan() makes an unbuffered channel: a send waits for a receiver (make(chan T)).
  chan() : h_(detail::chan_make(&detail::elem_ops_of<T>::ops, 0)) {}
  // chan(cap) makes a channel buffering up to cap elements (make(chan T, cap)); 0 is unbuffered.
  explicit chan(size_t cap) : h_(detail::chan_make(&detail::elem_ops_of<T>::ops, cap)) {}
  // chan(nullptr) is Go's nil channel: send and recv block forever, select never picks it.
  chan(std::nullptr_t) noexcept : h_(nullptr) {}
  chan(const chan& o) noexcept : h_(o.h_) {
    if (h_) detail::chan_ref(h_);
  }
  chan(chan&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  chan& operator=(chan o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~chan() {
    if (h_) detail::chan_unref(h_);
  }

  // send() sends v, parking in "chan send" until a receiver or buffer slot takes it.
  // Panics ("send on closed channel") when the channel is or gets closed.
  void send(T v) const { detail::chan_send(h_, &v, true); }
  // try_send() sends v when that needs no waiting; on false v is left as it was.
  bool try_send(T&& v) const { return detail::chan_send(h_, &v, false); }
  bool try_send(const T& v) const {
    T copy(v);
    return detail::chan_send(h_, &copy, false);
  }
  // recv() receives a value, parking in "chan receive" until one comes; empty once the channel
  // is closed and its buffer drained (Go's v, ok := <-c with ok == false).
  std::optional<T> recv() const {
    detail::raw<T> slot;
    if (detail::chan_recv(h_, slot.bytes, true) == detail::kRecvValue) return std::optional<T>(slot.take());
    return std::nullopt;
  }
  // try_recv() receives when that needs no waiting: returns false when it would wait; true when
  // it completed, with out holding the value, or empty when the channel is closed and drained.
  bool try_recv(std::optional<T>& out) const {
    detail::raw<T> slot;
    int r = detail::chan_recv(h_, slot.bytes, false);
    if (r == detail::kRecvWouldBlock) return false;
    if (r == detail::kRecvValue) out.emplace(slot.take());
    else out.reset();
    return true;
  }
  // close() closes the channel: buffered values can still be received, then recv() reports closed.
  void close() const { detail::chan_close(h_); }
  // len() is the number of buffered elements now; cap() the buffer size (both 0 for nil).
  size_t len() const noexcept { return detail::chan_len(h_); }
  size_t cap() const noexcept { return detail::chan_cap(h_); }
  // nil() is true for a nil channel.
  bool nil() const noexcept { return h_ == nullptr; }
  friend bool operator==(const chan& a, const chan& b) noexcept { return a.h_ == b.h_; }

  // iterator makes `for (T v : c)` receive until the channel is closed (Go's for v := range c).
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const chan* c) : c_(c) { ++*this; }
    T& operator*() { return *v_; }
    iterator& operator++() {
      v_ = c_->recv();
      if (!v_) c_ = nullptr;
      return *this;
    }
    bool operator==(const iterator& o) const { return c_ == o.c_; }

   private:
    const chan* c_ = nullptr;
    std::optional<T> v_;
  };
  iterator begin() const { return iterator(this); }
  iterator end() const { return iterator(); }

 private:
  template <class U>
  friend detail::hchan* detail::chan_handle(const chan<U>& c) noexcept;
  detail::hchan* h_;
};

template <class T>
detail::hchan* detail::chan_handle(const chan<T>& c) noexcept {
  return c.h_;
}

}  // namespace goro
