// blob.cpp: varints, zigzag and strings, read with a bounds check on every byte.
#include "history/blob.h"

#include <cstring>
#include <limits>

#include "model/error.h"

namespace ts::history {

void BlobWriter::u(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void BlobWriter::f(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int k = 0; k < 8; ++k) out_.push_back(static_cast<char>((bits >> (8 * k)) & 0xff));
}

void BlobWriter::s(std::string_view v) {
  u(v.size());
  out_.append(v);
}

void BlobReader::fail(const std::string& why) const {
  throw Error(what_ + ": " + why + " at byte " + std::to_string(pos_));
}

uint64_t BlobReader::u() {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= data_.size()) fail("truncated");
    const auto b = static_cast<uint8_t>(data_[pos_++]);
    if (shift == 63 && b > 1) fail("varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail("varint longer than 10 bytes");
}

uint32_t BlobReader::u32() {
  const uint64_t v = u();
  if (v > std::numeric_limits<uint32_t>::max()) fail("value out of range");
  return static_cast<uint32_t>(v);
}

int64_t BlobReader::i() {
  const uint64_t z = u();
  return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
}

int32_t BlobReader::i32() {
  const int64_t v = i();
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) fail("value out of range");
  return static_cast<int32_t>(v);
}

double BlobReader::f() {
  if (data_.size() - pos_ < 8) fail("truncated");
  uint64_t bits = 0;
  for (int k = 0; k < 8; ++k) bits |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_++])) << (8 * k);
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

std::string BlobReader::s(size_t max) {
  const uint64_t n = u();
  if (n > max) fail("string of " + std::to_string(n) + " bytes is too long");
  if (n > data_.size() - pos_) fail("truncated string");
  std::string out(data_.substr(pos_, n));
  pos_ += n;
  return out;
}

size_t BlobReader::count(size_t min_bytes) {
  const uint64_t n = u();
  if (min_bytes == 0) min_bytes = 1;
  if (n > (data_.size() - pos_) / min_bytes) fail("count " + std::to_string(n) + " exceeds the bytes left");
  return static_cast<size_t>(n);
}

}  // namespace ts::history
