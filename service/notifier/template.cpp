// Go text/template subset: lexer, parser, executor (see template.hpp). STUB: being implemented.
#include "service/notifier/template.hpp"

namespace warren::go_template {

namespace detail {
struct program_data {
  std::string file;
  std::vector<template_error> warnings;
};
}  // namespace detail

std::string template_error::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

program::program(std::shared_ptr<const detail::program_data> d) : data_(std::move(d)) {}
const std::string& program::file_name() const { return data_->file; }
const std::vector<template_error>& program::warnings() const { return data_->warnings; }
render_result program::render(const value&, const render_limits&) const {
  return {{}, template_error{data_->file, 1, 1, "template engine not implemented yet"}};
}
render_result program::render_named(std::string_view, const value&, const render_limits&) const {
  return {{}, template_error{data_->file, 1, 1, "template engine not implemented yet"}};
}

parse_result parse(std::string_view, std::string_view file_name, const parse_limits&) {
  return {std::nullopt, template_error{std::string(file_name), 1, 1, "template engine not implemented yet"}};
}

}  // namespace warren::go_template
