// interactive.cpp: the full-screen loop of `taskscope top`. It waits on three things at once
// (poll): the keyboard, the collector's frames, a stack dump finishing and the stop signals, so a
// key is answered at once and never waits for a scan or a dump. Each wake-up recomputes the screen from the newest frame and the
// state (lib/view) and draws it; the maps of the process in the detail view are read here, on
// demand, for that one process.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

#include "history/replay_feed.h"
#include "model/error.h"
#include "procfs/maps_reader.h"
#include "stack_capture.h"
#include "sys/clock.h"
#include "sys/heap_trim.h"
#include "terminal.h"
#include "top.h"
#include "view/compose.h"
#include "view/gmp_pane.h"
#include "view/symbol_cache.h"

namespace ts::tools::top {

namespace {

constexpr uint64_t kMapsMaxAgeNs = 5'000'000'000ull;  // the detail's segments are re-read this often

std::string target_text(const view::RowId& id) {
  return id.tid ? "thread " + std::to_string(id.tid) : "pid " + std::to_string(id.pid);
}

// send_signal() does the Signal effect; the message says what failed, if anything.
std::string send_signal(const view::Effect& e) {
  std::string failed;
  for (const view::RowId& id : e.targets) {
    const int r = id.tid ? static_cast<int>(syscall(SYS_tgkill, id.pid, id.tid, e.value)) : kill(id.pid, e.value);
    if (r != 0) failed += (failed.empty() ? "" : "; ") + target_text(id) + ": " + std::strerror(errno);
  }
  return failed.empty() ? "sent " + std::string(strsignal(e.value)) + " to " + std::to_string(e.targets.size()) +
                              (e.targets.size() == 1 ? " task" : " tasks")
                        : "kill: " + failed;
}

// renice() does the Renice effect: a process row renices each of its threads (Linux's nice is
// per thread).
std::string renice(const view::Effect& e, const view::Frame* f) {
  std::string failed;
  int done = 0;
  for (const view::RowId& id : e.targets) {
    std::vector<int32_t> tids;
    if (id.tid) tids.push_back(id.tid);
    else if (const Process* p = f ? f->snap.find(id.pid) : nullptr)
      for (const Task& t : p->tasks) tids.push_back(t.tid);
    else tids.push_back(id.pid);
    for (int32_t tid : tids) {
      errno = 0;
      const int now = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
      if (errno == 0 && setpriority(PRIO_PROCESS, static_cast<id_t>(tid), now + e.value) == 0) {
        ++done;
      } else {
        failed = target_text(id) + ": " + std::strerror(errno) + (errno == EACCES || errno == EPERM ? " (lowering nice needs root)" : "");
      }
    }
  }
  return failed.empty() ? "nice " + std::string(e.value > 0 ? "+" : "") + std::to_string(e.value) + " on " + std::to_string(done) +
                              (done == 1 ? " thread" : " threads")
                        : "nice: " + failed;
}

// start_stack() does the Stack effect: the pane shows "capturing" until the dump's thread is done.
void start_stack(StackCapture& capture, view::StackView& v, view::TopState& st, const view::Effect& e,
                 const view::Frame* f) {
  if (e.targets.empty()) return;
  const view::RowId target = e.targets.front();
  if (!capture.start(target)) {
    st.message = "s: the stacks of " + target_text(v.target) + " are still being taken";
    return;
  }
  v = view::StackView{};
  v.target = target;
  v.capturing = true;
  if (const Process* p = f ? f->snap.find(target.pid) : nullptr) {
    v.name = p->comm;
    for (const Task& t : p->tasks)
      if (t.tid == target.tid) v.name = t.comm;
  }
}

void load_maps(view::DetailMaps& m, int32_t pid) {
  m = view::DetailMaps{};
  m.pid = pid;
  m.read_ns = sys::monotonic_ns();
  try {
    m.maps = read_process_maps(pid);
  } catch (const Error& e) {
    m.error = e.what();
  }
}

// loop() is the viewer over `collector`: the live Collector, or a recording's ReplayFeed (whose
// keys move in time, and which sends no signal and reads no maps: its tasks are not live).
template <class Feed>
int loop(Feed& collector, const TopOptions& o, Terminal& term, Fields asked) {
  constexpr bool kLive = !std::is_same_v<Feed, history::ReplayFeed>;
  const std::string source = collector.source_name();

  view::TopState st = initial_state(o);
  std::shared_ptr<const view::Frame> frame, prev;
  sys::HeapTrim heap;  // gives back what a burst of tasks left in the heap
  view::TopHistory history;
  view::EventLog events;
  view::SymbolCache symbols;
  view::GoroLabels labels;
  view::DetailMaps maps;
  StackCapture capture;
  view::StackView stack_view;
  std::vector<int32_t> gmp_asked;  // the Go processes whose G/M/P the collector reads
  view::TableView table;
  view::Screen screen;
  int pane_lines = 0;
  uint64_t wall_offset = sys::realtime_ns() - sys::monotonic_ns();  // a replay's: its recording's
  const view::SymbolizeFn symbolize = [&](int32_t pid, uint64_t pc) { return symbols.name(pid, pc); };
  bool quick_refresh = true;  // the first frame has no rates: ask for the second one soon
  int stop_sig = 0;

  auto redraw = [&] {
    view::ScreenOptions opt = term.options();
    if (!frame) {
      view::Screen s;
      s.opt = opt;
      s.lines.resize(static_cast<size_t>(std::max(opt.height, 1)));
      s.lines[0].add("taskscope top: reading tasks...", view::Style::Title);
      term.draw(s);
      return;
    }
    if (kLive && st.pane == view::Pane::Detail && (maps.pid != st.detail_pid || sys::monotonic_ns() - maps.read_ns > kMapsMaxAgeNs))
      load_maps(maps, st.detail_pid);
    const GoroSnapshot* gprev = nullptr;
    if (prev)
      if (auto g = prev->goro.find(st.gmp_pid); g != prev->goro.end()) gprev = &g->second;
    view::TopInputs in{source, &history, &events, &labels, symbolize, &maps, gprev, wall_offset, &stack_view};
    screen = view::compose(*frame, st, in, opt, table, pane_lines);
    term.draw(screen);
  };
  redraw();

  while (!st.quit && !stop_sig) {
    pollfd fds[4] = {{STDIN_FILENO, POLLIN, 0}, {collector.fd(), POLLIN, 0}, {stop_signal_fd(), POLLIN, 0},
                     {capture.fd(), POLLIN, 0}};
    const int timeout = frame && quick_refresh ? 250 : -1;
    const int n = poll(fds, 4, timeout);
    if (n < 0 && errno != EINTR) throw Error(std::string("poll: ") + std::strerror(errno));
    bool dirty = false;
    if (n == 0 && quick_refresh) {
      quick_refresh = false;
      collector.refresh();
    }
    if (fds[2].revents & POLLIN) {
      unsigned char b = 0;
      if (read(stop_signal_fd(), &b, 1) == 1) stop_sig = b;
      break;
    }
    if ((fds[3].revents & POLLIN) && capture.take(stack_view)) dirty = true;
    if (fds[1].revents & POLLIN) {
      if (auto f = collector.take()) {
        prev = frame;
        frame = std::move(f);
        heap.after(frame->snap.task_count());
        history.push(*frame, st.pane == view::Pane::Table ? st.selected.pid : st.detail_pid ? st.detail_pid : st.selected.pid);
        events.add(*frame);
        symbols.retain(*frame);
        labels = view::goro_labels(*frame, symbolize, term.options().utf8);
        if constexpr (!kLive) {
          st.message = collector.position();
          wall_offset = collector.wall_offset();
        }
        dirty = true;
      }
    }
    view::Key key;
    while (term.read_key(key)) {
      if (term.resized()) {
        dirty = true;
        continue;
      }
      if constexpr (!kLive) {
        if (st.prompt == view::Prompt::None && key.kind == view::KeyKind::Char && key.ch == '@') {
          st.prompt = view::Prompt::Time;  // typed, then Enter: EffectKind::Jump
          st.input.clear();
          dirty = true;
          continue;
        }
        if (st.prompt == view::Prompt::None && collector.key(key)) {  // the frame it brings redraws
          events = view::EventLog{};  // the events pane and graphs restart from the sample jumped to
          history = view::TopHistory{};
          continue;
        }
      }
      view::KeyContext ctx{&table, &screen.geo, std::max(1, screen.geo.table_rows), pane_lines, {}};
      if (frame) ctx.goro_pids = view::gmp_pids(*frame);
      view::Effect e = view::apply_key(st, key, ctx);
      if (!kLive && (e.kind == view::EffectKind::Signal || e.kind == view::EffectKind::Renice ||
                     e.kind == view::EffectKind::Stack)) {
        e.kind = view::EffectKind::None;
        st.message = "replay: recorded tasks get no signals, nice changes or live stacks";
      }
      dirty = true;
      switch (e.kind) {
        case view::EffectKind::Signal: st.message = send_signal(e); collector.refresh(); break;
        case view::EffectKind::Renice: st.message = renice(e, frame.get()); collector.refresh(); break;
        case view::EffectKind::Pause: collector.set_paused(e.value != 0); if (!e.value) collector.refresh(); break;
        case view::EffectKind::Refresh: collector.refresh(); break;
        case view::EffectKind::Stack: start_stack(capture, stack_view, st, e, frame.get()); break;
        case view::EffectKind::Jump:
          if constexpr (!kLive) {
            try {
              collector.jump(st.input);  // the frame it brings redraws and says where
              events = view::EventLog{};
              history = view::TopHistory{};
            } catch (const Error& ex) {
              st.message = std::string("replay: ") + ex.what();
            }
          }
          break;
        case view::EffectKind::Quit: case view::EffectKind::None: break;
      }
      if (st.quit) break;
    }
    if (dirty && !st.quit) redraw();
    // The collector reads what the table shows now (a narrow screen leaves columns out); while
    // another pane is open it keeps reading what it did. A /proc source is asked for DELAY even
    // when a narrow screen hides it: its column is shown only while its snapshots carry it.
    if (!st.quit && st.pane == view::Pane::Table && !screen.geo.column_ids.empty()) {
      const std::vector<std::string_view> shown(screen.geo.column_ids.begin(), screen.geo.column_ids.end());
      Fields want = view::top_fields(shown, st);
      if (source == "proc") want = want | Field::Delay;
      if (want != asked) {
        asked = want;
        collector.set_fields(want);
        collector.refresh();  // a column shown again gets its data now, not a delay later
      }
    }
    // A Go program's G/M/P is read (from its memory) only while it is looked at: the G/M/P pane's
    // process, and in thread mode the Go processes with rows on screen (their Ms join their LWPs).
    if (kLive && !st.quit && frame) {  // a recording holds the G/M/P it recorded; nothing to read
      std::vector<int32_t> want = view::go_pids_shown(*frame, st, table, std::max(1, screen.geo.table_rows));
      if (want != gmp_asked) {
        gmp_asked = want;
        if constexpr (kLive) collector.set_gmp_pids(std::move(want));
        collector.refresh();
      }
    }
  }
  if (stop_sig) {
    // The terminal is restored by ~Terminal before the signal ends the process as it would have.
    return 128 + stop_sig;
  }
  return 0;
}

}  // namespace

int run_interactive(const TopOptions& o, Context&) {
  install_stop_signals();
  Terminal term;  // first: the screen says "reading tasks" while the sources and tracers load
  {
    view::Screen s;
    s.opt = term.options();
    s.lines.resize(static_cast<size_t>(std::max(s.opt.height, 1)));
    s.lines[0].add("taskscope top: starting (loading the task source and the event tracers)...", view::Style::Title);
    term.draw(s);
  }
  if (!o.replay.empty()) {
    history::ReplayFeed feed(o.replay, o.at);
    return loop(feed, o, term, 0);
  }
  const view::CollectorConfig cfg = collector_config(o);
  view::Collector collector(cfg);
  collector.start();
  return loop(collector, o, term, cfg.fields);
}

}  // namespace ts::tools::top
