// make_source.h: picking a Source by kind (/proc, BPF, or the best available).
#pragma once
#include <memory>
#include <string>

#include "model/source.h"

namespace ts {

// SourceKind picks a source: Auto is BPF when it can load, else /proc.
enum class SourceKind { Auto, Proc, Bpf };

// parse_source_kind() maps "auto", "proc", "bpf" to a SourceKind; throws ts::Error(status 2) otherwise.
SourceKind parse_source_kind(const std::string& s);

// make_source() builds a source of that kind. For Bpf it throws ts::Error with a one-line
// reason when BPF is not usable; for Auto it falls back to /proc and, when `note` is given,
// stores there why BPF was not used (empty when BPF was used).
std::unique_ptr<Source> make_source(SourceKind kind, std::string* note = nullptr);

}  // namespace ts
