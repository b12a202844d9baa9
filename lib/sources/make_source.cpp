// make_source.cpp: picking a Source by kind. Add a source here and nowhere else.
#include "sources/make_source.h"

#include "bpf/bpf_common.h"
#include "bpf/bpf_source.h"
#include "model/error.h"
#include "procfs/proc_ids.h"
#include "procfs/proc_source.h"
#include "procfs/proc_text.h"
#include "sources/completed_source.h"

namespace ts {

SourceKind parse_source_kind(const std::string& s) {
  if (s == "auto") return SourceKind::Auto;
  if (s == "proc") return SourceKind::Proc;
  if (s == "bpf") return SourceKind::Bpf;
  throw Error("--source: unknown source '" + s + "' (use auto, proc or bpf)", 2);
}

namespace {

// make_completed_bpf() is the BPF source completed from /proc; throws ts::Error when BPF fails.
std::unique_ptr<Source> make_completed_bpf(SourceUse use) {
  return std::make_unique<CompletedBpfSource>(bpf::make_bpf_source(use), make_proc_source());
}

}  // namespace

std::unique_ptr<Source> make_source(SourceKind kind, std::string* note, SourceUse use) {
  if (note) note->clear();
  procfs::check_proc_pidns();
  switch (kind) {
    case SourceKind::Proc:
      return make_proc_source();
    case SourceKind::Bpf:
      try {
        return make_completed_bpf(use);
      } catch (const Error& e) {
        throw Error(std::string("--source bpf: ") + e.what() + " (or use --source proc)");
      }
    case SourceKind::Auto: {
      // Unprivileged users are the common case for auto: do not even try to load.
      const bpf::Support s = bpf::probe_support();
      if (s.usable) {
        try {
          return make_completed_bpf(use);
        } catch (const Error& e) {
          if (note) *note = std::string("BPF source unavailable (") + e.what() + "); using /proc";
          return make_proc_source();
        }
      }
      if (note && s.privileged) *note = "BPF source unavailable (" + s.why + "); using /proc";
      return make_proc_source();
    }
  }
  return make_proc_source();
}

int32_t process_of(int32_t tid) {
  procfs::check_proc_pidns();
  return procfs::tgid_of(tid);
}

std::unique_ptr<Source> open_source(const std::string& flag, std::ostream& err) {
  std::string note;
  auto src = make_source(parse_source_kind(flag), &note);
  if (!note.empty()) err << "taskscope: " << note << '\n';
  return src;
}

}  // namespace ts
