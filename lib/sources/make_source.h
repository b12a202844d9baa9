// make_source.h: picking a Source by kind (/proc, BPF, or the best available).
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "bpf/task_reader.h"
#include "model/source.h"

namespace ts {

// SourceKind picks a source: Auto is BPF when it can load, else /proc.
enum class SourceKind { Auto, Proc, Bpf };

// SourceUse is how a source will be read (bpf::ReaderUse: once, or pass after pass).
using SourceUse = bpf::ReaderUse;

// parse_source_kind() maps "auto", "proc", "bpf" to a SourceKind; throws ts::Error(status 2) otherwise.
SourceKind parse_source_kind(const std::string& s);

// make_source() builds a source of that kind: /proc, or BPF completed from /proc
// (CompletedBpfSource). Every kind numbers tasks in this process's pid namespace; it throws
// ts::Error when /proc belongs to another one (its pids would not be ours). For Bpf it throws
// ts::Error with a one-line reason when BPF is not usable. For Auto it falls back to /proc and, when `note` is given,
// stores there a one-line note when the fallback deserves telling: this process is privileged
// and still could not load BPF. An unprivileged user gets /proc without a note: that is what
// auto means for them. The note is empty when BPF was used or the fallback is the expected one.
// `use` says whether the source serves one read (a command such as ps) or pass after pass (top,
// record, export): the BPF source picks its program by it (bpf::plan_walk()).
std::unique_ptr<Source> make_source(SourceKind kind, std::string* note = nullptr, SourceUse use = SourceUse::OneShot);

// open_source() is what a subcommand calls with its --source value: it parses it (ts::Error,
// status 2, when unknown), builds the source and writes make_source()'s note, if any, to `err`
// as one line "taskscope: <note>". The note goes to stderr also with --json: stdout stays data.
std::unique_ptr<Source> open_source(const std::string& flag, std::ostream& err);

// process_of() is the process (thread group id) task `tid` belongs to, numbered in this process's
// pid namespace as make_source()'s snapshots are; 0 when there is no such task (or it exited).
// What a caller asks before it watches a task it names (trace -p, -t).
int32_t process_of(int32_t tid);

}  // namespace ts
