// make_source.cpp: picking a Source by kind. Add a source here and nowhere else.
#include "sources/make_source.h"

#include "model/error.h"
#include "procfs/proc_source.h"

namespace ts {

SourceKind parse_source_kind(const std::string& s) {
  if (s == "auto") return SourceKind::Auto;
  if (s == "proc") return SourceKind::Proc;
  if (s == "bpf") return SourceKind::Bpf;
  throw Error("--source: unknown source '" + s + "' (use auto, proc or bpf)", 2);
}

std::unique_ptr<Source> make_source(SourceKind kind, std::string* note) {
  if (note) note->clear();
  switch (kind) {
    case SourceKind::Proc:
      return make_proc_source();
    case SourceKind::Bpf:
      throw Error("--source bpf: the BPF source is not built yet; use --source proc");
    case SourceKind::Auto:
      if (note) *note = "BPF source not built yet; using /proc";
      return make_proc_source();
  }
  return make_proc_source();
}

}  // namespace ts
