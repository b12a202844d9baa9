// iter_pin.h: keeping the verified snapshot programs between runs. A one-shot `taskscope ps` spent
// most of its time opening the skeleton, parsing the kernel's BTF and verifying the program; pinned
// in bpffs, later runs only open a file or two. Internal to lib/bpf (TaskIterReader and
// TaskWalkReader use it).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ts::bpf {

// UniqueFd owns a file descriptor and closes it when it goes (-1: none).
class UniqueFd {
 public:
  UniqueFd() = default;
  // UniqueFd(fd) takes ownership of `fd` (a negative value is none).
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  // get() is the descriptor (-1: none).
  int get() const { return fd_; }
  // release() gives up ownership and returns the descriptor.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // reset() closes the descriptor held and takes `fd`.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// PinKind is what a pin directory holds: the iter/task program (task_iter.bpf.c) and its all-tasks
// iterator link, or the open-coded walk's syscall program (task_walk.bpf.c) alone.
struct PinKind {
  const char* prefix;             // its directories' names begin so ("task_iter-")
  const char* const* names;       // the names its program variants have in the kernel (15 bytes kept)
  size_t n_names;
  uint32_t prog_type;             // BPF_PROG_TYPE_*
  bool link;                      // an iterator link is pinned beside the program
};
// kIterPin is task_iter.bpf.c's kind; kWalkPin is task_walk.bpf.c's.
extern const PinKind kIterPin, kWalkPin;

// PinnedIter is a snapshot program found in (or just put into) bpffs: its program, its all-tasks
// link (none for the walk), and its pin directory (locked around each read: see lock()).
struct PinnedIter {
  UniqueFd prog;
  UniqueFd link;
  UniqueFd dir;
  std::string prog_name;  // the program's name as the kernel keeps it (15 bytes at most)
};

// PinPlace says where the iterator of this object, kernel and reader would be pinned, or why not.
struct PinPlace {
  const PinKind* kind = &kIterPin;
  std::string root;  // the directory of taskscope's pins (empty: pinning is off, see why)
  std::string key;   // the name of this iterator's directory under root
  std::string why;   // why pinning is off (empty when it is on)
  uint32_t btf_id = 0;  // the kernel BTF object's id, which the pinned program must be built on
};

// pin_place() is where the program of kind `kind` built from the BPF object `object` (its ELF
// bytes), for the reader's pid namespace `pidns`, with the variant restrictions `variants` (the
// value of TASKSCOPE_TASK_ITER), is pinned: $TASKSCOPE_BPF_PIN_DIR or /sys/fs/bpf/taskscope, under
// a key made of the kind's prefix, a hash of the object, the kernel BTF object's id, pidns and variants. Pinning is off
// (why says so) when TASKSCOPE_BPF_PIN_DIR is "off", inside a pid namespace (pidns != 0: its pins
// would outlive it), when the root's parent is not a bpffs mount
// (taskscope never mounts one: a one-shot command would leave a mount behind for every process),
// or when the kernel's BTF id cannot be read (it takes CAP_SYS_ADMIN).
PinPlace pin_place(const PinKind& kind, std::string_view object, uint32_t pidns, std::string_view variants);

// open_pinned() opens the program pinned at `place`, and checks that it is one of ours: the
// directory is owned by this user and closed to others, holds a program whose tag is the one in
// its pin's name, of the type and with a name of the kind's programs (an iterator: attached to the
// running kernel's BTF), and for an iterator a task iterator link to that very program. Returns false when nothing is
// pinned there or what is there is not that (stale or foreign: then `stale` is set and the caller
// replaces it when it pins).
bool open_pinned(const PinPlace& place, PinnedIter& out, bool& stale);

// pin_iter() pins program `prog_fd` and (for an iterator kind) iterator link `link_fd` at `place`, atomically (built in a
// private "tmp-PID-KEY" directory, then renamed: bpffs refuses names with dots), replacing a stale directory of the same key and removing the
// pins of other builds of the same kind. A concurrent run that pinned first wins; ours is dropped.
// Returns "" when pinned, else why not (the caller keeps its own loaded copy either way).
std::string pin_iter(const PinPlace& place, int prog_fd, int link_fd);

// lock() takes the pin directory's exclusive lock (flock) for one read of a shared program: its
// per-CPU scratch buffer (and the walk's run state and map slots) is shared by every process that
// opened the pin, and a sleepable program
// preempted on a CPU must not find another reader's record there. Released by unlock().
void lock(const PinnedIter& p);
// unlock() releases lock().
void unlock(const PinnedIter& p);

}  // namespace ts::bpf
