// blob.h: BlobWriter and BlobReader, the byte encoding of a recorded sample before zstd: LEB128
// varints, zigzag for signed values, length-prefixed strings. The reader treats every byte as
// untrusted: each read is bounds-checked and a bad one throws ts::Error naming its byte offset.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ts::history {

// BlobWriter appends values to a byte string.
class BlobWriter {
 public:
  // u() appends an unsigned LEB128 varint.
  void u(uint64_t v);
  // i() appends a signed value, zigzag-encoded.
  void i(int64_t v) { u((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  // f() appends a double, its 8 bytes little-endian.
  void f(double v);
  // s() appends a string: its length, then its bytes.
  void s(std::string_view v);
  // bytes() is what was written so far.
  const std::string& bytes() const { return out_; }
  // take() hands over what was written.
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// BlobReader reads what a BlobWriter wrote from `data` (borrowed, must outlive the reader).
// `what` names the blob in errors ("sample 12").
class BlobReader {
 public:
  // BlobReader() reads `data`; errors say "<what>: ... at byte N".
  BlobReader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}
  // u() reads an unsigned varint; throws ts::Error when it runs past the end or is over 10 bytes.
  uint64_t u();
  // u32() reads a varint that must fit 32 bits.
  uint32_t u32();
  // i() reads a zigzag varint.
  int64_t i();
  // i32() reads a zigzag varint that must fit in int32_t.
  int32_t i32();
  // f() reads a double.
  double f();
  // s() reads a string of at most `max` bytes.
  std::string s(size_t max = 1 << 20);
  // count() reads an element count, refusing one that could not fit in the bytes left when each
  // element takes at least `min_bytes`: a corrupted count never makes a huge allocation.
  size_t count(size_t min_bytes = 1);
  // at_end() tells whether every byte was read.
  bool at_end() const { return pos_ == data_.size(); }
  // pos() is the offset of the next byte.
  size_t pos() const { return pos_; }
  // fail() throws ts::Error "<what>: <why> at byte <pos>".
  [[noreturn]] void fail(const std::string& why) const;

 private:
  std::string_view data_;
  std::string what_;
  size_t pos_ = 0;
};

}  // namespace ts::history
