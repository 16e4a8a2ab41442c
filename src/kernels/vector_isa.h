#pragma once
// Which instruction set the vectorised kernels use. The build targets baseline x86-64 (no
// -march=native), so the hot transcendental loops are compiled a further time for x86-64-v3
// (AVX2, FMA) and x86-64-v4 (AVX-512) and the best one the CPU supports is picked at start-up.
#include <string_view>

namespace sinklab::kernels {

enum class Isa { baseline, avx2, avx512 };

// The instruction set in use (the best supported, unless use_isa changed it).
Isa current_isa();

std::string_view isa_name(Isa isa);

// Whether this CPU can run the kernels built for isa.
bool isa_supported(Isa isa);

// Switches the kernels to isa; false (and no change) when the CPU cannot run it. For tests and
// for comparing instruction sets.
bool use_isa(Isa isa);

}  // namespace sinklab::kernels
