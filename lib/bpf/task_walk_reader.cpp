// task_walk_reader.cpp: loading the open-coded task walk, its maps, and running it.
#include "bpf/task_walk_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "bpf/bpf_common.h"
#include "bpf/iter_pin.h"
#include "model/error.h"
#include "sys/pid.h"
#include "../bpf/task_walk.h"
#include "task_walk.skel.h"

static_assert(sizeof(walk_rec) == 320 && offsetof(walk_rec, r) + TASK_REC_COMMON <= 192,
              "a thread's record is the first three cache lines of its walk_rec slot");

namespace ts::bpf {

namespace {

// Mapped is one of this reader's maps and its read-only mapping.
struct Mapped {
  UniqueFd fd;
  void* addr = nullptr;
  size_t len = 0;
  uint32_t entries = 0;
  uint32_t id = 0;  // the map's id

  Mapped() = default;
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  ~Mapped() { unmap(); }
  void unmap() {
    if (addr) munmap(addr, len);
    addr = nullptr;
  }
};

// map_id() is map `fd`'s id (0 when it cannot be read).
uint32_t map_id(int fd) {
  bpf_map_info mi{};
  uint32_t len = sizeof mi;
  return bpf_obj_get_info_by_fd(fd, &mi, &len) == 0 ? mi.id : 0;
}

// map_into() maps map `fd` (`entries` values of `size` bytes) read-only and makes it `m`'s, with
// id `id` (0: read it). False, `m` untouched, when it cannot be mapped.
bool map_into(Mapped& m, UniqueFd fd, uint32_t size, uint32_t entries, uint32_t id) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t len = (static_cast<size_t>(size) * entries + page - 1) / page * page;
  void* addr = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (addr == MAP_FAILED) return false;
  m.unmap();
  m.fd = std::move(fd);
  m.addr = addr;
  m.len = len;
  m.entries = entries;
  m.id = id ? id : map_id(m.fd.get());
  return true;
}

// make_map() makes an mmapable array of `entries` values of `size` bytes, as the program's inner
// map templates are, and maps it read-only.
void make_map(Mapped& m, const char* name, uint32_t size, uint32_t entries) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
  UniqueFd fd(bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(uint32_t), size, entries, &opts));
  if (fd.get() < 0)
    throw Error(std::string("cannot make the BPF task walk's ") + name + " map (" + std::to_string(entries) +
                " entries): " + std::strerror(errno));
  if (!map_into(m, std::move(fd), size, entries, 0))
    throw Error(std::string("cannot map the BPF task walk's ") + name + " map: " + std::strerror(errno));
}

// The names of the maps a shared (one-shot) reader leaves in the program's slots for the next one.
constexpr const char* kSharedRecs = "ts_walk_sh_recs";
constexpr const char* kSharedTails = "ts_walk_sh_tail";

// slot_id() is the id of the map in the only slot of map-in-map `outer` (0: none).
uint32_t slot_id(int outer) {
  const uint32_t zero = 0;
  uint32_t in = 0;
  return bpf_map_lookup_elem(outer, &zero, &in) == 0 ? in : 0;
}

// hand_maps() puts map `m` into the only slot of map-in-map `outer`, unless it is there already
// (a lookup of a map-in-map slot gives the id of the map in it). Returns whether it updated it.
bool hand_maps(int outer, const Mapped& m) {
  if (m.id && slot_id(outer) == m.id) return false;
  const uint32_t zero = 0;
  const int fd = m.fd.get();
  if (bpf_map_update_elem(outer, &zero, &fd, BPF_ANY) != 0)
    throw Error(std::string("cannot hand the BPF task walk its maps: ") + std::strerror(errno));
  return true;
}

// map_slot() maps, read-only into `m`, the map in `outer`'s slot when it is a shared map named
// `name` of `size`-byte values with at least `need` entries (already mapped: nothing to do).
// Returns false when the slot holds anything else.
bool map_slot(Mapped& m, int outer, const char* name, uint32_t size, uint32_t need) {
  const uint32_t id = slot_id(outer);
  if (id == 0) return false;
  if (m.addr && m.id == id) return m.entries >= need;
  UniqueFd fd(bpf_map_get_fd_by_id(id));
  bpf_map_info mi{};
  uint32_t len = sizeof mi;
  if (fd.get() < 0 || bpf_obj_get_info_by_fd(fd.get(), &mi, &len) != 0) return false;
  if (mi.type != BPF_MAP_TYPE_ARRAY || std::strcmp(mi.name, name) != 0 || mi.value_size != size ||
      mi.max_entries < need || !(mi.map_flags & BPF_F_MMAPABLE))
    return false;
  return map_into(m, std::move(fd), size, mi.max_entries, id);
}

// Copy is a buffer that keeps its memory between reads, left uninitialised (no zeroing of what the
// next copy overwrites).
struct Copy {
  std::unique_ptr<std::byte[]> p;
  size_t cap = 0;
  const std::byte* take(const void* from, size_t n) {
    if (n > cap) {
      p.reset(new std::byte[n]);
      cap = n;
    }
    if (n) std::memcpy(p.get(), from, n);
    return p.get();
  }
};

// outer_map() is the program's map-in-map named `name` ("recs", "tails"), found among the
// program's maps (a pinned program is opened without its skeleton). -1 when it has none.
UniqueFd outer_map(int prog_fd, const char* name) {
  uint32_t ids[16] = {};
  bpf_prog_info pi{};
  pi.nr_map_ids = sizeof ids / sizeof ids[0];
  pi.map_ids = reinterpret_cast<uintptr_t>(ids);
  uint32_t len = sizeof pi;
  if (bpf_obj_get_info_by_fd(prog_fd, &pi, &len) != 0) return UniqueFd();
  for (uint32_t i = 0; i < pi.nr_map_ids && i < sizeof ids / sizeof ids[0]; ++i) {
    UniqueFd fd(bpf_map_get_fd_by_id(ids[i]));
    bpf_map_info mi{};
    uint32_t mlen = sizeof mi;
    if (fd.get() >= 0 && bpf_obj_get_info_by_fd(fd.get(), &mi, &mlen) == 0 &&
        mi.type == BPF_MAP_TYPE_ARRAY_OF_MAPS && std::strcmp(mi.name, name) == 0)
      return fd;
  }
  return UniqueFd();
}

// walk_place() is where the walk's program is pinned for this process (iter_pin.h).
PinPlace walk_place() {
  const char* env = std::getenv("TASKSCOPE_TASK_ITER");
  size_t object_size = 0;
  const void* object = task_walk_bpf__elf_bytes(&object_size);
  return pin_place(kWalkPin, {static_cast<const char*>(object), object_size}, reader_pidns(),
                   env ? std::string_view(env) : "");
}

}  // namespace

bool walk_pinnable(std::string& why) {
  const PinPlace place = walk_place();
  why = place.why;
  return !place.root.empty();
}

struct TaskWalkReader::State {
  SkelPtr<task_walk_bpf, task_walk_bpf__destroy> skel;  // null when the program came from a pin
  PinnedIter pin;  // the program (and its pin directory, locked around each run)
  UniqueFd recs_outer, tails_outer;
  Mapped recs, tails;
  bool shared = false;                    // WalkMaps::Shared
  uint32_t need_recs = 0, need_tails = 0;  // what a shared reader asks of the shared maps
  Copy rec_copy, tail_copy;               // a shared reader's records and tails, copied out
  const std::byte* rec_base = nullptr;    // the last read's records (mapping or copy)
  const std::byte* tail_base = nullptr;   // and tails
  uint32_t tail_entries = 0;              // chunks readable at tail_base
};

TaskWalkReader::TaskWalkReader(WalkMaps maps, bool pinned_only) : st_(std::make_unique<State>()) {
  setup_libbpf();
  st_->shared = maps == WalkMaps::Shared;
  const uint32_t pidns = reader_pidns();
  const VariantsAllowed v = variants_allowed();
  const PinPlace place = walk_place();
  bool stale = false;
  if (open_pinned(place, st_->pin, stale)) {
    exact_rss_ = st_->pin.prog_name == "walk_tasks";
    pin_ = PinUse::Reused;
    if (!exact_rss_) rss_refused_ = "the pinned walk (" + place.root + ") is the approximate one, as loaded by an earlier run";
  } else {
    if (pinned_only)
      throw Error(place.root.empty() ? "the task walk cannot be pinned here (" + place.why + ")"
                                     : "the task walk is not pinned yet (top, record and export pin it)");
    pin_stale_ = stale;
    load();
    pin_why_ = pin_iter(place, st_->pin.prog.get(), -1);
    pin_ = pin_why_.empty() ? PinUse::Pinned : PinUse::Loaded;
    if (pin_ == PinUse::Pinned) {
      // Run through the pin from now on, as later runs will (and locked as they are).
      PinnedIter mine;
      if (open_pinned(place, mine, stale)) st_->pin = std::move(mine);
    }
  }
  st_->recs_outer = outer_map(st_->pin.prog.get(), "recs");
  st_->tails_outer = outer_map(st_->pin.prog.get(), "tails");
  if (st_->recs_outer.get() < 0 || st_->tails_outer.get() < 0)
    throw Error("the BPF task walk program has no record maps (bpf/task_walk.bpf.c out of date?)");
  kernel_argv_ = v.argv;
  if (!v.argv) argv_refused_ = "TASKSCOPE_TASK_ITER asks for the plain program";
  // bpf_task_from_pid() takes the initial namespace's pids: elsewhere one group is a filtered walk.
  per_process_ = pidns == 0;
  size_for(sys::task_total());
}

void TaskWalkReader::take_shared(uint32_t recs, uint32_t chunks) {
  const bool have = map_slot(st_->recs, st_->recs_outer.get(), kSharedRecs, sizeof(walk_rec), recs) &&
                    map_slot(st_->tails, st_->tails_outer.get(), kSharedTails, sizeof(walk_chunk), chunks);
  if (have) return;
  // Room to grow: the next one-shot reads should find them large enough.
  make_map(st_->recs, kSharedRecs, sizeof(walk_rec), recs + recs / 4);
  make_map(st_->tails, kSharedTails, sizeof(walk_chunk), chunks + chunks / 4);
}

TaskWalkReader::~TaskWalkReader() = default;

void TaskWalkReader::load() {
  const VariantsAllowed v = variants_allowed();
  int err = -ENOENT;
  for (bool exact : {true, false}) {
    if (exact && !v.exact) {
      rss_refused_ = "TASKSCOPE_TASK_ITER asks for the approximate program";
      continue;
    }
    DECLARE_LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = core_btf_path());
    st_->skel.reset(task_walk_bpf__open_opts(&opts));
    if (!st_->skel) throw Error(explain_load_failure("the task walk (syscall)", -errno));
    const int ncpus = libbpf_num_possible_cpus();
    st_->skel->rodata->nr_cpus = ncpus > 0 ? static_cast<__u32>(ncpus) : 0;
    st_->skel->rodata->pidns_ino = reader_pidns();
    bpf_program* chosen = exact ? st_->skel->progs.walk_tasks : st_->skel->progs.walk_tasks_approx;
    bpf_program* prog;
    bpf_object__for_each_program(prog, st_->skel->obj) bpf_program__set_autoload(prog, prog == chosen);
    err = task_walk_bpf__load(st_->skel.get());
    if (err == 0) {
      exact_rss_ = exact;
      if (exact) rss_refused_.clear();
      st_->pin.prog.reset(dup(bpf_program__fd(chosen)));
      return;
    }
    if (exact && rss_refused_.empty()) rss_refused_ = explain_load_failure("the task walk with exact RSS", err);
  }
  throw Error(explain_load_failure("the task walk (syscall, bpf_iter_task: Linux 6.7+)", err));
}

void TaskWalkReader::make_maps(uint32_t recs, uint32_t chunks) {
  make_map(st_->recs, "ts_walk_recs", sizeof(walk_rec), recs);
  make_map(st_->tails, "ts_walk_tails", sizeof(walk_chunk), chunks);
}

void TaskWalkReader::size_for(size_t tasks) {
  // Headroom for the tasks born before the next read; a tail chunk for every other task (kernel
  // threads' names and leaders' argv; a machine of many threads needs far fewer).
  const size_t recs = tasks + tasks / 4 + 256;
  const auto r = static_cast<uint32_t>(recs), c = static_cast<uint32_t>(recs / 2 + 256);
  if (st_->shared) {  // what the shared maps must hold; taken at the next run, under the lock
    st_->need_recs = r;
    st_->need_tails = c;
    return;
  }
  make_maps(r, c);
}

uint32_t TaskWalkReader::rec_capacity() const { return st_->recs.entries; }
uint32_t TaskWalkReader::tail_capacity() const { return st_->tails.entries; }
int TaskWalkReader::prog_fd() const { return st_->pin.prog.get(); }

void TaskWalkReader::walk(int32_t tgid, uint32_t want) {
  recs_.clear();
  runs_ = 0;
  if (!kernel_argv_) want &= ~kWantArgv;
  for (;;) {
    walk_args a{};
    a.want = (want & kWantMm ? WALK_WANT_MM : 0) | (want & kWantArgv ? WALK_WANT_ARGV : 0);
    a.rec_cap = st_->recs.entries;
    a.tail_cap = st_->tails.entries;
    a.tgid = tgid;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &a, .ctx_size_in = sizeof a);
    int err = 0;
    {
      // A pinned program is shared with other processes: one run at a time (its run state and
      // its map slots are the program's). Our maps go into its slots only when they are not
      // there already: each update of a map-in-map waits for an RCU grace period, which cost
      // more than the walk itself. They stay there after the run (until another reader's run,
      // or until the program goes): a reader that reads again, as top does, updates nothing.
      // A shared reader takes the shared maps in the slots (take_shared), and copies out what
      // the run wrote before the next shared reader may overwrite it.
      struct Locked {
        const PinnedIter& p;
        explicit Locked(const PinnedIter& pi) : p(pi) { lock(p); }
        ~Locked() { unlock(p); }
      } locked(st_->pin);
      if (st_->shared) {
        take_shared(st_->need_recs, st_->need_tails);
        a.rec_cap = st_->recs.entries;
        a.tail_cap = st_->tails.entries;
      }
      slot_updates_ += hand_maps(st_->recs_outer.get(), st_->recs);
      slot_updates_ += hand_maps(st_->tails_outer.get(), st_->tails);
      err = bpf_prog_test_run_opts(st_->pin.prog.get(), &opts);
      const bool fits = err == 0 && opts.retval == 0 && !(a.status & (WALK_RECS_FULL | WALK_TAILS_FULL)) &&
                        a.count <= st_->recs.entries && a.tails_used <= st_->tails.entries;
      st_->rec_base = static_cast<const std::byte*>(st_->recs.addr);
      st_->tail_base = static_cast<const std::byte*>(st_->tails.addr);
      st_->tail_entries = st_->tails.entries;
      if (st_->shared && fits && !(a.status & WALK_NO_TASK)) {
        st_->rec_base = st_->rec_copy.take(st_->recs.addr, size_t{a.count} * sizeof(walk_rec));
        st_->tail_base = st_->tail_copy.take(st_->tails.addr, size_t{a.tails_used} * sizeof(walk_chunk));
        st_->tail_entries = a.tails_used;
      }
    }
    ++runs_;
    if (err != 0 || opts.retval != 0)
      throw Error(std::string("the BPF task walk failed: ") +
                  (err ? std::strerror(-err) : "the program found no maps (retval " + std::to_string(static_cast<int>(opts.retval)) + ")"));
    if (a.status & WALK_NO_TASK) return;
    const bool recs_full = a.status & WALK_RECS_FULL, tails_full = a.status & WALK_TAILS_FULL;
    if (!recs_full && !tails_full) {
      if (a.count > st_->recs.entries || a.tails_used > st_->tails.entries)
        throw Error("the BPF task walk wrote past its maps (bpf/task_walk.h out of date?)");
      argv_read_ = a.argv_read;
      const auto* w = reinterpret_cast<const walk_rec*>(st_->rec_base);
      recs_.reserve(a.count);
      for (uint32_t i = 0; i < a.count; ++i) recs_.push_back(&w[i].r);
      return;
    }
    if (runs_ >= 4)
      throw Error("the BPF task walk kept outgrowing its maps (" + std::to_string(a.count) + " tasks, " +
                  std::to_string(a.tails_used) + " tail chunks)");
    // Grow what overflowed, with headroom for what is born before the next run. A run that
    // overflowed its records skipped argv, so its tail count is no measure: keep the tails.
    const uint32_t recs = recs_full ? a.count + a.count / 4 + 256 : st_->recs.entries;
    const uint32_t tails = tails_full ? a.tails_used + a.tails_used / 4 + 64 : st_->tails.entries;
    if (st_->shared) {
      st_->need_recs = recs;
      st_->need_tails = tails;
    } else {
      make_maps(recs, tails);
    }
  }
}

std::span<const task_rec* const> TaskWalkReader::read_all(uint32_t want) {
  walk(0, want);
  return recs_;
}

std::span<const task_rec* const> TaskWalkReader::read_group(int32_t tgid, uint32_t want) {
  if (tgid <= 0) {
    recs_.clear();
    return recs_;
  }
  walk(per_process_ ? tgid : 0, want);
  // Keep only the group itself: a tid that is not a group leader names no group.
  std::erase_if(recs_, [tgid](const task_rec* r) { return r->tgid != tgid; });
  return recs_;
}

std::string_view TaskWalkReader::tail(const task_rec& r) const {
  if (!(r.have & (TASK_REC_HAVE_ARGV | TASK_REC_HAVE_KNAME)) || r.tail_len == 0) return {};
  // Records are members of walk_rec slots in the mapped record map.
  const auto& w = *reinterpret_cast<const walk_rec*>(reinterpret_cast<const char*>(&r) - offsetof(walk_rec, r));
  const uint64_t chunks = (uint64_t{r.tail_len} + WALK_CHUNK - 1) / WALK_CHUNK;
  if (r.tail_len > TASK_ITER_ARGV_MAX || uint64_t{w.tail_at} + chunks > st_->tail_entries) return {};
  return {reinterpret_cast<const char*>(st_->tail_base) + size_t{w.tail_at} * WALK_CHUNK, r.tail_len};
}

}  // namespace ts::bpf
