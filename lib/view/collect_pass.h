// collect_pass.h: CollectPass, one pass of `top`'s collector done synchronously: the snapshot, the
// machine counters, the events since the last pass, the rates, the dying tasks, the goro runtimes
// and the notes, made into one Frame. The Collector runs it on its thread; tests drive it directly.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bpf/event_tracer.h"
#include "model/fields.h"
#include "model/source.h"
#include "procfs/machine_reader.h"
#include "view/collect_events.h"
#include "view/collect_runtime.h"
#include "view/frame.h"

namespace ts::view {

// PassSetup is what does not change from pass to pass.
struct PassSetup {
  std::vector<int32_t> pids;       // only these processes; empty: all
  bool goro = true;                // read goro runtimes
  std::vector<std::string> notes;  // said in every frame (a source fallback, what privileges hide)
  bool events_coming = false;      // a tracer is being loaded (set_events() will bring it): frames
                                   // say events_starting until then
  bool rates = true;               // compute rates and dying tasks (false: a frame has only what was
                                   // read, as `record` wants: it stores counters, replay computes them)
  bool argv_once = false;          // Request::argv_once: command lines read once per process
};

// CollectPass owns the source, the machine reader and the event tracer, and remembers the last
// frame to compute rates from. Not thread-safe: one thread runs it.
class CollectPass {
 public:
  // CollectPass() reads tasks from `source` and events from `tracer` (null: no events).
  CollectPass(std::unique_ptr<Source> source, std::unique_ptr<bpf::EventTracer> tracer, PassSetup setup);
  ~CollectPass();
  CollectPass(const CollectPass&) = delete;
  CollectPass& operator=(const CollectPass&) = delete;

  // run() takes one pass reading `fields` (Field::Ids is added) and returns its frame: seq one more
  // than the last, rates since the last good pass (none, interval_s 0, for the first). A source
  // that fails as a whole gives a frame with no tasks and a note saying why; the next pass
  // computes its rates from the last good one. Never throws for a task that vanished.
  std::shared_ptr<Frame> run(Fields fields);
  // set_events() starts reading events from `tracer` (null: none) from the next pass on, with
  // `note` said in every later frame (why there are none, when empty-handed).
  void set_events(std::unique_ptr<bpf::EventTracer> tracer, std::string note);
  // gather() reads the events waiting in the tracer (within a bound) so that a burst does not
  // fill its ring between passes; they go into the next frame.
  void gather();
  // set_gmp_pids() names the Go programs whose G/M/P later passes read from their memory (costly:
  // only those the UI shows). goro processes are read every pass whatever this says.
  void set_gmp_pids(std::vector<int32_t> pids) { gmp_pids_ = std::move(pids); }
  // runtimes() is the cache behind Frame::runtimes (tests look at what it read).
  const RuntimeCache& runtimes() const { return runtimes_; }
  // events_fd() is the tracer's descriptor, readable when a burst woke it; -1 without events.
  int events_fd() const { return events_.fd(); }
  // source_name() is the source's name ("proc" or "bpf").
  std::string source_name() const { return source_->name(); }

 private:
  // add_notes() fills f.notes, what this frame cannot show (for the header): the setup's, the
  // snapshot's, `more` (this pass's), and the run-queue delay a /proc source without schedstat
  // cannot give.
  void add_notes(Frame& f, Fields asked, std::vector<std::string>&& more) const;

  std::unique_ptr<Source> source_;
  std::unique_ptr<procfs::MachineReader> machine_;  // null when /proc/stat could not be opened
  std::string machine_error_;
  PassSetup setup_;
  EventGather events_;
  uint64_t seq_ = 0;
  RuntimeCache runtimes_;
  std::vector<int32_t> gmp_pids_;
  std::shared_ptr<const Frame> last_;  // the last pass whose snapshot succeeded
};

}  // namespace ts::view
