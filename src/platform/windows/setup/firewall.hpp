// cordon (Windows setup): Windows Firewall rules through INetFwPolicy2/INetFwRule3.
//
//   ComScope com;
//   auto fw = Firewall::open();                 // INetFwPolicy2 + its rule collection
//   fw->apply(spec);                            // create or update, then read back
//   fw->remove("cordon-offline-block-outbound");  // every rule of that name
//
// apply() writes every field on each run (idempotent) and reads the rule back; any
// field that differs (plan/windows/firewall_spec.hpp compare_rules) is an error
// (firewall_rule_verify), never a silent success.
#pragma once

#include <windows.h>
// SDK headers that need <windows.h> above.
#include <netfw.h>

#include <optional>
#include <string>

#include "plan/windows/firewall_spec.hpp"
#include "plan/windows/setup_error.hpp"
#include "platform/windows/setup/com.hpp"
#include "platform/windows/setup/outcome.hpp"

namespace cordon::winsys {

class Firewall {
 public:
  [[nodiscard]] static SetupResult<Firewall> open();
  [[nodiscard]] SetupStatus apply(const win::FirewallRuleSpec& spec);
  // Removes every rule named `name`; `removed` counts them (0: none was there).
  [[nodiscard]] SetupStatus remove(const std::string& name, int* removed = nullptr);
  // The rule as Windows holds it, or nullopt when there is none.
  [[nodiscard]] SetupResult<std::optional<win::FirewallRuleSpec>> read(const std::string& name);
  // Whether rules like cordon's take effect now: the firewall is on for every active
  // profile and local rules are honoured (Group Policy can turn them off). Empty when
  // they are; otherwise the reason.
  [[nodiscard]] std::string why_rules_are_not_effective();

 private:
  ComPtr<INetFwPolicy2> policy_;
  ComPtr<INetFwRules> rules_;
};

}  // namespace cordon::winsys
