#pragma once
// From a validated [notifier.NAME] to what the coordinator runs: the module's parsed templates
// (template-open/-close files, url-open/-close strings) and its transport settings. The config
// loader calls check_module() so that a missing template file or a template syntax error is a
// configuration error (exit 2) naming the file and the position; the coordinator calls
// load_module() again at start. Template paths are relative to the working directory, as in
// Burrow. Pure apart from reading the template and CA files; any thread.
#include <optional>
#include <string>
#include <vector>

#include "service/config/config.hpp"
#include "service/notifier/http_transport.hpp"
#include "service/notifier/rules.hpp"
#include "service/notifier/template.hpp"

namespace warren::notifier {

/// A problem with one key of the module: `reason` names the file and position when a template
/// is at fault (`templates/open.tmpl:3:14: unexpected "}" in operand`).
struct module_problem {
  std::string key;  ///< template-open, template-close, url-open, url-close, extra-ca
  std::string reason;
};

struct module_templates {
  std::optional<go_template::program> open, close;          ///< template-open/-close
  std::optional<go_template::program> url_open, url_close;  ///< http: url-open/-close
  std::vector<go_template::template_error> warnings;         ///< e.g. `.Id` uses (deprecated)
};

/// Parses every template the module uses; problems are appended to `problems`.
module_templates load_module(const notifier_module& m, std::vector<module_problem>& problems);

/// load_module() plus the transport files (extra-ca); returns every problem found.
std::vector<module_problem> check_module(const notifier_module& m);

/// The decision settings of the module.
module_rules rules_of(const notifier_module& m);

/// The http/alertmanager transport settings of the module.
http_options http_options_of(const notifier_module& m);

}  // namespace warren::notifier
