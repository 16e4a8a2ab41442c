#include <cstdlib>
#include <string_view>

#include "dist/process_group.h"

namespace sinklab::dist {

bool launched_by_mpi() {
  // Open MPI's mpirun, PMIx (srun --mpi=pmix, newer mpiruns), PMI-1/2 (MPICH, srun --mpi=pmi2).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (const char* v = std::getenv(name); v && *v) return true;
  return false;
}

bool launcher_variable(std::string_view entry) {
  for (std::string_view prefix : {"OMPI_", "PMIX_", "PMI_", "OPAL_", "ORTE_"})
    if (entry.starts_with(prefix)) return true;
  return false;
}

}  // namespace sinklab::dist
