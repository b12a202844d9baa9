// task_iter_reader.cpp: loading the iter/task program and reading passes of it.
#include "bpf/task_iter_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bpf/bpf_common.h"
#include "bpf/iter_pin.h"
#include "model/error.h"
#include "sys/pid.h"
#include "task_iter.skel.h"

namespace ts::bpf {

namespace {

// attach_group() attaches program `prog_fd` as an iterator over one thread group; returns the link
// (negative, errno set, on failure: EINVAL on kernels before 6.1, which have no per-process task
// iterators).
UniqueFd attach_group(int prog_fd, int32_t tgid) {
  union bpf_iter_link_info info;
  std::memset(&info, 0, sizeof info);
  info.task.pid = static_cast<__u32>(tgid);
  DECLARE_LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &info, .iter_info_len = sizeof info);
  return UniqueFd(bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts));
}

}  // namespace

struct TaskIterReader::Skel {
  SkelPtr<task_iter_bpf, task_iter_bpf__destroy> p;  // null when the iterator came from a pin
  PinnedIter it;  // the program, the all-tasks iterator link (reused by every read) and the pin dir
};

namespace {

// program() is the variant with or without kernel argv and exact RSS.
bpf_program* program(task_iter_bpf* p, bool argv, bool exact) {
  if (argv) return exact ? p->progs.dump_task_argv : p->progs.dump_task_argv_approx;
  return exact ? p->progs.dump_task : p->progs.dump_task_approx;
}

// open_variant() opens the skeleton with only that variant enabled and loads it.
// Returns 0 or libbpf's negative errno.
int open_variant(SkelPtr<task_iter_bpf, task_iter_bpf__destroy>& p, bool argv, bool exact, uint32_t pidns) {
  DECLARE_LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = core_btf_path());
  p.reset(task_iter_bpf__open_opts(&opts));
  if (!p) return -errno;
  const int ncpus = libbpf_num_possible_cpus();
  p->rodata->nr_cpus = ncpus > 0 ? static_cast<__u32>(ncpus) : 0;
  p->rodata->pidns_ino = pidns;
  bpf_program* chosen = program(p.get(), argv, exact);
  bpf_program* prog;
  bpf_object__for_each_program(prog, p->obj) bpf_program__set_autoload(prog, prog == chosen);
  return task_iter_bpf__load(p.get());
}

// variant_of() tells a task_iter.bpf.c program's variant from its kernel name (15 bytes kept):
// dump_task_argv, dump_task_argv_(approx), dump_task, dump_task_appro(x).
void variant_of(const std::string& name, bool& argv, bool& exact) {
  argv = name.rfind("dump_task_argv", 0) == 0;
  exact = name == "dump_task_argv" || name == "dump_task";
}

}  // namespace

TaskIterReader::TaskIterReader() : skel_(std::make_unique<Skel>()) {
  setup_libbpf();
  const uint32_t pidns = reader_pidns();
  const char* env = std::getenv("TASKSCOPE_TASK_ITER");
  size_t object_size = 0;
  const void* object = task_iter_bpf__elf_bytes(&object_size);
  const PinPlace place =
      pin_place(kIterPin, {static_cast<const char*>(object), object_size}, pidns, env ? std::string_view(env) : "");
  bool stale = false;
  if (open_pinned(place, skel_->it, stale)) {
    variant_of(skel_->it.prog_name, kernel_argv_, exact_rss_);
    pin_ = PinUse::Reused;
    if (!kernel_argv_) argv_refused_ = "the pinned iterator (" + place.root + ") is the plain one, as loaded by an earlier run";
    if (!exact_rss_) rss_refused_ = "the pinned iterator (" + place.root + ") is the approximate one, as loaded by an earlier run";
  } else {
    pin_stale_ = stale;
    load();
    pin_why_ = pin_iter(place, skel_->it.prog.get(), skel_->it.link.get());
    pin_ = pin_why_.empty() ? PinUse::Pinned : PinUse::Loaded;
    if (pin_ == PinUse::Pinned) {
      // Read through the pin from now on, as later runs will (and locked as they are).
      PinnedIter mine;
      if (open_pinned(place, mine, stale)) skel_->it = std::move(mine);
    }
  }
  // Ask the kernel, not its version, whether it can iterate one process's tasks.
  per_process_ = attach_group(skel_->it.prog.get(), static_cast<int32_t>(getpid())).get() >= 0;
}

void TaskIterReader::load() {
  const uint32_t pidns = reader_pidns();
  const VariantsAllowed allowed = variants_allowed();
  // Ask the kernel by loading, best variant first: a sleepable program that reads argv itself
  // (iter.s/, bpf_copy_from_user_task), then the plain one; each with exact RSS first
  // (bpf_map_lookup_percpu_elem), then without.
  int err = -ENOENT;
  for (bool argv : {true, false}) {
    if (argv && !allowed.argv) {
      argv_refused_ = "TASKSCOPE_TASK_ITER asks for the plain program";
      continue;
    }
    for (bool exact : {true, false}) {
      if (exact && !allowed.exact) {
        rss_refused_ = "TASKSCOPE_TASK_ITER asks for the approximate program";
        continue;
      }
      err = open_variant(skel_->p, argv, exact, pidns);
      if (err == 0) {
        kernel_argv_ = argv;
        exact_rss_ = exact;
        break;
      }
      if (argv && argv_refused_.empty()) argv_refused_ = explain_load_failure("iter.s/task", err);
      if (exact && rss_refused_.empty()) rss_refused_ = explain_load_failure("iter/task with exact RSS", err);
    }
    if (err == 0) break;
  }
  if (err) throw Error(explain_load_failure("iter/task", err));
  if (kernel_argv_) argv_refused_.clear();
  if (exact_rss_) rss_refused_.clear();
  bpf_program* prog = program(skel_->p.get(), kernel_argv_, exact_rss_);
  skel_->it.prog.reset(dup(bpf_program__fd(prog)));
  skel_->it.link.reset(bpf_link_create(skel_->it.prog.get(), 0, BPF_TRACE_ITER, nullptr));
  if (skel_->it.link.get() < 0) throw Error(explain_load_failure("iter/task (attach)", errno));
}

TaskIterReader::~TaskIterReader() = default;

void TaskIterReader::grow(size_t bytes, size_t keep) {
  if (bytes <= cap_) return;
  const size_t words = (bytes + 7) / 8;
  std::unique_ptr<uint64_t[]> bigger(new uint64_t[words]);
  if (keep) std::memcpy(bigger.get(), buf_.get(), keep);
  buf_ = std::move(bigger);
  cap_ = words * 8;
}

void parse_records(const char* data, size_t bytes, std::vector<const task_rec*>& out) {
  out.clear();
  size_t off = 0;
  while (off < bytes) {
    if (bytes - off < sizeof(task_rec))
      throw Error("the BPF task iterator returned a partial record (bpf/task_iter.h out of date?)");
    const auto* r = reinterpret_cast<const task_rec*>(data + off);
    const size_t tail = (static_cast<size_t>(r->tail_len) + 7) & ~size_t{7};
    if (r->tail_len > TASK_ITER_ARGV_MAX || tail > bytes - off - sizeof(task_rec))
      throw Error("the BPF task iterator returned a malformed record (tail_len " + std::to_string(r->tail_len) + ")");
    out.push_back(r);
    off += sizeof(task_rec) + tail;
  }
}

void TaskIterReader::read_link(int link_fd) {
  UniqueFd it(bpf_iter_create(link_fd));
  if (it.get() < 0) throw Error(std::string("cannot start the BPF task iterator: ") + std::strerror(errno));
  // A pinned iterator is shared with other processes: one read at a time (iter_pin.h, lock()).
  struct Locked {
    const PinnedIter& p;
    explicit Locked(const PinnedIter& pi) : p(pi) { lock(p); }
    ~Locked() { unlock(p); }
  } locked(skel_->it);
  size_t have = 0;  // bytes
  for (;;) {
    // The kernel hands out at most its seq buffer (32 KiB) per read: keep that much room.
    constexpr size_t kRoom = 32u << 10;
    if (cap_ - have < kRoom) grow(std::max(cap_ * 2, sized_for_) + kRoom, have);
    const ssize_t n = read(it.get(), reinterpret_cast<char*>(buf_.get()) + have, cap_ - have);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("reading the BPF task iterator failed: ") + std::strerror(errno));
    }
    have += static_cast<size_t>(n);
  }
  parse_records(reinterpret_cast<const char*>(buf_.get()), have, recs_);
}

int TaskIterReader::prog_fd() const { return skel_->it.prog.get(); }

void TaskIterReader::size_for(size_t tasks) {
  // A record per task, and a leader's argv (about 100 bytes, padded) for every few threads.
  sized_for_ = tasks * (sizeof(task_rec) + 64) + (64u << 10);
  grow(sized_for_, 0);
}

std::string_view TaskIterReader::tail(const task_rec& r) const { return stream_tail(r); }

std::span<const task_rec* const> TaskIterReader::read_all(uint32_t) {
  if (!sized_for_) size_for(sys::task_total());
  read_link(skel_->it.link.get());
  return recs_;
}

std::span<const task_rec* const> TaskIterReader::read_group(int32_t tgid, uint32_t) {
  recs_.clear();
  if (per_process_) {
    UniqueFd link = attach_group(skel_->it.prog.get(), tgid);
    if (link.get() < 0) {
      if (errno == ESRCH || errno == ENOENT) return {};  // no such process: nothing to read
      throw Error(explain_load_failure("iter/task for pid " + std::to_string(tgid), errno));
    }
    read_link(link.get());
  } else {
    read_link(skel_->it.link.get());
  }
  // Keep only the group itself: a tid that is not a group leader names no group.
  std::erase_if(recs_, [tgid](const task_rec* r) { return r->tgid != tgid; });
  return recs_;
}

}  // namespace ts::bpf
