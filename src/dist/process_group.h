#pragma once
// The processes that train one model together, started by an MPI launcher (mpirun, srun), or
// this process alone. MPI is started only under a launcher, so every other use of sinklab runs
// without it, and a build without MPI (SINKLAB_MPI=OFF) still runs alone.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sinklab::dist {

// Whether an MPI launcher started this process (the environment variables it sets).
bool launched_by_mpi();

// Whether an environment entry (NAME=value) is one an MPI launcher sets for its processes. A
// process they start must not see them, or it would take itself for one of the launcher's.
bool launcher_variable(std::string_view entry);

// Advice for a run under Open MPI whose steps take `step_seconds`: mpirun kills the processes 1 s
// after passing on a Ctrl-C unless told otherwise, too soon to finish a longer step and
// checkpoint. Empty when there is nothing to say.
std::string interrupt_advice(double step_seconds);

class ProcessGroup {
 public:
  // Under a launcher, starts MPI for the whole process (once) and joins its processes; MPI ends
  // when the group is destroyed. Fails when launched by MPI but built without it.
  ProcessGroup();
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Processes of the group on this machine (they share its cores).
  int local_size() const { return local_size_; }
  bool leader() const { return rank_ == 0; }
  // This process's share of `threads` (what OpenMP sees: the CPUs it may run on): all of them when
  // the launcher bound it to some (they are its own), else an equal share with the group's other
  // processes on this machine.
  int share_of(int threads) const;

  // Elementwise sums over the processes, in place, the same on every process. Open MPI's own
  // collectives choose the reduction algorithm by message size and process count, never by
  // arrival order, so a run's sums do not depend on timing; a cluster's offloaded collectives
  // (HCOLL, UCC, SHARP) may not promise that.
  void sum(std::span<float> values) const;
  void sum(std::span<double> values) const;
  // True on every process when it is true on any.
  bool any(bool value) const;
  // Whether every process passed the same value (e.g. a digest of its weights).
  bool same(std::uint64_t value) const;
  // Waits until every process got here.
  void barrier() const;
  // The same, sleeping while it waits instead of spinning on a core: for long waits while the
  // cores do other work (the runs of an ablation).
  void wait_for_all() const;
  // Ends every process of the group with this exit code; a process alone just exits.
  [[noreturn]] void abort(int code) const;

 private:
  int rank_ = 0, size_ = 1, local_size_ = 1;
  bool started_ = false;  // this object started MPI
};

}  // namespace sinklab::dist
