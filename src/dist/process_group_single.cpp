// A build without MPI: every group is this process alone.
#include <cstdlib>

#include "dist/process_group.h"
#include "engine/error.h"

namespace sinklab::dist {

ProcessGroup::ProcessGroup() {
  if (launched_by_mpi())
    fail("started by an MPI launcher (mpirun, srun), but this sinklab was built without MPI: install libopenmpi-dev and "
         "build again (scripts/build.sh), or run it without the launcher");
}

ProcessGroup::~ProcessGroup() = default;
void ProcessGroup::sum(std::span<float>) const {}
void ProcessGroup::sum(std::span<double>) const {}
bool ProcessGroup::any(bool value) const { return value; }
bool ProcessGroup::same(std::uint64_t) const { return true; }
void ProcessGroup::barrier() const {}
void ProcessGroup::wait_for_all() const {}
void ProcessGroup::abort(int code) const { std::exit(code); }

}  // namespace sinklab::dist
