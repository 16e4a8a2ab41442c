#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "dist/process_group.h"

namespace sinklab::dist {

bool launched_by_mpi() {
  // Open MPI's mpirun, PMIx (srun --mpi=pmix, newer mpiruns), PMI-1/2 (MPICH, srun --mpi=pmi2).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (const char* v = std::getenv(name); v && *v) return true;
  return false;
}

bool launcher_variable(std::string_view entry) {
  for (std::string_view prefix : {"OMPI_", "PMIX_", "PMI_", "OPAL_", "ORTE_", "PRTE_"})
    if (entry.starts_with(prefix)) return true;
  return false;
}

std::string interrupt_advice(double step_seconds) {
  if (step_seconds < 0.5 || !std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("OMPI_MCA_odls_base_sigkill_timeout")) return "";
  return fmt::format("a step takes {:.1f} s: mpirun kills the processes 1 s after passing on a Ctrl-C, before they can "
                     "checkpoint; to stop cleanly, start it with --mca odls_base_sigkill_timeout {}",
                     step_seconds, std::max(10, static_cast<int>(step_seconds * 5) + 1));
}

int ProcessGroup::share_of(int threads) const {
  cpu_set_t mask;
  const bool bound = sched_getaffinity(0, sizeof(mask), &mask) == 0 && CPU_COUNT(&mask) < sysconf(_SC_NPROCESSORS_ONLN);
  return bound ? threads : std::max(1, threads / local_size_);
}

}  // namespace sinklab::dist
