#include <gtest/gtest.h>

#include <cstdlib>

#include "dist/process_group.h"

namespace sinklab::testing {
namespace {

TEST(Launcher, ItsVariablesAreKeptFromTheRunsAProcessStarts) {
  for (const char* entry : {"OMPI_COMM_WORLD_RANK=1", "PMIX_RANK=0", "PMI_SIZE=2", "OPAL_PREFIX=/usr", "PRTE_MCA_x=1"})
    EXPECT_TRUE(dist::launcher_variable(entry)) << entry;
  for (const char* entry : {"PATH=/usr/bin", "SINKLAB_RUNS_DIR=runs", "OMP_NUM_THREADS=1", "XOMPI_=1"})
    EXPECT_FALSE(dist::launcher_variable(entry)) << entry;
}

// Under Open MPI, steps longer than half a second get advice on mpirun's kill delay, unless the
// delay was set; elsewhere, nothing is said.
TEST(Launcher, AdvisesOnTheKillDelayOnlyWhenAStepCouldOutlastIt) {
  unsetenv("OMPI_MCA_odls_base_sigkill_timeout");
  unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(dist::interrupt_advice(3.0), "");
  setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  EXPECT_EQ(dist::interrupt_advice(0.2), "");
  const std::string advice = dist::interrupt_advice(3.0);
  EXPECT_NE(advice.find("--mca odls_base_sigkill_timeout 16"), std::string::npos) << advice;
  setenv("OMPI_MCA_odls_base_sigkill_timeout", "60", 1);
  EXPECT_EQ(dist::interrupt_advice(3.0), "");
  unsetenv("OMPI_MCA_odls_base_sigkill_timeout");
  unsetenv("OMPI_COMM_WORLD_SIZE");
}

}  // namespace
}  // namespace sinklab::testing
