#pragma once
// overloaded{lambdas...}: one visitor from several lambdas, for std::visit over message variants.
namespace warren {
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;
}  // namespace warren
