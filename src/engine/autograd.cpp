#include "engine/autograd.h"

#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace sinklab {
namespace {

thread_local bool grad_mode = true;

std::mutex perturb_mutex;
std::map<std::string, double> perturbations;
std::atomic<bool> any_perturbation{false};

double perturbation_for(const std::string& op) {
  if (!any_perturbation.load(std::memory_order_relaxed)) return 1.0;
  std::lock_guard lock(perturb_mutex);
  auto it = perturbations.find(op);
  return it == perturbations.end() ? 1.0 : it->second;
}

void scale_in_place(const Tensor& t, double factor) {
  dispatch_float(t.dtype(), "scale_backward", [&]<class T>() {
    Tensor c = t;
    T* p = c.data<T>();
    for (std::int64_t i = 0; i < c.numel(); ++i) p[i] = static_cast<T>(p[i] * factor);
  });
}

// Topological order (inputs before users) of the tensors that require grad, without recursion.
std::vector<std::shared_ptr<TensorImpl>> topological_order(const Tensor& root) {
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_set<TensorImpl*> seen{root.impl()};
  std::vector<std::pair<std::shared_ptr<TensorImpl>, std::size_t>> stack{{root.impl_ptr(), 0}};
  while (!stack.empty()) {
    auto& [impl, next] = stack.back();
    const Node* node = impl->grad_fn.get();
    if (node != nullptr && next < node->inputs.size()) {
      const auto& input = node->inputs[next++].impl_ptr();
      if (input->requires_grad && seen.insert(input.get()).second) stack.emplace_back(input, 0);
      continue;
    }
    order.push_back(impl);
    stack.pop_back();
  }
  return order;
}

Tensor contiguous_copy_if_needed(const Tensor& t) { return t.is_contiguous() ? t : t.clone(); }

// True when t is the only handle on its whole buffer, laid out plainly: it may be summed into or
// kept as a .grad. (A zero-stride view, as sum's backward returns, must not be summed into: its
// elements share memory. A view of part of a buffer would keep the whole buffer alive.)
bool sole_owner(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.storage().use_count() == 1 && t.is_contiguous() && t.offset() == 0 &&
         static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()) == t.storage()->bytes();
}

void accumulate(std::unordered_map<TensorImpl*, Tensor>& grads, TensorImpl* key, const Tensor& g) {
  auto [it, inserted] = grads.try_emplace(key, g);
  if (inserted) return;
  // A returned gradient may be shared (add's backward hands the same tensor to both inputs).
  if (sole_owner(it->second)) add_into(it->second, g);
  else it->second = sum_of(it->second, g);
}

}  // namespace

bool grad_enabled() { return grad_mode; }

NoGradGuard::NoGradGuard() : previous_(grad_mode) { grad_mode = false; }
NoGradGuard::~NoGradGuard() { grad_mode = previous_; }

Tensor record(Tensor out, std::string_view name, std::vector<Tensor> inputs, BackwardFn backward) {
  if (!grad_mode) return out;
  bool any = false;
  for (const auto& in : inputs) any = any || (in.defined() && in.requires_grad());
  if (!any) return out;
  auto node = std::make_shared<Node>();
  node->name = std::string(name);
  for (auto& in : inputs)
    if (!in.defined()) in = Tensor::zeros({});  // optional inputs: a constant stand-in
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
  return out;
}

void take_strided_grad(const Tensor& out) {
  if (out.grad_fn()) out.grad_fn()->strided_grad = true;
}

void backward(const Tensor& root, const Tensor& grad) {
  if (!root.requires_grad()) fail("backward: the tensor of shape {} does not require grad", to_string(root.shape()));
  Tensor seed = grad;
  if (!seed.defined()) {
    if (root.numel() != 1)
      fail("backward: a gradient must be given for a non-scalar root of shape {}", to_string(root.shape()));
    seed = Tensor::full(root.shape(), 1.0, root.dtype());
  } else if (seed.shape() != root.shape() || seed.dtype() != root.dtype()) {
    fail("backward: gradient {} {} does not match root {} {}", dtype_name(seed.dtype()), to_string(seed.shape()),
         dtype_name(root.dtype()), to_string(root.shape()));
  }

  NoGradGuard no_grad;
  const auto order = topological_order(root);
  std::unordered_map<TensorImpl*, Tensor> grads;
  grads.emplace(root.impl(), seed);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl* impl = it->get();
    auto found = grads.find(impl);
    if (found == grads.end()) continue;
    Node* node = impl->grad_fn.get();
    Tensor g = node != nullptr && node->strided_grad ? found->second : contiguous_copy_if_needed(found->second);
    grads.erase(found);
    if (node == nullptr) {
      if (impl->grad) add_into(Tensor(impl->grad), g);
      else impl->grad = sole_owner(g) ? g.impl_ptr() : g.clone().impl_ptr();  // .grad never aliases another tensor
      continue;
    }
    if (!node->backward) fail("backward: the graph through '{}' was already freed by an earlier backward()", node->name);
    std::vector<bool> needs(node->inputs.size());
    for (std::size_t i = 0; i < needs.size(); ++i) needs[i] = node->inputs[i].requires_grad();
    std::vector<Tensor> input_grads = node->backward(g, needs);
    if (input_grads.size() != node->inputs.size())
      fail("backward: '{}' returned {} gradients for {} inputs", node->name, input_grads.size(), node->inputs.size());
    const double factor = perturbation_for(node->name);
    for (std::size_t i = 0; i < needs.size(); ++i) {
      if (!needs[i]) continue;
      const Tensor& gi = input_grads[i];
      const Tensor& in = node->inputs[i];
      if (!gi.defined() || gi.shape() != in.shape() || gi.dtype() != in.dtype())
        fail("backward: '{}' returned a gradient of shape {} for input {} of shape {}", node->name,
             gi.defined() ? to_string(gi.shape()) : "(none)", i, to_string(in.shape()));
      if (factor != 1.0) {
        Tensor scaled = gi.clone();
        scale_in_place(scaled, factor);
        accumulate(grads, in.impl(), scaled);
      } else {
        accumulate(grads, in.impl(), gi);
      }
    }
    // Free the saved tensors now: peak memory falls as the walk proceeds.
    node->backward = nullptr;
    node->inputs.clear();
  }
}

namespace debug {
void scale_backward(const std::string& op, double factor) {
  std::lock_guard lock(perturb_mutex);
  if (factor == 1.0) perturbations.erase(op);
  else perturbations[op] = factor;
  any_perturbation = !perturbations.empty();
}
}  // namespace debug

}  // namespace sinklab
