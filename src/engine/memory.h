#pragma once
// What the machine can give: the memory a new allocation can get without swapping.
#include <cstdint>
#include <optional>

namespace sinklab {

// MemAvailable of /proc/meminfo, in bytes (none where the kernel does not say).
std::optional<std::uint64_t> available_memory();

}  // namespace sinklab
