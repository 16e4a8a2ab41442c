// The vector kernels built for x86-64-v4 (AVX-512); CMake adds -march=x86-64-v4.
#define SINKLAB_VECTOR_KERNELS(type) vector_kernels_avx512_##type
#include "kernels/vector_kernels_body.h"
