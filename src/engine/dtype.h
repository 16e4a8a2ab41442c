#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/error.h"

namespace sinklab {

enum class DType { f32, f64, i32 };

std::size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  else if constexpr (std::is_same_v<T, double>) return DType::f64;
  else {
    static_assert(std::is_same_v<T, std::int32_t>, "unsupported scalar type");
    return DType::i32;
  }
}

// Runs body.template operator()<T>() with T = float or double; ops are written once as templates
// so the same code serves fp32 training and the fp64 gradient checks.
template <class Body>
decltype(auto) dispatch_float(DType dtype, std::string_view op, Body&& body) {
  switch (dtype) {
    case DType::f32: return body.template operator()<float>();
    case DType::f64: return body.template operator()<double>();
    default: fail("{}: expects a floating-point tensor, got {}", op, dtype_name(dtype));
  }
}

}  // namespace sinklab
