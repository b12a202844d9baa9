// completed_source_test.cpp: the BPF source completed from /proc keeps finding the thread groups
// the iterator does not return (init on some kernels, zombies) without listing /proc at every
// snapshot: listing /proc walks every task in the kernel, a cost that grows with threads.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/support.h"
#include "bpf/bpf_common.h"
#include "model/error.h"
#include "procfs/proc_ids.h"
#include "sources/completed_source.h"
#include "sources/make_source.h"

using namespace ts;

namespace {

std::unique_ptr<Source> bpf_source(std::string& why) {
  const bpf::Support s = bpf::probe_support();
  if (!s.usable) {
    why = s.why;
    return nullptr;
  }
  try {
    return make_source(SourceKind::Bpf);
  } catch (const Error& e) {
    why = e.what();
    return nullptr;
  }
}

}  // namespace

TEST_CASE("CompletedBpfSource lists /proc only when the task count says something new is hidden", "[bpf][consistency]") {
  std::string why;
  auto src = bpf_source(why);
  TS_BPF_GATE(src != nullptr, why);
  auto* completed = dynamic_cast<CompletedBpfSource*>(src.get());
  REQUIRE(completed);
  Request req;
  req.fields = static_cast<Fields>(Field::Ids);
  constexpr int kSnapshots = 200;
  for (int i = 0; i < kSnapshots; ++i) {
    const Snapshot s = src->snapshot(req);
    INFO("snapshot " << i);
    REQUIRE(s.find(1));  // init, whether the kernel hides it from iterators or not
    REQUIRE(s.find(getpid()));
  }
  // The first snapshot lists; later ones only when a task came or went between the iterator's
  // pass and the count (microseconds apart), never all of them.
  CHECK(completed->listings() >= 1);
  CHECK(completed->listings() < kSnapshots / 2);

  // A zombie child (exited, not reaped) is a task the iterator may not return: the count
  // changes, so the next snapshot lists /proc and finds it either way.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  siginfo_t info{};
  REQUIRE(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);  // a zombie now
  const Snapshot s = src->snapshot(req);
  const std::vector<int32_t> in_proc = procfs::proc_tgids();
  CHECK(std::binary_search(in_proc.begin(), in_proc.end(), child));
  CHECK(s.find(child) != nullptr);
  waitpid(child, nullptr, 0);
}
