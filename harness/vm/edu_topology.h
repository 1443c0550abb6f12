// EduTopology: which edu devices the guest gets, and what a scenario may ask of them.
//
// A scenario's setup.devices[] entry may carry a "group" label
// (docs/scenario-format.md): devices with the same label share one IOMMU group,
// a device without one is alone in its group. The guest offers two kinds of edu:
//   - solo edus, each on its own root-bus slot: an integrated endpoint without
//     multifunction siblings gets an IOMMU group of its own;
//   - at most one grouped pair: two edus behind one conventional PCI bridge.
//     Their DMA carries the bridge's requester id (QEMU hw/pci/pci.c:
//     pci_device_iommu_address_space uses the alias), and the kernel puts the
//     bridge and both edus in the bridge's group (iommu.c:pci_device_group:1640,
//     through pci_for_each_dma_alias, drivers/pci/search.c:104-109).
// So a scenario may use one label, on at most two devices; the rule lives here
// so the host (which builds the QEMU command line) and the in-guest agent (which
// maps scenario devices onto edus) enforce the same one. Pure JSON logic: the
// static agent compiles this file too.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ioconform::vm {

// Devices one IOMMU group can hold on this platform: the bridge's two edus.
inline constexpr unsigned kGroupedPairSize = 2;

struct DeviceNeeds {
  unsigned solo = 0;        // devices without a group label, each alone in its group
  std::string group_label;  // the scenario's one label, "" when it uses none
  unsigned grouped = 0;     // devices carrying that label
};

// What `scenario` (docs/scenario-format.md, setup.devices) asks of the guest.
// Throws std::invalid_argument, naming the devices, when the platform cannot
// give it: a second label, more than kGroupedPairSize devices under one label,
// or a label that is not a non-empty string.
DeviceNeeds device_needs(const nlohmann::json& scenario);

// The edus a batch of scenarios is booted with.
struct EduTopology {
  unsigned solo_edus = 1;     // root-bus edus: the most any scenario uses unlabelled, at least one
  bool grouped_pair = false;  // the bridge and its two edus: some scenario uses a label
};

// Adds one scenario's needs to the batch's topology.
void add_needs(EduTopology& topology, const DeviceNeeds& needs);

// The guest's edu placement as the agent reports it in its agent_start line
// ("edu_iommu_groups": {bdf: group}), or an empty map when it reported none.
std::map<std::string, std::string> edu_iommu_groups(const nlohmann::json& agent_start);

// Why the guest's placement lacks the grouped pair (no two edus share an
// IOMMU group, or more than two do), naming each edu's group; nullopt when it
// has it.
std::optional<std::string> grouped_pair_problem(const std::map<std::string, std::string>& edu_groups);

}  // namespace ioconform::vm
