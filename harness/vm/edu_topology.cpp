// EduTopology: the device-group rule and the check of the guest's placement.
#include "edu_topology.h"

#include <stdexcept>

namespace ioconform::vm {

DeviceNeeds device_needs(const nlohmann::json& scenario) {
  DeviceNeeds needs;
  if (!scenario.contains("setup") || !scenario.at("setup").contains("devices")) return needs;
  std::string labelled;  // names of the devices carrying the label, for messages
  for (const auto& d : scenario.at("setup").at("devices")) {
    const std::string name = d.value("name", std::string("?"));
    if (!d.contains("group")) {
      ++needs.solo;
      continue;
    }
    const auto& label = d.at("group");
    if (!label.is_string() || label.get<std::string>().empty())
      throw std::invalid_argument("device " + name + ": 'group' must be a non-empty string");
    if (needs.group_label.empty()) needs.group_label = label.get<std::string>();
    if (label.get<std::string>() != needs.group_label)
      throw std::invalid_argument("device " + name + " uses group '" + label.get<std::string>() + "' besides group '" +
                                  needs.group_label + "': the guest offers one shared IOMMU group (two edus behind "
                                  "one PCI bridge), so a scenario may use one group label");
    labelled += (labelled.empty() ? "" : ", ") + name;
    if (++needs.grouped > kGroupedPairSize)
      throw std::invalid_argument("group '" + needs.group_label + "' has " + std::to_string(needs.grouped) +
                                  " devices (" + labelled + "): the guest's shared IOMMU group holds " +
                                  std::to_string(kGroupedPairSize) + " edus (behind one PCI bridge)");
  }
  return needs;
}

void add_needs(EduTopology& topology, const DeviceNeeds& needs) {
  topology.solo_edus = std::max(topology.solo_edus, needs.solo);
  topology.grouped_pair = topology.grouped_pair || needs.grouped > 0;
}

std::map<std::string, std::string> edu_iommu_groups(const nlohmann::json& agent_start) {
  std::map<std::string, std::string> groups;
  if (!agent_start.is_object() || !agent_start.contains("edu_iommu_groups")) return groups;
  for (const auto& [bdf, group] : agent_start.at("edu_iommu_groups").items())
    if (group.is_string()) groups[bdf] = group.get<std::string>();
  return groups;
}

std::optional<std::string> grouped_pair_problem(const std::map<std::string, std::string>& edu_groups) {
  std::map<std::string, unsigned> edus_in;
  std::string placement;
  for (const auto& [bdf, group] : edu_groups) {
    if (group != "none") ++edus_in[group];
    placement += (placement.empty() ? "" : ", ") + bdf + " in group " + group;
  }
  unsigned shared = 0, pairs = 0;
  for (const auto& [group, n] : edus_in)
    if (n > 1) ++shared, pairs += n == kGroupedPairSize;
  if (shared == 1 && pairs == 1) return std::nullopt;
  if (edu_groups.empty()) return std::string("the agent reported no edu placement (no agent_start line?)");
  return (shared == 0 ? std::string("no two edus share an IOMMU group")
                      : std::string("the edus do not form exactly one shared group of ") +
                            std::to_string(kGroupedPairSize)) +
         " (" + placement + "); the two edus behind the conventional PCI bridge should both be in the bridge's "
         "group, as devices behind it share its requester id (drivers/pci/search.c:pci_for_each_dma_alias)";
}

}  // namespace ioconform::vm
