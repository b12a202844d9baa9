// collector.h: Collector, the runner thread of `taskscope top` (btop's Runner): every delay it
// takes one pass (the task Source, the machine counters, goro runtimes, the clone/exec/exit
// events), computes the rates, and publishes the result as one immutable Frame. The UI never waits
// for a pass: it polls fd() together with its keys and takes the newest Frame when there is one.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bpf/event_tracer.h"
#include "model/fields.h"
#include "model/source.h"
#include "view/frame.h"

namespace ts::view {

// CollectorConfig is what the collector reads and how often.
struct CollectorConfig {
  std::string source = "auto";              // "auto", "proc" or "bpf" (as --source)
  std::chrono::milliseconds delay{1000};    // between passes (-d)
  std::vector<int32_t> pids;                // only these processes; empty: all (-p)
  Fields fields = 0;                        // what the shown columns need (Field::Ids always)
  bool events = true;                       // trace clone/exec/exit when BPF is usable
  bool goro = true;                         // read the published state of goro processes
  bool rates = true;                        // compute rates and dying tasks (PassSetup::rates)
  bool argv_once = false;                   // command lines read once per process (Request::argv_once)
};

// Collector runs passes on a thread of its own from start() to destruction.
class Collector {
 public:
  // Collector() opens the source (BPF when `auto` and privileged; a fallback is said in the
  // frames' notes) and the event tracers (they load beside the first pass, which does not wait
  // for them: events are gathered from the first frame on). Throws ts::Error when the asked
  // source cannot open.
  explicit Collector(CollectorConfig cfg);
  // Collector() with a source and an event tracer of the caller's (tests give fakes; a null
  // tracer means no events); cfg.source and cfg.events are not used.
  Collector(CollectorConfig cfg, std::unique_ptr<Source> source, std::unique_ptr<bpf::EventTracer> tracer);
  // ~Collector() stops the thread and waits for it (at most one pass).
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // start() starts the thread; its first pass begins at once.
  void start();
  // fd() is readable while a frame the UI has not taken is waiting (an eventfd).
  int fd() const;
  // take() returns the newest frame not yet taken, or nullptr; frames the UI was too slow to take
  // are skipped (their events are carried into the next one, never lost).
  std::shared_ptr<const Frame> take();
  // set_fields() changes what later passes read (the shown columns changed).
  void set_fields(Fields f);
  // set_gmp_pids() names the Go programs whose G/M/P later passes read (CollectPass::set_gmp_pids()).
  void set_gmp_pids(std::vector<int32_t> pids);
  // set_delay() changes the time between passes, from the next one.
  void set_delay(std::chrono::milliseconds d);
  // set_paused() stops (or resumes) publishing frames; events keep being gathered.
  void set_paused(bool paused);
  // refresh() starts a pass now rather than at the next tick.
  void refresh();
  // source_name() is "proc" or "bpf": the source that opened.
  std::string source_name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ts::view
