#pragma once

namespace sinklab {

// Threads used by the engine's own loops and by oneDNN (both run on OpenMP).
void set_num_threads(int threads);
int num_threads();

}  // namespace sinklab
