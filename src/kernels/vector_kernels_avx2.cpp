// The vector kernels built for x86-64-v3 (AVX2, FMA); CMake adds -march=x86-64-v3.
#define SINKLAB_VECTOR_KERNELS(type) vector_kernels_avx2_##type
#include "kernels/vector_kernels_body.h"
