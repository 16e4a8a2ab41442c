#include "ops/elementwise.h"

#include "engine/autograd.h"
#include "ops/map.h"
#include "ops/reduce.h"

namespace sinklab::ops {
namespace {

template <class F>
Tensor map2(const Tensor& a, const Tensor& b, std::string_view op, F f) {
  return dispatch_float(a.dtype(), op, [&]<class T>() { return detail::binary_map<T>(a, b, op, f); });
}

Tensor constant_like(const Tensor& a, double s) { return Tensor::scalar(s, a.dtype()); }

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = map2(a, b, "add", [](auto x, auto y) { return x + y; });
  return record(out, "add", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, const std::vector<bool>& needs) {
    return std::vector<Tensor>{needs[0] ? sum_to(g, sa) : Tensor(), needs[1] ? sum_to(g, sb) : Tensor()};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = map2(a, b, "sub", [](auto x, auto y) { return x - y; });
  return record(out, "sub", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g, const std::vector<bool>& needs) {
    return std::vector<Tensor>{needs[0] ? sum_to(g, sa) : Tensor(), needs[1] ? sum_to(neg(g), sb) : Tensor()};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = map2(a, b, "mul", [](auto x, auto y) { return x * y; });
  return record(out, "mul", {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const std::vector<bool>& needs) {
    return std::vector<Tensor>{needs[0] ? sum_to(mul(g, b), a.shape()) : Tensor(),
                               needs[1] ? sum_to(mul(g, a), b.shape()) : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = map2(a, b, "div", [](auto x, auto y) { return x / y; });
  return record(out, "div", {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const std::vector<bool>& needs) {
    Tensor ga, gb;
    if (needs[0]) ga = sum_to(div(g, b), a.shape());
    // d(a/b)/db = -a / b^2
    if (needs[1]) gb = sum_to(neg(div(mul(g, a), mul(b, b))), b.shape());
    return std::vector<Tensor>{ga, gb};
  });
}

Tensor add(const Tensor& a, double s) { return add(a, constant_like(a, s)); }
Tensor mul(const Tensor& a, double s) { return mul(a, constant_like(a, s)); }
Tensor neg(const Tensor& a) { return mul(a, -1.0); }

}  // namespace sinklab::ops
