// compress.h: a recorded sample's zstd frame. Decompression trusts nothing in the frame: the
// declared size must be known and within a bound, and the output must fill it exactly.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace ts::history {

// kMaxSampleBytes bounds a decompressed sample (a recording of 100k tasks fits many times over).
constexpr size_t kMaxSampleBytes = size_t{256} << 20;

// compress() is `raw` as one zstd frame at `level` (3: zstd's default), its size in the header.
std::string compress(std::string_view raw, int level = 3);

// decompress() undoes compress(); throws ts::Error "<what>: ..." for a frame that is not zstd,
// has no or too large a declared size, or does not decompress to exactly that size.
std::string decompress(std::string_view frame, const std::string& what);

}  // namespace ts::history
