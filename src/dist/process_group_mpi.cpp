#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <climits>
#include <cstdlib>

#include "dist/process_group.h"

namespace sinklab::dist {
namespace {

template <class T>
void sum_in_place(std::span<T> values, MPI_Datatype type) {
  // MPI counts are int: long buffers go in pieces.
  for (std::size_t start = 0; start < values.size(); start += INT_MAX) {
    const int count = static_cast<int>(std::min<std::size_t>(values.size() - start, INT_MAX));
    MPI_Allreduce(MPI_IN_PLACE, values.data() + start, count, type, MPI_SUM, MPI_COMM_WORLD);
  }
}

}  // namespace

ProcessGroup::ProcessGroup() {
  if (!launched_by_mpi()) return;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // Only the main thread calls MPI; the engine's OpenMP threads never do.
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    started_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
}

ProcessGroup::~ProcessGroup() {
  if (started_) MPI_Finalize();
}

void ProcessGroup::sum(std::span<float> values) const {
  if (size_ > 1) sum_in_place(values, MPI_FLOAT);
}

void ProcessGroup::sum(std::span<double> values) const {
  if (size_ > 1) sum_in_place(values, MPI_DOUBLE);
}

bool ProcessGroup::any(bool value) const {
  int v = value ? 1 : 0;
  if (size_ > 1) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return v != 0;
}

bool ProcessGroup::same(std::uint64_t value) const {
  if (size_ == 1) return true;
  std::uint64_t low = value, high = value;
  MPI_Allreduce(MPI_IN_PLACE, &low, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &high, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  return low == high;
}

void ProcessGroup::barrier() const {
  if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
}

void ProcessGroup::wait_for_all() const {
  if (size_ == 1) return;
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  for (int done = 0; MPI_Test(&request, &done, MPI_STATUS_IGNORE), !done;)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

void ProcessGroup::abort(int code) const {
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace sinklab::dist
