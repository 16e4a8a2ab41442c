// The vector kernels built for baseline x86-64 (SSE2), the fallback.
#define SINKLAB_VECTOR_KERNELS(type) vector_kernels_baseline_##type
#include "kernels/vector_kernels_body.h"
