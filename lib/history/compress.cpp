// compress.cpp: zstd one-shot frames.
#include "history/compress.h"

#include <zstd.h>

#include "model/error.h"

namespace ts::history {

std::string compress(std::string_view raw, int level) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string decompress(std::string_view frame, const std::string& what) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) throw Error(what + ": not a zstd frame at byte 0");
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) throw Error(what + ": zstd frame without its size at byte 0");
  if (size > kMaxSampleBytes) throw Error(what + ": declares " + std::to_string(size) + " bytes, more than a sample can hold");
  std::string out(static_cast<size_t>(size), '\0');
  const size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) throw Error(what + ": corrupted zstd frame (" + ZSTD_getErrorName(n) + ")");
  if (n != size) throw Error(what + ": zstd frame holds " + std::to_string(n) + " bytes, not the " + std::to_string(size) + " it declares");
  return out;
}

}  // namespace ts::history
